"""Preference changes (the append-only history) are sealed beside the consent proofs."""
from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from consent_service.extensions import db
from preferences import subject_data
from proofs.models import SealLeaf

from .conftest import T0, at, check, execute, seal


@pytest.fixture
def changed(client, api_key, record):
    """A consent decision and two preference changes of account A2001, sealed together."""
    at(T0)
    writer = api_key("accounts:write")
    record()
    for flag in (True, False):
        response = client.patch("/v1/accounts/A2001/preferences", json={"email": flag}, headers=writer)
        assert response.status_code == 200, response.get_json()
    ids = [str(i) for i in db.session.execute(sa.text("SELECT id FROM preference_changes ORDER BY id")).scalars()]
    at(T0 + dt.timedelta(minutes=1))
    seal()
    return ids


def test_preference_changes_are_sealed_with_the_consents(changed):
    kinds = db.session.execute(sa.select(SealLeaf.kind, SealLeaf.record_id).order_by(SealLeaf.position)).all()
    assert [kind for kind, _ in kinds] == ["consent"] + ["preference"] * len(changed)
    assert [record_id for kind, record_id in kinds if kind == "preference"] == changed
    assert len(changed) == 2 and check().passed


def test_a_deleted_preference_change_is_named(changed):
    execute("DELETE FROM preference_changes WHERE id = :id", id=int(changed[-1]))
    outcome = check()
    assert (outcome.problem, outcome.subject) == ("deleted_record", changed[-1])


def test_an_account_purge_of_its_preferences_keeps_the_chain_verifiable(changed):
    assert subject_data.erase_account("A2001")["preference_changes"] == len(changed)
    db.session.commit()
    assert check().passed
