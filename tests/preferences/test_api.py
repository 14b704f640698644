"""The preferences API: defaults, themes and e-mail, direct debit, paperless by date."""
from __future__ import annotations

import pytest

from consent_service import clock

from .conftest import paris
from .helpers import Portal, on_day

DEFAULT_THEMES = {"security_alerts": True, "appointment_confirmations": True, "building_works": False,
                  "payment_reminders": False, "satisfaction_surveys": False}
OFF = {"status": "off", "effective_on": None, "last_electronic_on": None}


@pytest.fixture
def portal(client, writer):
    return Portal(client, writer)


@pytest.fixture
def paying(portal):
    """An account that pays by direct debit."""
    assert portal.direct_debit(True).status_code == 200
    return portal


# --- defaults, themes, e-mail ----------------------------------------------------------------


def test_an_account_never_seen_has_the_catalogues_defaults(portal):
    response = portal.get()
    assert response.status_code == 200
    assert response.get_json() == {"themes": DEFAULT_THEMES, "email": False, "paperless": OFF,
                                   "direct_debit": False}


def test_the_built_in_catalogue_has_the_two_default_themes_on(app_with, api_key):
    built_in = app_with(PREFERENCES_PATH=None)
    body = Portal(built_in.test_client(), api_key("accounts:write")).get().get_json()
    assert body["themes"] == {"security_alerts": True, "appointment_confirmations": True}


def test_reading_leaves_nothing_stored(portal):
    portal.get()
    assert portal.history().get_json() == {"items": [], "next_before": None}


def test_patch_turns_themes_and_email_on_and_off(portal):
    response = portal.patch({"themes": {"building_works": True, "appointment_confirmations": False}, "email": True})
    assert response.status_code == 200
    body = response.get_json()
    assert body["themes"] == {**DEFAULT_THEMES, "building_works": True, "appointment_confirmations": False}
    assert body["email"] is True
    assert portal.get().get_json() == body


def test_patch_keeps_the_themes_it_does_not_name(portal):
    portal.patch({"themes": {"building_works": True}})
    body = portal.patch({"themes": {"payment_reminders": True}}).get_json()
    assert body["themes"]["building_works"] is True and body["themes"]["payment_reminders"] is True


def test_an_unknown_theme_is_422_and_changes_nothing(portal):
    response = portal.patch({"themes": {"building_works": True, "lottery": True}})
    assert response.status_code == 422
    assert "lottery" in response.get_json()["errors"]["themes"]
    assert portal.get().get_json()["themes"] == DEFAULT_THEMES


def test_a_mandatory_theme_cannot_be_turned_off(portal):
    response = portal.patch({"themes": {"security_alerts": False}})
    assert response.status_code == 422
    assert response.get_json()["errors"]["themes"]["security_alerts"] == [
        "This theme is mandatory: it cannot be turned off."]
    assert portal.patch({"themes": {"security_alerts": True}}).status_code == 200


@pytest.mark.parametrize("body", [
    {},
    {"themes": {}},
    {"themes": {"building_works": "yes"}},
    {"themes": {"building_works": 1}},
    {"themes": ["building_works"]},
    {"email": "true"},
    {"email": None},
    {"themes": {"building_works": True}, "sms": True},
    [],
    "on",
])
def test_wrong_bodies_are_422(portal, body):
    response = portal.patch(body)
    assert response.status_code == 422, response.get_json()
    assert response.get_json()["code"] == 422


def test_malformed_json_is_400(client, writer):
    response = client.patch("/v1/accounts/A1001/preferences", data="{themes:", headers=writer,
                            content_type="application/json")
    assert response.status_code == 400


@pytest.mark.parametrize(("headers", "code"), [({}, 401), ({"Authorization": "Bearer nope"}, 401)])
def test_every_endpoint_needs_a_key(client, headers, code):
    for method, path in [("get", "preferences"), ("patch", "preferences"), ("put", "direct-debit"),
                         ("post", "paperless"), ("delete", "paperless"), ("get", "preferences/history")]:
        response = getattr(client, method)(f"/v1/accounts/A1001/{path}", json={}, headers=headers)
        assert response.status_code == code, path


def test_a_key_without_accounts_write_is_403(client, api_key):
    response = Portal(client, api_key("sites:admin")).get()
    assert response.status_code == 403


def test_a_bad_account_id_is_422(client, writer):
    response = client.get("/v1/accounts/..%2Fetc/preferences", headers=writer)
    assert response.status_code in (404, 422)
    response = client.get("/v1/accounts/-bad/preferences", headers=writer)
    assert response.status_code == 422


# --- direct debit and paperless --------------------------------------------------------------


def test_paperless_without_direct_debit_is_409_with_words_a_portal_can_show(portal):
    response = portal.paperless("2027-05-10")
    assert response.status_code == 409
    errors = response.get_json()["errors"]["direct_debit"]
    assert errors["reason"] == "direct_debit_required"
    assert "prélèvement automatique" in errors["fr"] and "direct debit" in errors["en"]
    assert portal.status() == OFF


def test_a_bad_date_is_reported_before_the_missing_direct_debit(portal):
    assert portal.paperless("2027-02-30").status_code == 422


def test_direct_debit_on_and_off(portal):
    assert portal.direct_debit(True).get_json()["direct_debit"] is True
    assert portal.direct_debit(False).get_json()["direct_debit"] is False


@pytest.mark.parametrize("body", [
    {}, {"active": "true"}, {"active": 1}, {"active": None}, {"active": True, "bank": "FR76"},
    {"active": False, "next_billing_date": "2027-04-22"}, {"active": False, "next_billing_date": "tomorrow"},
    [True], "true",
])
def test_wrong_direct_debit_bodies_are_422_and_change_nothing(paying, body):
    response = paying.client.put(f"{paying.base}/direct-debit", json=body, headers=paying.headers)
    assert response.status_code == 422, response.get_json()
    assert paying.get().get_json()["direct_debit"] is True
    assert len(paying.history().get_json()["items"]) == 1


@pytest.mark.parametrize("body", [{}, {"next_billing_date": "2027-05-10", "channel": "web"}, ["2027-05-10"]])
def test_wrong_paperless_bodies_are_422(paying, body):
    response = paying.client.post(f"{paying.base}/paperless", json=body, headers=paying.headers)
    assert response.status_code == 422, response.get_json()
    assert paying.status() == OFF


def test_asked_exactly_ten_working_days_before_billing_after_ascension(paying):
    response = paying.paperless("2027-05-10")  # Friday 23 April 2027
    assert response.status_code == 200
    assert response.get_json()["paperless"] == {"status": "pending", "effective_on": "2027-05-10",
                                                "last_electronic_on": None}


def test_asked_one_working_day_too_late_starts_a_month_later(paying):
    on_day(2027, 4, 26)
    assert paying.paperless("2027-05-10").get_json()["paperless"]["effective_on"] == "2027-06-10"


def test_billing_after_the_14_july_long_weekend(paying):
    on_day(2028, 6, 30)
    assert paying.paperless("2028-07-17").get_json()["paperless"]["effective_on"] == "2028-07-17"
    paying.stop("2028-07-17")
    on_day(2028, 7, 3)
    assert paying.paperless("2028-07-17").get_json()["paperless"]["effective_on"] == "2028-08-17"


def test_pending_becomes_on_on_its_date_without_any_job(paying):
    paying.paperless("2027-05-10")
    on_day(2027, 5, 9)
    assert paying.status()["status"] == "pending"
    on_day(2027, 5, 10)
    assert paying.status() == {"status": "on", "effective_on": "2027-05-10", "last_electronic_on": None}


def test_cancelled_in_time_paper_comes_back_on_the_next_billing_date(paying):
    paying.paperless("2027-05-10")
    on_day(2027, 5, 25)
    response = paying.stop("2027-06-10")
    assert response.status_code == 200
    assert response.get_json()["paperless"] == {"status": "off", "effective_on": "2027-06-10",
                                                "last_electronic_on": None}


def test_cancelled_too_late_one_last_electronic_notice(paying):
    paying.paperless("2027-05-10")
    on_day(2027, 6, 1)
    assert paying.stop("2027-06-10").get_json()["paperless"] == {
        "status": "ending", "effective_on": "2027-07-10", "last_electronic_on": "2027-06-10"}
    on_day(2027, 7, 9)
    assert paying.status()["status"] == "ending"
    on_day(2027, 7, 10)
    assert paying.status() == {"status": "off", "effective_on": "2027-07-10", "last_electronic_on": "2027-06-10"}


def test_cancellation_without_a_date_uses_the_monthly_billing(paying):
    paying.paperless("2027-05-10")
    on_day(2027, 6, 1)  # next billing 10 June, too late
    assert paying.stop().get_json()["paperless"]["last_electronic_on"] == "2027-06-10"


def test_cancellation_without_a_date_or_a_subscription_is_a_no_op(portal):
    response = portal.stop()
    assert response.status_code == 200 and response.get_json()["paperless"] == OFF
    assert portal.history().get_json()["items"] == []


def test_ending_direct_debit_ends_paperless_the_same_way(paying):
    paying.paperless("2027-05-10")
    on_day(2027, 6, 1)
    body = paying.direct_debit(False, next_billing_date="2027-06-10").get_json()
    assert body["direct_debit"] is False
    assert body["paperless"] == {"status": "ending", "effective_on": "2027-07-10", "last_electronic_on": "2027-06-10"}
    history = paying.history().get_json()["items"]
    assert history[0]["change"] == "direct_debit" and history[0]["before"]["paperless"]["status"] == "on"


def test_ending_direct_debit_in_time_withdraws_a_pending_request(paying):
    paying.paperless("2027-05-10")
    assert paying.direct_debit(False).get_json()["paperless"] == OFF


def test_asking_twice_is_one_change(paying):
    paying.paperless("2027-05-10")
    again = paying.paperless("2027-05-10")
    assert again.status_code == 200 and again.get_json()["paperless"]["status"] == "pending"
    assert [item["change"] for item in paying.history().get_json()["items"]] == ["paperless_start", "direct_debit"]


@pytest.mark.parametrize(("value", "field_error"), [
    ("2027-04-22", "today is 2027-04-23"),       # yesterday
    ("2027-06-24", "at most 2 months away"),     # beyond the next monthly billing
    ("2027-13-01", "Not a valid date."),
    ("10/05/2027", "Not a valid date."),
    (20270510, "Not a valid date."),
    (None, "Field may not be null."),
    ("2027-05-10T00:00:00Z", "Not a valid date."),
])
def test_bad_billing_dates_are_422(paying, value, field_error):
    response = paying.client.post(f"{paying.base}/paperless", json={"next_billing_date": value},
                                  headers=paying.headers)
    assert response.status_code == 422
    assert field_error in " ".join(response.get_json()["errors"]["next_billing_date"])


def test_a_billing_date_in_the_past_is_refused_for_cancellations_too(paying):
    paying.paperless("2027-05-10")
    assert paying.stop("2027-04-01").status_code == 422
    assert paying.stop("not-a-date").status_code == 422
    assert paying.status()["status"] == "pending"


def test_the_catalogue_is_served_with_its_labels(client, writer):
    body = client.get("/v1/preferences/catalogue", headers=writer).get_json()
    assert [t["key"] for t in body["themes"]][:2] == ["security_alerts", "appointment_confirmations"]
    alerts = body["themes"][0]
    assert alerts["mandatory"] is True and alerts["label"] == {"fr": "Alertes de sécurité", "en": "Security alerts"}
    assert body["email"]["default"] is False


def test_the_day_of_a_request_is_the_paris_day(paying):
    clock.set_now(paris(2027, 4, 23, 23, 59))  # 21:59 UTC: still Friday 23 April in Paris
    assert paying.paperless("2027-05-10").get_json()["paperless"]["effective_on"] == "2027-05-10"
    paying.stop("2027-05-10")
    clock.set_now(paris(2027, 4, 24, 0, 30))  # 22:30 UTC on the 23rd, but Saturday in Paris: too late
    assert paying.paperless("2027-05-10").get_json()["paperless"]["effective_on"] == "2027-06-10"


def test_choosing_the_defaults_on_an_account_never_seen_keeps_only_the_explicit_choices(portal):
    assert portal.patch({"email": False}).status_code == 200  # the default: nothing to remember
    assert portal.history().get_json()["items"] == []
    portal.patch({"themes": {"appointment_confirmations": True}})  # an explicit choice, kept as proof
    (item,) = portal.history().get_json()["items"]
    assert item["before"] == item["after"] and item["asked"] == {"themes": {"appointment_confirmations": True}}


def test_a_new_request_brings_the_portals_new_billing_day(paying):
    paying.paperless("2027-05-10")
    paying.stop("2027-05-10")  # in time: withdrawn
    on_day(2027, 5, 3)
    assert paying.paperless("2027-05-28").get_json()["paperless"]["effective_on"] == "2027-05-28"
    on_day(2027, 6, 20)  # the next billing is now the 28th of each month: too late for 28 June
    assert paying.stop().get_json()["paperless"] == {"status": "ending", "effective_on": "2027-07-28",
                                                      "last_electronic_on": "2027-06-28"}
