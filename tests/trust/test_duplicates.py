"""Two identical submissions at the same instant open one case (docs/rights-requests.md)."""
from __future__ import annotations

import threading

import pytest

from consent_service.extensions import db
from dsar.models import DsarRequest

FORM = {"type": "access", "email": "Locataire@Example.fr", "full_name": "Camille Martin", "locale": "fr",
        "message": "Copie de mes données."}


def _count() -> int:
    db.session.expire_all()
    return db.session.execute(db.select(db.func.count()).select_from(DsarRequest)).scalar_one()


@pytest.mark.parametrize("round_", range(5))
def test_simultaneous_identical_submissions_open_one_case(app, backend, round_):
    if backend != "postgresql":
        pytest.skip("concurrent writers need PostgreSQL; SQLite serialises them anyway")
    app.config["DSAR_RATE_LIMIT"] = app.config["DSAR_EMAIL_RATE_LIMIT"] = "off"
    barrier = threading.Barrier(6)
    answers: list[tuple[int, str | None]] = []

    def submit(email: str) -> None:
        client = app.test_client()
        barrier.wait()
        response = client.post("/v1/dsar/requests", json={**FORM, "email": email})
        answers.append((response.status_code, (response.get_json() or {}).get("reference")))

    spellings = ["Locataire@Example.fr", " locataire@example.fr", "LOCATAIRE@example.fr "] * 2
    threads = [threading.Thread(target=submit, args=(email,)) for email in spellings]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert [code for code, _ref in answers] == [202] * 6
    assert len({ref for _code, ref in answers}) == 1  # every submitter is told the one reference
    assert _count() == 1
    kinds = db.session.execute(db.text("SELECT kind FROM dsar_events")).scalars().all()
    assert sorted(kinds) == ["duplicate_received"] * 5 + ["received"]


def test_another_type_or_another_address_opens_another_case(client, app):
    app.config["DSAR_RATE_LIMIT"] = app.config["DSAR_EMAIL_RATE_LIMIT"] = "off"
    first = client.post("/v1/dsar/requests", json=FORM).get_json()["reference"]
    assert client.post("/v1/dsar/requests", json={**FORM, "type": "erasure"}).get_json()["reference"] != first
    assert client.post("/v1/dsar/requests", json={**FORM, "email": "autre@example.fr"}).get_json()["reference"] != first
    assert client.post("/v1/dsar/requests", json=FORM).get_json()["reference"] == first
    assert _count() == 3
