"""Builders shared by the data-map tests."""
from __future__ import annotations

import json

from consent_service import worker
from consent_service.extensions import db
from cookies.models import ConsentRecord, VisitorLink

from ..cookies.helpers import decide, make_site
from .conftest import TENANTS

_site_made: list = []  # the engine the demo site was made on: once per database


def consent_for(client, api_key, account_id: str, action: str = "accept_all") -> str:
    """A visitor of ``account_id`` records a decision and the portal links it; returns the visitor id."""
    site_made = _site_made
    if not site_made or site_made[0] is not db.engine:
        if not db.session.execute(db.select(db.text("1")).select_from(db.text("sites"))).first():
            make_site(client, api_key("sites:admin"))
        site_made[:] = [db.engine]
    visitor_id = decide(client, action=action).get_json()["visitor_id"]
    response = client.post(f"/v1/accounts/{account_id}/visitors", json={"visitor_id": visitor_id},
                           headers=api_key("accounts:write"))
    assert response.status_code == 204, response.get_json()
    return visitor_id


def consent_rows(visitor_id: str) -> int:
    return db.session.execute(db.select(db.func.count()).select_from(ConsentRecord)
                              .where(ConsentRecord.visitor_id == visitor_id)).scalar_one()


def link_rows(account_id: str) -> int:
    return db.session.execute(db.select(db.func.count()).select_from(VisitorLink)
                              .where(VisitorLink.account_id == account_id)).scalar_one()


def run_worker() -> dict:
    done = worker.run_once()
    db.session.expire_all()
    return done


def personal_needles(account_id: str) -> list[str]:
    name, email, _birth = TENANTS[account_id]
    return [account_id, name, email]


def assert_no_personal_data(payload, account_id: str) -> None:
    text = json.dumps(payload, ensure_ascii=False)
    for needle in personal_needles(account_id):
        assert needle not in text
