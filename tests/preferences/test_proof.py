"""Proof of every choice: the append-only history, access exports, purges, restriction and
objection."""
from __future__ import annotations

import io
import json
import zipfile

import pytest
import sqlalchemy as sa

from consent_service.extensions import db
from datamap import engine, purge_start
from preferences import subject_data
from preferences.models import PreferenceChange

from .helpers import Portal, on_day

ADMIN_BASE = "http://127.0.0.1:8000"


@pytest.fixture
def portal(client, writer):
    return Portal(client, writer)


@pytest.fixture
def admin(api_key):
    return api_key("dsar:admin")


@pytest.fixture
def chosen(portal):
    """An account that chose: direct debit, paperless, a theme, e-mail."""
    portal.direct_debit(True)
    portal.paperless("2027-05-10")
    portal.patch({"themes": {"building_works": True}, "email": True})
    return portal


def open_request(client, admin, type_, account_id="A1001"):
    body = {"type": type_, "channel": "post", "received_at": "2027-04-20T09:00:00Z", "full_name": "Camille Martin",
            "email": "camille.martin@example.fr", "account_id": account_id}
    response = client.post("/v1/dsar/requests/intake", json=body, headers=admin)
    assert response.status_code in (201, 202), response.get_json()
    reference = response.get_json()["reference"]
    verified = client.post(f"/v1/dsar/requests/{reference}/verify", json={"method": "document", "note": "ID seen"},
                           headers=admin)
    assert verified.status_code == 200, verified.get_json()
    return reference


def execute(client, admin, reference, body=None):
    response = client.post(f"/v1/dsar/requests/{reference}/execute", json=body or {}, headers=admin)
    assert response.status_code == 200, response.get_json()
    return client.get(f"/v1/dsar/requests/{reference}", headers=admin).get_json()


def run_purges():
    purge_start.start_due_lease_purges()
    engine.run_purges()
    db.session.expire_all()


# --- history -----------------------------------------------------------------------------------


def test_every_change_is_in_the_history_newest_first_with_actor_and_before_after(chosen):
    items = chosen.history().get_json()["items"]
    assert [i["change"] for i in items] == ["themes", "paperless_start", "direct_debit"]
    newest = items[0]
    assert newest["actor"] == "portal" and newest["actor_name"] == "portal-prod" and newest["channel"] == "web"
    assert newest["recorded_at"] == "2027-04-23T08:00:00Z"
    assert newest["before"]["themes"]["building_works"] is False and newest["before"]["email"] is False
    assert newest["after"]["themes"]["building_works"] is True and newest["after"]["email"] is True
    assert newest["asked"] == {"themes": {"building_works": True}, "email": True}
    start = items[1]
    assert start["asked"] == {"next_billing_date": "2027-05-10"}
    assert start["before"]["paperless"]["status"] == "off"
    assert start["after"]["paperless"] == {"status": "pending", "effective_on": "2027-05-10",
                                           "last_electronic_on": None}
    assert items[0]["id"] > items[1]["id"] > items[2]["id"]


def test_a_change_that_changes_nothing_writes_no_history(chosen):
    chosen.patch({"themes": {"building_works": True}})
    chosen.direct_debit(True)
    assert len(chosen.history().get_json()["items"]) == 3


def test_a_refused_change_writes_no_history(portal):
    portal.paperless("2027-05-10")  # 409: no direct debit
    portal.patch({"themes": {"security_alerts": False}})  # 422: mandatory
    assert portal.history().get_json()["items"] == []


def test_the_database_refuses_to_update_the_history(chosen):
    with pytest.raises(sa.exc.DBAPIError):
        with db.engine.begin() as connection:
            connection.execute(sa.update(PreferenceChange.__table__).values(actor_name="someone else"))
    names = {i["actor_name"] for i in chosen.history().get_json()["items"]}
    assert names == {"portal-prod"}


def test_the_orm_refuses_to_update_the_history(chosen):
    change = db.session.execute(sa.select(PreferenceChange)).scalars().first()
    change.note = "edited"
    with pytest.raises(PermissionError):
        db.session.flush()
    db.session.rollback()


def test_history_of_another_account_is_its_own(client, writer, chosen):
    assert Portal(client, writer, "A1002").history().get_json() == {"items": [], "next_before": None}


# --- access exports ------------------------------------------------------------------------------


def _export(client, admin, reference):
    url = execute(client, admin, reference)["export_url"]
    download = client.get(url.removeprefix(ADMIN_BASE))
    assert download.status_code == 200
    archive = zipfile.ZipFile(io.BytesIO(download.data))
    tables = {}
    for name in archive.namelist():
        if name.endswith(("/account_preferences.json", "/preference_changes.json")):
            tables[name.rsplit("/", 1)[1].removesuffix(".json")] = json.loads(archive.read(name))["rows"]
    return archive, tables


def test_the_access_export_holds_the_preferences_and_history_with_human_labels(client, admin, chosen):
    archive, tables = _export(client, admin, open_request(client, admin, "access"))
    (current,) = tables["account_preferences"]
    works = next(t for t in current["themes"] if t["key"] == "building_works")
    assert works == {"key": "building_works", "on": True,
                     "label": {"fr": "Travaux dans ma résidence", "en": "Works in my building"}}
    assert current["paperless"]["label"]["fr"] == "Avis électroniques demandés, pas encore en place"
    assert current["direct_debit"] == {"on": True, "label": {"fr": "Paiement par prélèvement automatique",
                                                            "en": "Payment by direct debit"}}
    history = tables["preference_changes"]
    assert [c["change"] for c in history] == ["direct_debit", "paperless_start", "themes"]  # oldest first
    assert history[1]["change_label"]["fr"] == "Demande d'avis d'échéance électroniques"
    assert history[1]["actor_label"]["fr"] == "Le portail, à la demande du locataire"
    article15 = json.loads(archive.read("article15.json"))
    about = next(p for p in article15["processing"] if p["table"] == "preference_changes")
    assert about["records"] == 3 and "Mes préférences" in about["purpose"]


def test_the_export_of_an_account_without_preferences_has_empty_sections(client, admin):
    _archive, tables = _export(client, admin, open_request(client, admin, "access"))
    assert tables == {"account_preferences": [], "preference_changes": []}


# --- purges ----------------------------------------------------------------------------------


def _receipt_rows(client, admin, purge_id) -> dict:
    receipt = client.get(f"/v1/purges/{purge_id}", headers=admin).get_json()
    assert receipt["status"] == "done"
    return {s["table"]: s["rows"] for s in receipt["stores"] if s["table"] in subject_data.TABLES}


def test_account_deletion_erases_preferences_and_history_and_the_receipt_lists_them(client, writer, admin, chosen):
    other = Portal(client, writer, "A1002")
    other.patch({"email": True})
    purge_id = client.post("/v1/accounts/A1001/deletion", headers=writer).get_json()["purge_id"]
    run_purges()
    assert subject_data.count_account("A1001") == {"account_preferences": 0, "preference_changes": 0}
    assert _receipt_rows(client, admin, purge_id) == {"account_preferences": 1, "preference_changes": 3}
    assert subject_data.count_account("A1002") == {"account_preferences": 1, "preference_changes": 1}


def test_a_purged_account_gets_no_new_preferences(client, writer, chosen):
    client.post("/v1/accounts/A1001/deletion", headers=writer)
    run_purges()
    response = chosen.patch({"email": False})
    assert response.status_code == 409
    assert chosen.get().get_json()["email"] is False  # the defaults again: nothing is kept
    assert subject_data.count_account("A1001") == {"account_preferences": 0, "preference_changes": 0}


def test_the_lease_end_purge_three_months_later_erases_them(client, writer, admin, chosen):
    client.put("/v1/accounts/A1001/lease", json={"lease_end": "2027-04-30"}, headers=writer)
    on_day(2027, 7, 29)
    run_purges()
    assert subject_data.count_account("A1001")["preference_changes"] == 3
    on_day(2027, 7, 30)
    run_purges()
    assert subject_data.count_account("A1001") == {"account_preferences": 0, "preference_changes": 0}
    purge_id = db.session.execute(sa.text("SELECT purge_id FROM purges WHERE trigger = 'lease_ended'")).scalar_one()
    assert _receipt_rows(client, admin, purge_id) == {"account_preferences": 1, "preference_changes": 3}


def test_an_erasure_request_erases_them(client, admin, chosen):
    detail = execute(client, admin, open_request(client, admin, "erasure"))
    run_purges()
    assert subject_data.count_account("A1001") == {"account_preferences": 0, "preference_changes": 0}
    assert _receipt_rows(client, admin, detail["purge_id"]) == {"account_preferences": 1, "preference_changes": 3}


# --- restriction and objection -----------------------------------------------------------------


def test_a_restriction_leaves_preferences_as_they_are(client, admin, chosen):
    before = chosen.get().get_json()
    execute(client, admin, open_request(client, admin, "restriction"))
    assert chosen.get().get_json() == before
    assert len(chosen.history().get_json()["items"]) == 3


def test_an_objection_to_a_theme_turns_it_off_with_its_history(client, admin, chosen):
    reference = open_request(client, admin, "objection")
    detail = execute(client, admin, reference, {"categories": ["building_works", "security_alerts", "analytics"]})
    themes = chosen.get().get_json()["themes"]
    assert themes["building_works"] is False
    assert themes["security_alerts"] is True  # mandatory: it protects the account
    newest = chosen.history().get_json()["items"][0]
    assert (newest["change"], newest["actor"], newest["actor_name"]) == ("objection", "dsar", reference)
    assert newest["before"]["themes"]["building_works"] is True
    assert "Notification themes turned off: building_works." in detail["events"][-1]["note"]


def test_an_objection_naming_no_theme_changes_no_preference(client, admin, chosen):
    execute(client, admin, open_request(client, admin, "objection"), {"categories": ["analytics"]})
    assert len(chosen.history().get_json()["items"]) == 3


def test_objection_categories_must_be_keys(client, admin):
    reference = open_request(client, admin, "objection")
    response = client.post(f"/v1/dsar/requests/{reference}/execute", json={"categories": ["Bad Key!"]},
                           headers=admin)
    assert response.status_code == 422


def test_the_history_comes_a_page_at_a_time(client, writer, chosen):
    first = client.get("/v1/accounts/A1001/preferences/history?limit=2", headers=writer).get_json()
    assert [i["change"] for i in first["items"]] == ["themes", "paperless_start"]
    rest = client.get(f"/v1/accounts/A1001/preferences/history?limit=2&before={first['next_before']}",
                      headers=writer).get_json()
    assert [i["change"] for i in rest["items"]] == ["direct_debit"] and rest["next_before"] is None
    assert chosen.history().get_json()["next_before"] is None


@pytest.mark.parametrize("query", ["limit=0", "limit=1001", "limit=x", "before=0", "before=-3", "before=1e9"])
def test_bad_history_pages_are_422(client, writer, query):
    assert client.get(f"/v1/accounts/A1001/preferences/history?{query}", headers=writer).status_code == 422
