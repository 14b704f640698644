"""Keys and scopes over every DPO endpoint; rate limits of the public form."""
import pytest

from consent_service.extensions import db
from dsar.models import DsarRequest

from .helpers import submit

REF = "DSAR-2027-ABCDEFGH"
ADMIN_ENDPOINTS = [
    ("GET", "/v1/dsar/requests", None),
    ("GET", "/v1/dsar/requests?overdue=true", None),
    ("GET", "/v1/dsar/requests.csv", None),
    ("POST", "/v1/dsar/requests/intake", {"type": "access", "channel": "post",
                                         "received_at": "2020-01-01T00:00:00Z", "full_name": "X"}),
    ("GET", f"/v1/dsar/requests/{REF}", None),
    ("PATCH", f"/v1/dsar/requests/{REF}", {"type": "access"}),
    ("POST", f"/v1/dsar/requests/{REF}/verify", {"method": "document", "note": "x"}),
    ("POST", f"/v1/dsar/requests/{REF}/extend", {"reason": "x"}),
    ("POST", f"/v1/dsar/requests/{REF}/execute", {}),
    ("POST", f"/v1/dsar/requests/{REF}/reject", {"ground": "other", "reason": "x"}),
    ("POST", f"/v1/dsar/requests/{REF}/complete", {"summary": "x"}),
    ("POST", f"/v1/dsar/requests/{REF}/withdraw", {}),
    ("GET", "/v1/dsar/outbox?status=failed", None),
    ("POST", "/v1/dsar/outbox/1/retry", None),
]


@pytest.mark.parametrize(("method", "path", "body"), ADMIN_ENDPOINTS)
def test_every_dpo_endpoint_refuses_no_key_a_bad_key_and_another_scope(client, api_key, method, path, body):
    others = [api_key(scope) for scope in ("sites:admin", "consents:read", "accounts:write", "dsar:inbound")]
    cases = [(None, 401), ({"Authorization": "Bearer csk_0000000000000000_nope"}, 401),
             ({"Authorization": "Basic dXNlcjpwYXNz"}, 401)] + [(headers, 403) for headers in others]
    for headers, expected in cases:
        response = client.open(path, method=method, json=body, headers=headers or {})
        assert response.status_code == expected, (headers, response.get_json())
        assert response.get_json()["code"] == expected
    assert db.session.execute(db.select(db.func.count()).select_from(DsarRequest)).scalar() == 0


@pytest.mark.parametrize("headers", [None, "sites:admin", "dsar:admin"])
def test_inbound_email_needs_the_inbound_scope(client, api_key, headers):
    auth = api_key(headers) if headers else {}
    response = client.post("/v1/dsar/inbound-email", data=b"From: a@example.fr\r\n\r\nhello",
                           content_type="message/rfc822", headers=auth)
    assert response.status_code == (401 if headers is None else 403)


def test_the_form_is_limited_to_five_an_hour_per_address(client):
    for i in range(5):
        assert submit(client, type=["access", "erasure", "objection", "restriction", "portability"][i]
                      ).status_code == 202
    response = submit(client, type="rectification", email="  LOCATAIRE@example.FR")
    assert response.status_code == 429
    body = response.get_json()
    assert body["code"] == 429 and body["status"] == "Too Many Requests"
    assert int(response.headers["Retry-After"]) > 0
    assert submit(client, email="someone.else@example.fr").status_code == 202  # another address


def test_refused_bodies_do_not_use_up_an_address_quota(client):
    for _ in range(6):
        assert submit(client, type="nonsense").status_code == 422
    assert submit(client).status_code == 202


def test_the_form_is_limited_per_client_address(app_with):
    client = app_with(DSAR_RATE_LIMIT="3 per hour").test_client()
    codes = [submit(client, email=f"person{i}@example.fr").status_code for i in range(4)]
    assert codes == [202, 202, 202, 429]
    response = submit(client, email="person9@example.fr")
    assert response.status_code == 429 and response.headers["Retry-After"]
    other = client.post("/v1/dsar/requests", json={"type": "access", "email": "p@example.fr", "full_name": "P"},
                        environ_base={"REMOTE_ADDR": "10.0.0.9"})
    assert other.status_code == 202


def test_off_disables_both_limits(app_with):
    client = app_with(DSAR_RATE_LIMIT="off", DSAR_EMAIL_RATE_LIMIT="off").test_client()
    types = ["access", "erasure", "objection", "restriction", "portability", "rectification", "access"]
    assert {submit(client, type=t).status_code for t in types} == {202}


def test_a_body_without_a_readable_address_is_still_limited_per_client_address(app_with):
    client = app_with(DSAR_RATE_LIMIT="2 per hour").test_client()
    codes = [client.post("/v1/dsar/requests", data=body, content_type="application/json").status_code
             for body in ("[]", '{"email": 5}', '{"email": null}')]
    assert codes == [422, 422, 429]


def test_a_body_refused_before_any_view_costs_no_intake_and_leaves_the_limit_alone(app_with):
    """Malformed JSON is answered by the input guard before the route runs: it opens no case,
    sends no mail, and does not use up the client's allowance for real requests."""
    client = app_with(DSAR_RATE_LIMIT="1 per hour").test_client()
    refused = [client.post("/v1/dsar/requests", data="{", content_type="application/json").status_code
               for _ in range(3)]
    assert refused == [400, 400, 400]
    assert submit(client).status_code == 202
    assert submit(client, type="erasure").status_code == 429


def test_the_per_address_counter_is_shared_through_redis(app_with):
    import os

    import redis

    try:
        redis.Redis(host="127.0.0.1", port=6379, db=14, socket_connect_timeout=1).flushdb()
    except redis.RedisError:
        if os.environ.get("CI"):
            raise
        pytest.skip("no Redis at 127.0.0.1:6379")
    config = {"DSAR_EMAIL_RATE_LIMIT": "2 per hour", "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379/14"}
    first = app_with(**config).test_client()
    assert [submit(first, type=t).status_code for t in ("access", "erasure")] == [202, 202]
    db.session.remove()  # the requests shared this context's session: end it before the next app wipes tables
    second = app_with(**config).test_client()  # another process sharing the store
    response = submit(second, type="objection")
    assert response.status_code == 429 and response.headers["Retry-After"]
    keys = redis.Redis(host="127.0.0.1", port=6379, db=14).keys("*")
    assert keys and not any(b"example" in key for key in keys)  # a keyed hash, not the address
