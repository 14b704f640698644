import datetime as dt

import pytest

from consent_service import clock
from consent_service.extensions import db
from cookies.models import ConsentRecord

from .helpers import ORIGIN, decide, make_site, publish

PARIS_NOON = dt.datetime(2027, 1, 31, 11, 0, tzinfo=dt.UTC)


@pytest.fixture
def admin(api_key):
    return api_key("sites:admin")


@pytest.fixture
def site(client, admin):
    return make_site(client, admin)


def test_accept_all_turns_optional_categories_on_and_sets_two_cookies(client, site):
    clock.set_now(PARIS_NOON)
    response = decide(client, action="accept_all", locale="fr", page="https://www.example.fr/compte?token=x#a")
    assert response.status_code == 201
    body = response.get_json()
    assert body["categories"] == {"functional": True, "analytics": True}
    assert body["policy_version"] == 1
    assert body["recorded_at"] == "2027-01-31T11:00:00Z"
    assert body["valid_until"] == "2028-02-29T11:00:00Z"  # 13 calendar months, clamped to the month's end
    cookies = response.headers.getlist("Set-Cookie")
    assert len(cookies) == 2
    for header in cookies:
        assert "Path=/" in header and "SameSite=Lax" in header
        assert "HttpOnly" not in header and "Secure" not in header
        assert f"Max-Age={body['cookies']['r_ci']['max_age']}" in header
    seconds = (dt.datetime(2028, 2, 29, 11, tzinfo=dt.UTC) - PARIS_NOON).total_seconds()
    assert body["cookies"]["cookie_consent"]["max_age"] == int(seconds)


def test_refuse_all_is_valid_one_calendar_month(client, site):
    clock.set_now(PARIS_NOON)
    body = decide(client, action="refuse_all").get_json()
    assert body["categories"] == {"functional": True, "analytics": False}
    assert body["valid_until"] == "2027-02-28T11:00:00Z"


def test_withdraw_turns_everything_optional_off(client, site):
    body = decide(client, action="withdraw").get_json()
    assert body["categories"] == {"functional": True, "analytics": False}


def test_custom_uses_the_given_categories_and_keeps_required_on(client, site):
    body = decide(client, action="custom", categories={"analytics": True, "functional": False}).get_json()
    assert body["categories"] == {"functional": True, "analytics": True}
    body = decide(client, action="custom", categories={}).get_json()
    assert body["categories"] == {"functional": True, "analytics": False}


def test_custom_with_an_unknown_category_is_422_and_writes_nothing(client, site):
    response = decide(client, action="custom", categories={"marketing": True})
    assert response.status_code == 422
    assert "marketing" in response.get_json()["errors"]["categories"]
    assert db.session.execute(db.select(db.func.count()).select_from(ConsentRecord)).scalar() == 0


def test_categories_are_refused_outside_custom(client, site):
    assert decide(client, action="accept_all", categories={"analytics": False}).status_code == 422


def test_continue_is_409_unless_the_policy_allows_it(client, site, admin):
    assert decide(client, action="continue").status_code == 409
    publish(client, admin, implied_consent_on_continue=True)
    body = decide(client, action="continue").get_json()
    assert body["categories"]["analytics"] is True and body["policy_version"] == 2


def test_continue_under_gpc_turns_nothing_on(client, site, admin):
    publish(client, admin, implied_consent_on_continue=True)
    response = client.post("/v1/sites/espace-locataire/consents", json={"action": "continue"},
                           headers={"Sec-GPC": "1"})
    assert response.get_json()["categories"]["analytics"] is False


def test_the_proof_keeps_truncated_ip_page_without_query_and_texts_hash(client, site, api_key):
    response = client.post("/v1/sites/espace-locataire/consents",
                           json={"action": "refuse_all", "page": "https://www.example.fr/a/b?q=secret#frag",
                                 "locale": "en"},
                           headers={"User-Agent": "Tester/1.0", "Sec-GPC": "1"},
                           environ_base={"REMOTE_ADDR": "203.0.113.77"})
    consent_id = response.get_json()["consent_id"]
    proof = client.get(f"/v1/consents/{consent_id}", headers=api_key("consents:read")).get_json()
    assert proof["ip"] == "203.0.113.0"
    assert proof["page"] == "https://www.example.fr/a/b"
    assert proof["user_agent"] == "Tester/1.0"
    assert proof["gpc"] is True
    assert proof["locale"] == "en"
    assert len(proof["texts_hash"]) == 64
    fr = decide(client, action="refuse_all", locale="fr").get_json()["consent_id"]
    fr_proof = client.get(f"/v1/consents/{fr}", headers=api_key("consents:read")).get_json()
    assert fr_proof["texts_hash"] != proof["texts_hash"]
    for field in ("consent_id", "site", "policy_version", "texts_hash", "action", "categories", "recorded_at",
                  "valid_until", "visitor_id", "ip", "user_agent", "page", "gpc"):
        assert field in proof


def test_ipv6_is_truncated_to_48_bits(client, site, api_key):
    response = client.post("/v1/sites/espace-locataire/consents", json={"action": "refuse_all"},
                           environ_base={"REMOTE_ADDR": "2001:db8:abcd:12:1:2:3:4"})
    proof = client.get(f"/v1/consents/{response.get_json()['consent_id']}", headers=api_key("consents:read"))
    assert proof.get_json()["ip"] == "2001:db8:abcd::"


def test_the_texts_hash_is_the_sha256_of_the_canonical_texts_shown(client, site, api_key):
    import hashlib
    import json

    from cookies.texts import DEFAULT_TEXTS

    consent_id = decide(client, locale="en").get_json()["consent_id"]
    proof = client.get(f"/v1/consents/{consent_id}", headers=api_key("consents:read")).get_json()
    canonical = json.dumps(DEFAULT_TEXTS["en"], sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert proof["texts_hash"] == hashlib.sha256(canonical.encode()).hexdigest()


def test_a_given_visitor_id_is_kept_and_one_is_made_otherwise(client, site):
    assert decide(client, visitor_id="visitor-0001").get_json()["visitor_id"] == "visitor-0001"
    made = decide(client).get_json()["visitor_id"]
    assert len(made) == 32


@pytest.mark.parametrize("body", [
    {"action": "maybe"},
    {},
    {"action": "accept_all", "extra": 1},
    {"action": "accept_all", "visitor_id": "short"},
    {"action": "accept_all", "visitor_id": "../../etc/passwd"},
    {"action": "accept_all", "locale": "de"},
    {"action": "accept_all", "page": "javascript:alert(1)"},
    {"action": "accept_all", "page": "https://x.fr/" + "a" * 3000},
    {"action": "custom", "categories": {"analytics": "yes"}},
    {"action": "custom", "categories": ["analytics"]},
    {"action": "accept_all", "visitor_id": "abc\x00defghij"},
    {"action": 1},
    {"action": "accept_all", "locale": None},
])
def test_bad_consent_bodies_are_422(client, site, body):
    response = decide(client, **body) if body else client.post("/v1/sites/espace-locataire/consents", json={})
    assert response.status_code == 422
    payload = response.get_json()
    assert payload["code"] == 422 and payload["status"] == "Unprocessable Entity"
    assert payload["errors"]


def test_malformed_json_is_400(client, site):
    response = client.post("/v1/sites/espace-locataire/consents", data="{not json",
                           content_type="application/json")
    assert response.status_code == 400
    assert response.get_json()["code"] == 400


def test_unknown_site_is_404(client, site):
    response = decide(client, site="nowhere")
    assert response.status_code == 404
    assert response.get_json()["status"] == "Not Found"


def _admin_header():
    from consent_service import apikeys

    key = apikeys.create_key("admin", ["sites:admin"])
    db.session.commit()
    return {"Authorization": f"Bearer {key}"}


def test_secure_cookie_and_domain_follow_configuration(app_with):
    application = app_with(PUBLIC_BASE_URL="https://consent.example.fr", SECURE_COOKIES=True)
    client = application.test_client()
    make_site(client, _admin_header(), cookie_domain="example.fr")
    response = decide(client)
    for header in response.headers.getlist("Set-Cookie"):
        assert "Secure" in header and "Domain=example.fr" in header


def test_cors_allows_only_the_site_origins(client, site):
    preflight = client.options("/v1/sites/espace-locataire/consents",
                               headers={"Origin": ORIGIN, "Access-Control-Request-Method": "POST"})
    assert preflight.headers["Access-Control-Allow-Origin"] == ORIGIN
    assert preflight.headers["Access-Control-Allow-Credentials"] == "true"
    assert "POST" in preflight.headers["Access-Control-Allow-Methods"]
    evil = client.options("/v1/sites/espace-locataire/consents",
                          headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"})
    assert "Access-Control-Allow-Origin" not in evil.headers
    refused = client.post("/v1/sites/espace-locataire/consents", json={"action": "accept_all"},
                          headers={"Origin": "https://evil.example"})
    assert refused.status_code == 403
    allowed = client.post("/v1/sites/espace-locataire/consents", json={"action": "accept_all"},
                          headers={"Origin": ORIGIN})
    assert allowed.status_code == 201 and allowed.headers["Access-Control-Allow-Origin"] == ORIGIN


def test_consents_are_rate_limited_per_client_address(app_with):
    application = app_with(CONSENT_RATE_LIMIT="3 per minute")
    client = application.test_client()
    make_site(client, _admin_header())
    codes = [decide(client).status_code for _ in range(4)]
    assert codes == [201, 201, 201, 429]
    limited = decide(client)
    assert int(limited.headers["Retry-After"]) > 0
    assert limited.get_json()["code"] == 429
    other = client.post("/v1/sites/espace-locataire/consents", json={"action": "accept_all"},
                        environ_base={"REMOTE_ADDR": "198.51.100.9"})
    assert other.status_code == 201


def test_the_rate_limit_can_be_switched_off(app_with):
    application = app_with(CONSENT_RATE_LIMIT="off")
    client = application.test_client()
    make_site(client, _admin_header())
    assert {decide(client).status_code for _ in range(5)} == {201}


def test_rate_limit_counters_can_live_in_redis(app_with):
    import os

    import redis

    try:
        redis.Redis(host="127.0.0.1", port=6379, db=15, socket_connect_timeout=1).flushdb()
    except redis.RedisError:
        if os.environ.get("CI"):
            raise
        pytest.skip("no Redis at 127.0.0.1:6379")
    application = app_with(CONSENT_RATE_LIMIT="2 per minute", RATELIMIT_STORAGE_URI="redis://127.0.0.1:6379/15")
    client = application.test_client()
    make_site(client, _admin_header())
    assert [decide(client).status_code for _ in range(3)] == [201, 201, 429]
    # A second process sharing the store sees the same counter.
    second = app_with(CONSENT_RATE_LIMIT="2 per minute", RATELIMIT_STORAGE_URI="redis://127.0.0.1:6379/15")
    assert decide(second.test_client()).status_code == 429
