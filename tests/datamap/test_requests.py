"""What the DSAR workflow's /execute does through the data map, and the identity check."""
from __future__ import annotations

import datetime as dt
import io
import json
import threading
import zipfile

import flask
import pytest
import sqlalchemy as sa

from consent_service import clock, hooks
from consent_service.extensions import db
from datamap import export_store
from datamap.export_store import DataExportChunk
from datamap.models import DataExport

from .conftest import NOW, fake_request
from .helpers import consent_for, run_worker


def execute(app, type_, body=None, **request):
    return hooks.DSAR_EXECUTORS.get(type_)(fake_request(type_, **request), body or {})


def token_of(url: str) -> str:
    assert url.startswith("http://127.0.0.1:8000/dsar/exports/")
    return url.rsplit("/", 1)[1]


def download(client, url):
    return client.get(f"/dsar/exports/{token_of(url)}")


@pytest.mark.parametrize("type_", ["access", "portability"])
def test_access_builds_a_zip_of_json_with_a_summary_and_article_15(app, client, api_key, type_):
    consent_for(client, api_key, "A1001")
    result = execute(app, type_)
    assert result["purge_id"] is None and "Export" in result["note"] and "Camille" not in result["note"]
    db.session.commit()
    response = download(client, result["export_url"])
    assert response.status_code == 200
    assert response.mimetype == "application/zip" and response.headers["Cache-Control"] == "no-store"
    archive = zipfile.ZipFile(io.BytesIO(response.data))
    names = set(archive.namelist())
    assert {"data/portal/tenants.json", "data/portal/documents.json", "data/portal/payments.json",
            "data/portal/leases.json", "data/documents-files/files.json", "data/consent-service/consent_records.json",
            "data/consent-service/visitor_links.json", "summary.html", "article15.json"} <= names
    tenants = json.loads(archive.read("data/portal/tenants.json"))
    assert tenants["rows"] == [{"account_id": "A1001", "full_name": "Camille Martin",
                                "email": "camille.martin@example.fr", "birth_date": "1985-04-12",
                                "phone": "+33 6 00 00 00 00"}]
    assert len(json.loads(archive.read("data/portal/documents.json"))["rows"]) == 3
    files = json.loads(archive.read("data/documents-files/files.json"))["rows"]
    assert sorted(f["name"] for f in files) == ["2026/quittance.pdf", "bail.pdf", "old.pdf"]
    assert archive.read("files/documents-files/bail.pdf").startswith(b"Bail de Camille")
    consents = json.loads(archive.read("data/consent-service/consent_records.json"))["rows"]
    assert len(consents) == 1 and consents[0]["action"] == "accept_all"
    every = b"".join(archive.read(n) for n in names)
    assert b"A1002" not in every and b"Lucas" not in every  # only this subject's data
    info = json.loads(archive.read("article15.json"))
    tenants_info = next(p for p in info["processing"] if p["table"] == "tenants")
    assert tenants_info["purpose"] == "Tenant account" and tenants_info["lawful_basis"] == "Lease contract"
    assert tenants_info["recipients"] == ["Gestion locative"] and tenants_info["source"] == "The tenant"
    assert next(p for p in info["processing"] if p["table"] == "documents")["retention_months"] == 36
    assert "CNIL" in info["complaint"]["name"] and len(info["rights"]) == 6
    summary = archive.read("summary.html").decode()
    assert "Vos données personnelles" in summary and "DSAR-2027-TESTTEST" in summary
    assert "réclamation" in summary and "www.cnil.fr" in summary and "Rent receipts" in summary


def test_the_summary_is_in_english_for_an_english_request(app, client):
    result = execute(app, "access", locale="en")
    db.session.commit()
    archive = zipfile.ZipFile(io.BytesIO(download(client, result["export_url"]).data))
    assert "Your personal data" in archive.read("summary.html").decode()


def test_the_summary_escapes_what_the_data_map_and_stores_hold(app, client, portal):
    with portal.engine.begin() as conn:
        conn.execute(sa.text("UPDATE tenants SET full_name = '<script>x</script>' WHERE account_id = 'A1001'"))
    app.extensions["datamap"].controller["name"] = "<b>Bailleur</b>"
    result = execute(app, "access")
    db.session.commit()
    archive = zipfile.ZipFile(io.BytesIO(download(client, result["export_url"]).data))
    summary = archive.read("summary.html").decode()
    assert "<b>Bailleur</b>" not in summary and "&lt;b&gt;Bailleur&lt;/b&gt;" in summary


def chunks() -> int:
    return db.session.execute(db.select(sa.func.count()).select_from(DataExportChunk)).scalar()


def test_an_export_link_expires_after_seven_days_and_the_worker_deletes_the_archive(app, client):
    result = execute(app, "access")
    db.session.commit()
    export = db.session.execute(db.select(DataExport)).scalar_one()
    assert chunks() >= 1
    assert export.expires_at == NOW + dt.timedelta(days=7)
    clock.set_now(NOW + dt.timedelta(days=6, hours=23))
    assert download(client, result["export_url"]).status_code == 200
    clock.set_now(NOW + dt.timedelta(days=7, seconds=1))
    response = download(client, result["export_url"])
    assert response.status_code == 410 and b"<html" in response.data.lower()
    run_worker()
    assert chunks() == 0
    assert db.session.execute(db.select(DataExport)).first() is None


@pytest.mark.parametrize("token", ["nope", "a.b.c", "x" * 300])
def test_an_altered_or_unknown_export_token_is_404(app, client, token):
    assert client.get(f"/dsar/exports/{token}").status_code == 404


def test_an_altered_export_token_is_404(app, client):
    result = execute(app, "access")
    db.session.commit()
    token = token_of(result["export_url"])
    altered = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    assert client.get(f"/dsar/exports/{altered}").status_code == 404


def test_an_export_is_deleted_with_its_account(app, client, writer):
    result = execute(app, "access")
    db.session.commit()
    client.post("/v1/accounts/A1001/deletion", headers=writer)
    run_worker()
    assert download(client, result["export_url"]).status_code == 410
    assert chunks() == 0


@pytest.mark.parametrize("type_", ["access", "erasure", "rectification", "restriction", "objection"])
def test_a_request_without_an_account_or_with_a_bad_one_is_refused(app, type_):
    with pytest.raises(Exception) as err:
        execute(app, type_, {"changes": {"phone": "1"}}, account_id=None)
    assert err.value.code == 409
    with pytest.raises(Exception) as err:
        execute(app, type_, {"changes": {"phone": "1"}}, account_id="../etc")
    assert err.value.code == 422 and "account_id" in err.value.errors


def test_erasure_starts_the_account_purge_and_returns_its_id(app, client, writer, portal):
    result = execute(app, "erasure")
    assert result["purge_id"] and result["export_url"] is None
    db.session.commit()
    again = client.post("/v1/accounts/A1001/deletion", headers=writer).get_json()
    assert again["purge_id"] == result["purge_id"]  # one purge per account, whatever the trigger
    run_worker()
    receipt = client.get(f"/v1/purges/{result['purge_id']}", headers=writer).get_json()
    assert receipt["trigger"] == "dsar_erasure" and receipt["status"] == "done"
    assert portal.count("tenants", account_id="A1001") == 0


def test_rectification_changes_only_rectifiable_columns(app, portal):
    result = execute(app, "rectification", {"changes": {"phone": "+33 7 11 22 33 44", "birth_date": "1985-04-13"}})
    assert "Rectified" in result["note"] and "+33" not in result["note"]
    row = portal.rows("tenants", account_id="A1001")[0]
    assert row["phone"] == "+33 7 11 22 33 44" and row["birth_date"] == dt.date(1985, 4, 13)
    assert portal.rows("tenants", account_id="A1002")[0]["phone"] == "+33 6 00 00 00 01"


@pytest.mark.parametrize("changes,field", [
    ({"iban": "FR00"}, "iban"),
    ({"account_id": "A2"}, "account_id"),
    ({"phone": "x", "amount_cents": 1}, "amount_cents"),
    ({"birth_date": "13/04/1985"}, "birth_date"),
    ({"full_name": "a\x00b"}, "full_name"),
    ({"full_name": {"x": 1}}, "full_name"),
    ({"full_name": "x" * 501}, "full_name"),
])
def test_rectification_of_other_fields_is_refused_naming_them_and_changes_nothing(app, portal, changes, field):
    with pytest.raises(Exception) as err:
        execute(app, "rectification", {"changes": changes})
    assert err.value.code == 422 and field in err.value.errors["changes"]
    assert portal.rows("tenants", account_id="A1001")[0]["phone"] == "+33 6 00 00 00 00"


def test_rectification_of_an_account_without_rows_is_a_conflict(app):
    with pytest.raises(Exception) as err:
        execute(app, "rectification", {"changes": {"phone": "1"}}, account_id="Z9999")
    assert err.value.code == 409


def test_restriction_and_objection_are_answered_by_processing(app, client, writer):
    assert client.get("/v1/accounts/A1001/processing", headers=writer).get_json() == \
        {"restricted": False, "objections": []}
    execute(app, "restriction")
    execute(app, "objection")
    db.session.commit()
    assert client.get("/v1/accounts/A1001/processing", headers=writer).get_json() == \
        {"restricted": True, "objections": ["analytics"]}
    assert client.get("/v1/accounts/A1002/processing", headers=writer).get_json()["restricted"] is False


def test_an_objection_turns_analytics_off_for_the_account_visitors(app, client, api_key):
    visitor = consent_for(client, api_key, "A1001")
    other = consent_for(client, api_key, "A1002")
    execute(app, "objection")
    db.session.commit()
    cache = hooks.CONSENT_OBJECTIONS.get()
    assert cache(visitor) == {"analytics"} and cache(other) == frozenset()


def test_objections_answer_from_a_cache_without_a_query_per_call(app, client, api_key):
    visitor = consent_for(client, api_key, "A1001")
    execute(app, "objection")
    db.session.commit()
    cache = hooks.CONSENT_OBJECTIONS.get()
    cache(visitor)
    statements = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    sa.event.listen(db.engine, "before_cursor_execute", listener)
    try:
        for _ in range(50):
            assert cache(visitor) == {"analytics"}
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", listener)
    assert statements == []


def test_the_cache_refreshes_outside_any_application_context(app, client, api_key):
    """The consent-state hot handler asks without an application context: the cache reads the
    objections in one of its own."""
    visitor = consent_for(client, api_key, "A1001")
    execute(app, "objection")
    db.session.commit()
    cache = hooks.CONSENT_OBJECTIONS.get()
    cache.forget()
    seen = []
    thread = threading.Thread(target=lambda: seen.append((flask.has_app_context(), cache(visitor))))
    thread.start()
    thread.join()
    assert seen == [(False, {"analytics"})]


def test_the_consent_state_of_an_objecting_account_visitor_has_analytics_off(app, client, api_key):
    consent_for(client, api_key, "A1001")
    decision = client.post("/v1/sites/espace-locataire/consents", json={"action": "accept_all"}).get_json()
    client.post("/v1/accounts/A1001/visitors", json={"visitor_id": decision["visitor_id"]},
                headers=api_key("accounts:write"))
    state = client.get("/v1/sites/espace-locataire/consent-state").get_json()
    assert state["categories"]["analytics"] is True
    execute(app, "objection")
    db.session.commit()
    state = client.get("/v1/sites/espace-locataire/consent-state").get_json()
    assert state["categories"]["analytics"] is False and state["show_banner"] is False


@pytest.mark.parametrize("account_id,birth,email,expected", [
    ("A1001", dt.date(1985, 4, 12), "camille.martin@example.fr", True),
    ("A1001", "1985-04-12", " Camille.Martin@Example.FR ", True),
    ("A1001", dt.date(1985, 4, 13), "camille.martin@example.fr", False),
    ("A1001", dt.date(1985, 4, 12), "someone@example.fr", False),
    ("A1001", None, "camille.martin@example.fr", False),
    ("A1002", dt.date(1985, 4, 12), "camille.martin@example.fr", False),
    ("Z9999", dt.date(1985, 4, 12), "camille.martin@example.fr", False),
    ("../x", dt.date(1985, 4, 12), "camille.martin@example.fr", False),
])
def test_identity_is_verified_by_birth_date_and_email(app, account_id, birth, email, expected):
    assert hooks.IDENTITY_VERIFIER.get()(account_id, birth, email) is expected


def test_identity_check_with_a_store_down_is_just_false(app, monkeypatch):
    store = app.extensions["datamap"].store("portal")
    monkeypatch.setattr(store, "engine", sa.create_engine("postgresql+psycopg://x@127.0.0.1:1/x"))
    assert hooks.IDENTITY_VERIFIER.get()("A1001", dt.date(1985, 4, 12),
                                                    "camille.martin@example.fr") is False


def test_an_export_whose_transaction_failed_leaves_nothing_behind(app, client):
    execute(app, "access")
    db.session.rollback()  # the DSAR transaction failed: neither the row nor the archive stays
    assert chunks() == 0 and db.session.execute(db.select(DataExport)).first() is None


def test_an_export_is_served_by_another_process_of_the_deployment(app, client, make_app, tmp_path):
    result = execute(app, "access")
    db.session.commit()
    mine = download(client, result["export_url"])
    other = make_app(DATAMAP_PATH=app.config["DATAMAP_PATH"])  # another host: its own instance folder
    other.instance_path = str(tmp_path / "another-host")
    with other.app_context():
        theirs = download(other.test_client(), result["export_url"])
    assert theirs.status_code == 200 and theirs.data == mine.data
    assert zipfile.ZipFile(io.BytesIO(theirs.data)).testzip() is None


def test_an_export_is_stored_and_streamed_in_chunks(app, client, monkeypatch):
    monkeypatch.setattr(export_store, "CHUNK_BYTES", 2048)
    result = execute(app, "access")
    db.session.commit()
    export = db.session.execute(db.select(DataExport)).scalar_one()
    assert chunks() == -(-export.size // 2048) > 1
    response = client.get(f"/dsar/exports/{token_of(result['export_url'])}", buffered=False)
    assert response.is_streamed and int(response.headers["Content-Length"]) == export.size
    assert zipfile.ZipFile(io.BytesIO(b"".join(response.response))).testzip() is None
    response.close()
