"""Sites with decisions to seal, and the sealer's and verifier's entry points."""
from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from consent_service import clock
from consent_service.extensions import db
from proofs import bundles, sealer, verify

from ..backoffice.conftest import auditor_client, bo, dpo_client, make_user  # noqa: F401  (the back-office's fixtures)
from ..cookies.helpers import decide, make_site

T0 = dt.datetime(2027, 3, 1, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def admin(api_key):
    return api_key("sites:admin")


@pytest.fixture
def site(client, admin):
    bundles.forget()
    yield make_site(client, admin)
    bundles.forget()


@pytest.fixture
def record(client, site):
    """Record a decision (at the clock's time); return its consent id."""

    def factory(**body) -> str:
        response = decide(client, site, **body)
        assert response.status_code == 201, response.get_json()
        return response.get_json()["consent_id"]

    return factory


def at(moment: dt.datetime) -> None:
    clock.set_now(moment)


def seal(**options) -> int:
    """One sealer pass, whatever the interval."""
    count = sealer.seal_pending(**options)
    db.session.commit()
    return count


def check(since: dt.date | None = None) -> verify.Outcome:
    outcome = verify.verify(since)
    db.session.rollback()
    return outcome


def execute(sql: str, **params) -> int:
    """Tamper with the database behind the service's back."""
    with db.engine.begin() as connection:
        return connection.execute(sa.text(sql), params).rowcount
