"""The proof of one decision, a subject's history, and visitor links (docs/api.md)."""
import datetime as dt

import pytest

from consent_service import clock
from consent_service.extensions import db
from cookies.models import VisitorLink

from .helpers import decide, make_site


@pytest.fixture
def site(client, api_key):
    return make_site(client, api_key("sites:admin"))


def test_the_proof_is_readable_with_the_matching_cookie_and_no_key(client, site):
    consent_id = decide(client, action="refuse_all").get_json()["consent_id"]
    proof = client.get(f"/v1/consents/{consent_id}")
    assert proof.status_code == 200 and proof.get_json()["consent_id"] == consent_id


def test_someone_elses_proof_needs_a_key(client, site):
    first = decide(client, action="refuse_all").get_json()["consent_id"]
    decide(client, action="accept_all")  # the client's cookie now names another decision
    response = client.get(f"/v1/consents/{first}")
    assert response.status_code == 401


def test_a_key_without_consents_read_is_403_for_a_proof(client, site, api_key):
    consent_id = decide(client).get_json()["consent_id"]
    client._cookies.clear()
    assert client.get(f"/v1/consents/{consent_id}", headers=api_key("accounts:write")).status_code == 403


def test_an_unknown_proof_is_404(client, site, api_key):
    assert client.get("/v1/consents/" + "f" * 32, headers=api_key("consents:read")).status_code == 404


def test_history_by_visitor_and_by_account_is_newest_first(client, site, api_key):
    reader = api_key("consents:read")
    writer = api_key("accounts:write")
    clock.set_now(dt.datetime(2027, 1, 1, 9, tzinfo=dt.UTC))
    first = decide(client, action="refuse_all", visitor_id="visitor-aaaa").get_json()["consent_id"]
    clock.set_now(dt.datetime(2027, 2, 1, 9, tzinfo=dt.UTC))
    second = decide(client, action="accept_all", visitor_id="visitor-aaaa").get_json()["consent_id"]
    other_device = decide(client, action="withdraw", visitor_id="visitor-bbbb").get_json()["consent_id"]
    decide(client, action="accept_all", visitor_id="stranger-cccc")
    by_visitor = client.get("/v1/consents?visitor_id=visitor-aaaa", headers=reader).get_json()["items"]
    assert [p["consent_id"] for p in by_visitor] == [second, first]
    for visitor in ("visitor-aaaa", "visitor-bbbb"):
        assert client.post("/v1/accounts/A1001/visitors", json={"visitor_id": visitor},
                           headers=writer).status_code == 204
    by_account = client.get("/v1/consents?account_id=A1001", headers=reader).get_json()["items"]
    assert {p["consent_id"] for p in by_account} == {first, second, other_device}
    assert by_account[-1]["consent_id"] == first
    assert client.get("/v1/consents?account_id=nobody", headers=reader).get_json() == {"items": []}


@pytest.mark.parametrize("query", ["", "?visitor_id=visitor-aaaa&account_id=A1", "?visitor_id=", "?other=1"])
def test_history_needs_exactly_one_subject(client, site, api_key, query):
    assert client.get(f"/v1/consents{query}", headers=api_key("consents:read")).status_code == 422


def test_linking_a_visitor_is_idempotent(client, site, api_key):
    writer = api_key("accounts:write")
    for _ in range(2):
        response = client.post("/v1/accounts/A1001/visitors", json={"visitor_id": "visitor-aaaa"}, headers=writer)
        assert response.status_code == 204 and response.data == b""
    assert db.session.execute(db.select(db.func.count()).select_from(VisitorLink)).scalar() == 1


@pytest.mark.parametrize("account_id,body,status", [
    ("A1001", {}, 422),
    ("A1001", {"visitor_id": "short"}, 422),
    ("A1001", {"visitor_id": "visitor-aaaa", "extra": 1}, 422),
    ("..", {"visitor_id": "visitor-aaaa"}, 422),
    ("a..b", {"visitor_id": "visitor-aaaa"}, 422),
])
def test_bad_visitor_links_are_refused(client, site, api_key, account_id, body, status):
    response = client.post(f"/v1/accounts/{account_id}/visitors", json=body, headers=api_key("accounts:write"))
    assert response.status_code == status
    assert db.session.execute(db.select(db.func.count()).select_from(VisitorLink)).scalar() == 0


def test_linking_needs_accounts_write(client, site, api_key):
    body = {"visitor_id": "visitor-aaaa"}
    assert client.post("/v1/accounts/A1001/visitors", json=body).status_code == 401
    assert client.post("/v1/accounts/A1001/visitors", json=body,
                       headers=api_key("consents:read")).status_code == 403
