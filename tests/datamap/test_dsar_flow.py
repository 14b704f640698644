"""The DSAR workflow reaching the data map through its hooks, end to end over the API."""
from __future__ import annotations

import io
import zipfile

import pytest

from .helpers import run_worker

pytest.importorskip("dsar")


@pytest.fixture
def admin(api_key):
    return api_key("dsar:admin")


def open_request(client, admin, type_, account_id="A1001"):
    body = {"type": type_, "channel": "post", "received_at": "2027-03-14T09:00:00Z", "full_name": "Camille Martin",
            "email": "camille.martin@example.fr", "account_id": account_id}
    response = client.post("/v1/dsar/requests/intake", json=body, headers=admin)
    assert response.status_code in (201, 202), response.get_json()
    reference = response.get_json()["reference"]
    detail = client.get(f"/v1/dsar/requests/{reference}", headers=admin).get_json()
    if detail["status"] == "awaiting_verification":
        verified = client.post(f"/v1/dsar/requests/{reference}/verify",
                               json={"method": "document", "note": "ID card seen"}, headers=admin)
        assert verified.status_code == 200, verified.get_json()
    return reference


def test_an_access_request_executes_into_a_downloadable_export(client, admin):
    reference = open_request(client, admin, "access")
    response = client.post(f"/v1/dsar/requests/{reference}/execute", json={}, headers=admin)
    assert response.status_code == 200, response.get_json()
    detail = client.get(f"/v1/dsar/requests/{reference}", headers=admin).get_json()
    url = detail["export_url"]
    assert url.startswith("http://127.0.0.1:8000/dsar/exports/")
    download = client.get(url.removeprefix("http://127.0.0.1:8000"))
    assert download.status_code == 200
    archive = zipfile.ZipFile(io.BytesIO(download.data))
    assert reference.encode() in archive.read("summary.html")


def test_the_export_holds_the_subjects_own_requests_and_their_timeline(client, admin):
    import json

    reference = open_request(client, admin, "access")
    client.post(f"/v1/dsar/requests/{reference}/execute", json={}, headers=admin)
    url = client.get(f"/v1/dsar/requests/{reference}", headers=admin).get_json()["export_url"]
    archive = zipfile.ZipFile(io.BytesIO(client.get(url.removeprefix("http://127.0.0.1:8000")).data))
    name = next(n for n in archive.namelist() if n.endswith("/dsar_requests.json"))
    requests = json.loads(archive.read(name))
    rows = requests["rows"] if isinstance(requests, dict) else requests
    mine = next(r for r in rows if r["reference"] == reference)
    assert mine["email"] == "camille.martin@example.fr"
    assert [e["kind"] for e in mine["events"]][0] == "received"
    assert "mails" not in mine


def test_an_erasure_request_executes_into_the_account_purge(client, admin, writer, portal):
    reference = open_request(client, admin, "erasure")
    assert client.post(f"/v1/dsar/requests/{reference}/execute", json={}, headers=admin).status_code == 200
    purge_id = client.get(f"/v1/dsar/requests/{reference}", headers=admin).get_json()["purge_id"]
    run_worker()
    receipt = client.get(f"/v1/purges/{purge_id}", headers=admin).get_json()
    assert receipt["trigger"] == "dsar_erasure" and receipt["status"] == "done"
    assert portal.count("tenants", account_id="A1001") == 0


def test_a_rectification_of_a_field_not_listed_is_422_naming_it(client, admin, portal):
    reference = open_request(client, admin, "rectification")
    response = client.post(f"/v1/dsar/requests/{reference}/execute", json={"changes": {"iban": "FR00"}},
                           headers=admin)
    assert response.status_code == 422
    assert "iban" in str(response.get_json()["errors"])
    response = client.post(f"/v1/dsar/requests/{reference}/execute", json={"changes": {"phone": "+33 7 00"}},
                           headers=admin)
    assert response.status_code == 200
    assert portal.rows("tenants", account_id="A1001")[0]["phone"] == "+33 7 00"


def test_an_objection_request_is_answered_by_processing(client, admin, writer):
    reference = open_request(client, admin, "objection")
    assert client.post(f"/v1/dsar/requests/{reference}/execute", json={}, headers=admin).status_code == 200
    assert client.get("/v1/accounts/A1001/processing", headers=writer).get_json()["objections"] == ["analytics"]


@pytest.mark.parametrize("birth_date,verified", [("1985-04-12", True), ("1985-04-13", False)])
def test_a_form_request_with_the_right_birth_date_is_verified_automatically(client, admin, birth_date, verified):
    response = client.post("/v1/dsar/requests", json={
        "type": "access", "email": "camille.martin@example.fr", "full_name": "Camille Martin",
        "account_id": "A1001", "birth_date": birth_date, "message": "Copie", "locale": "fr"})
    assert response.status_code == 202
    assert response.get_json()["status"] == "awaiting_verification"  # the answer never tells
    detail = client.get(f"/v1/dsar/requests/{response.get_json()['reference']}", headers=admin).get_json()
    assert (detail["verification_method"] == "account_birth_date") is verified
