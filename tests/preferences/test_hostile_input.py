"""Hostile input: clear 4xx answers, never a 500, nothing stored."""
from __future__ import annotations

import pytest

from .helpers import Portal

HOSTILE_STRINGS = ["\x00", "a\x00b", "é" * 5000, "'; DROP TABLE account_preferences; --", "<script>alert(1)</script>",
                   "\ud800", "../../etc/passwd", "%00", "\u202e", " ", ""]


@pytest.fixture
def portal(client, writer):
    return Portal(client, writer)


@pytest.mark.parametrize("key", HOSTILE_STRINGS)
def test_hostile_theme_keys_are_422(portal, key):
    response = portal.client.patch(f"{portal.base}/preferences", json={"themes": {key: True}},
                                   headers=portal.headers)
    assert response.status_code in (400, 422)
    assert response.get_json()["code"] == response.status_code


@pytest.mark.parametrize("value", HOSTILE_STRINGS + [{"$gt": ""}, [1, 2], 1e308, -1, True])
def test_hostile_billing_dates_are_422(portal, value):
    portal.direct_debit(True)
    response = portal.client.post(f"{portal.base}/paperless", json={"next_billing_date": value},
                                  headers=portal.headers)
    assert response.status_code in (400, 422)


@pytest.mark.parametrize("value", ["%00", "2027-05-10%00", "9999999999-01-01", "2027-05-10T00:00:00",
                                   "%27%20OR%201%3D1", "0000-00-00"])
def test_hostile_query_strings_are_422(portal, value):
    portal.direct_debit(True)
    response = portal.client.delete(f"{portal.base}/paperless?next_billing_date={value}", headers=portal.headers)
    assert response.status_code in (400, 422)


@pytest.mark.parametrize("account_id", ["%00", "a%0Ab", "x" * 200, "%E2%80%AE", "a%20b", ".hidden"])
def test_hostile_account_ids_are_404_or_422(client, writer, account_id):
    for method, path in [("get", "preferences"), ("patch", "preferences"), ("get", "preferences/history")]:
        response = getattr(client, method)(f"/v1/accounts/{account_id}/{path}", json={"email": True}, headers=writer)
        assert response.status_code in (404, 422), (account_id, path, response.status_code)


def test_a_body_over_64_kib_is_413(portal):
    themes = {f"t{i}": True for i in range(8000)}
    response = portal.client.patch(f"{portal.base}/preferences", json={"themes": themes}, headers=portal.headers)
    assert response.status_code == 413


def test_too_many_themes_are_422(portal):
    response = portal.patch({"themes": {f"t{i}": True for i in range(60)}})
    assert response.status_code == 422


@pytest.mark.parametrize("body", ["null", "1", '{"themes": {"building_works": true}, "themes": 3}', "[{}]",
                                  '{"email": true}' * 2, "\xff\xfe"])
def test_odd_json_is_400_or_422(portal, body):
    response = portal.client.patch(f"{portal.base}/preferences", data=body.encode("utf-8", "surrogatepass"),
                                   content_type="application/json", headers=portal.headers)
    assert response.status_code in (400, 422)


def test_nothing_was_stored_by_any_of_it(portal):
    test_hostile_theme_keys_are_422(portal, "\x00")
    assert portal.history().get_json() == {"items": [], "next_before": None}


@pytest.mark.parametrize("query", ["next_billing=2027-05-10", "next_billing_date=2027-05-10&force=1",
                                   "next_billing_date=2027-05-10&next_billing_date=2027-06-10"])
def test_a_cancellation_with_a_misspelt_or_repeated_parameter_is_422_and_changes_nothing(portal, query):
    portal.direct_debit(True)
    portal.paperless("2027-05-10")
    response = portal.client.delete(f"{portal.base}/paperless?{query}", headers=portal.headers)
    assert response.status_code == 422, response.get_json()
    assert portal.status()["status"] == "pending"
