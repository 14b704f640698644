"""consent-state: the banner decision from the two signed cookies alone (docs/api.md)."""
import datetime as dt

import pytest
from sqlalchemy import event

from consent_service import clock
from consent_service.extensions import db

from .helpers import decide, make_site, publish

START = dt.datetime(2027, 1, 31, 11, 0, tzinfo=dt.UTC)
STATE = "/v1/sites/espace-locataire/consent-state"


@pytest.fixture
def admin(api_key):
    return api_key("sites:admin")


@pytest.fixture
def site(client, admin):
    return make_site(client, admin)


def _cookies(response):
    body = response.get_json()["cookies"]
    return {name: body[name]["value"] for name in ("cookie_consent", "r_ci")}


def _state(client, cookies=None, headers=None):
    client._cookies.clear()
    for name, value in (cookies or {}).items():
        client.set_cookie(name, value)
    return client.get(STATE, headers=headers or {}).get_json()


def test_no_cookies_means_no_choice_and_everything_optional_off(client, site):
    state = _state(client)
    assert state == {"show_banner": True, "reason": "no_choice", "categories": {"functional": True,
                     "analytics": False}, "consent_id": None, "policy_version": None, "valid_until": None,
                     "gpc": False}


def test_a_valid_choice_hides_the_banner_and_reports_it(client, site):
    clock.set_now(START)
    response = decide(client, action="accept_all")
    state = _state(client, _cookies(response))
    assert state["show_banner"] is False and state["reason"] is None
    assert state["categories"] == {"functional": True, "analytics": True}
    assert state["consent_id"] == response.get_json()["consent_id"]
    assert state["policy_version"] == 1
    assert state["valid_until"] == "2028-02-29T11:00:00Z"


def test_the_cookies_set_by_the_api_are_read_back(client, site):
    decide(client, action="refuse_all")
    state = client.get(STATE).get_json()
    assert state["show_banner"] is False and state["categories"]["analytics"] is False


def test_a_refusal_expires_after_one_month_and_an_acceptance_after_thirteen(client, site):
    clock.set_now(START)
    refused = _cookies(decide(client, action="refuse_all"))
    accepted = _cookies(decide(client, action="accept_all"))
    clock.set_now(START + dt.timedelta(days=27))
    assert _state(client, refused)["show_banner"] is False
    clock.set_now(dt.datetime(2027, 2, 28, 11, 0, 1, tzinfo=dt.UTC))
    state = _state(client, refused)
    assert state["reason"] == "expired" and state["categories"]["analytics"] is False
    assert _state(client, accepted)["show_banner"] is False
    clock.set_now(dt.datetime(2028, 2, 29, 11, 0, 0, tzinfo=dt.UTC))
    state = _state(client, accepted)
    assert state["reason"] == "expired" and state["categories"]["analytics"] is False


def test_a_new_policy_version_shows_the_banner_again(client, site, admin):
    accepted = _cookies(decide(client, action="accept_all"))
    publish(client, admin)
    state = _state(client, accepted)
    assert state["show_banner"] is True and state["reason"] == "policy_changed"
    assert state["categories"]["analytics"] is False


@pytest.mark.parametrize("which", ["cookie_consent", "r_ci"])
def test_an_altered_token_counts_as_no_choice_and_is_invalid(client, site, which):
    cookies = _cookies(decide(client, action="accept_all"))
    payload, signature = cookies[which].rsplit(".", 1)
    cookies[which] = payload.replace(payload[5], "A" if payload[5] != "A" else "B", 1) + "." + signature
    state = _state(client, cookies)
    assert state["show_banner"] is True and state["reason"] == "invalid"
    assert state["categories"]["analytics"] is False


@pytest.mark.parametrize("value", ["garbage", "", ".", "a.b.c", "%00", "e30.abc", "x" * 4000])
def test_undecodable_tokens_are_invalid(client, site, value):
    state = _state(client, {"cookie_consent": value or "x", "r_ci": value or "x"})
    assert state["reason"] == "invalid" and state["show_banner"] is True


def test_a_token_signed_with_another_key_is_invalid(client, site, make_app):
    cookies = _cookies(decide(client, action="accept_all"))
    other = make_app(SECRET_KEY="another-secret")
    with other.app_context():
        response = other.test_client()
        for name, value in cookies.items():
            response.set_cookie(name, value)
        assert response.get(STATE).get_json()["reason"] == "invalid"


def test_rotated_keys_still_verify_through_the_fallbacks(client, site, make_app):
    cookies = _cookies(decide(client, action="accept_all"))
    rotated = make_app(SECRET_KEY="new-secret", SECRET_KEY_FALLBACKS=["test-secret-key"])
    with rotated.app_context():
        rotated_client = rotated.test_client()
        for name, value in cookies.items():
            rotated_client.set_cookie(name, value)
        state = rotated_client.get(STATE).get_json()
        assert state["show_banner"] is False and state["categories"]["analytics"] is True


def test_a_consent_token_cannot_stand_in_for_r_ci(client, site):
    cookies = _cookies(decide(client, action="accept_all"))
    state = _state(client, {"cookie_consent": cookies["cookie_consent"], "r_ci": cookies["cookie_consent"]})
    assert state["reason"] == "invalid"


def test_a_choice_for_another_site_does_not_count(client, site, admin):
    make_site(client, admin, key="autre-site")
    cookies = _cookies(decide(client, site="autre-site", action="accept_all"))
    state = _state(client, cookies)
    assert state["show_banner"] is True and state["categories"]["analytics"] is False


def test_gpc_is_reported_and_turns_nothing_on(client, site):
    refused = _cookies(decide(client, action="refuse_all"))
    state = _state(client, refused, headers={"Sec-GPC": "1"})
    assert state["gpc"] is True and state["categories"]["analytics"] is False
    nothing = _state(client, headers={"Sec-GPC": "1"})
    assert nothing["gpc"] is True and nothing["categories"]["analytics"] is False


def test_consent_state_reads_no_database_when_the_tokens_are_valid(app, client, site):
    cookies = _cookies(decide(client, action="accept_all"))
    _state(client, cookies)  # warms the policy cache
    statements = []

    def count(*args, **kwargs):
        statements.append(args[2])

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        for _ in range(5):
            assert _state(client, cookies)["show_banner"] is False
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert statements == []


def test_consent_state_for_an_unknown_site_is_404(client, site):
    assert client.get("/v1/sites/nowhere/consent-state").status_code == 404


def test_the_cookie_payload_is_readable_by_a_page(client, site):
    import base64
    import json

    cookies = _cookies(decide(client, action="refuse_all", visitor_id="visitor-0042"))
    payload = cookies["cookie_consent"].rsplit(".", 1)[0]
    data = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    assert data["vid"] == "visitor-0042" and data["ver"] == 1 and data["cat"]["analytics"] is False
    rci = cookies["r_ci"].rsplit(".", 1)[0]
    due = json.loads(base64.urlsafe_b64decode(rci + "=" * (-len(rci) % 4)))["due"]
    assert due == data["until"]
