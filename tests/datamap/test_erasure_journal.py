"""The erasure journal: every finished purge is appended outside the database; after a restore
of an older dump, ``purges replay`` erases again whoever it names, idempotently."""
from __future__ import annotations

import datetime as dt
import json
import shutil
import subprocess
import uuid

import pytest
import sqlalchemy as sa

from consent_service import apikeys, create_app
from consent_service.extensions import db

from ..conftest import TEST_CONFIG, scratch_postgres
from .conftest import DATAMAP, NOW, PORTAL
from .helpers import consent_for, run_worker

OTHER = "A1003"


def delete_account(client, api_key, account_id: str) -> str:
    response = client.post(f"/v1/accounts/{account_id}/deletion", headers=api_key("accounts:write"))
    assert response.status_code in (200, 201, 202), response.get_json()
    return response.get_json()["purge_id"]


def purge_all(client, api_key, *accounts: str) -> list[str]:
    ids = [delete_account(client, api_key, account) for account in accounts]
    for _ in range(5):
        run_worker()
    return ids


@pytest.fixture
def journaled(app, tmp_path):
    """The data-map app writing its erasure journal into the test's folder."""
    app.config["ERASURE_JOURNAL"] = str(tmp_path / "erasures.jsonl")
    return app


def lines(app) -> list[dict]:
    with open(app.config["ERASURE_JOURNAL"], encoding="utf-8") as handle:
        return [json.loads(line) for line in handle]


def test_a_finished_purge_is_appended_without_the_account_id(journaled, client, api_key):
    purge_id, = purge_all(client, api_key, "A1001")
    entry, = lines(journaled)
    assert entry["purge_id"] == purge_id and entry["trigger"] == "account_deleted"
    assert len(entry["subject_hash"]) == 64 and entry["finished_at"] == "2027-03-15T10:00:00Z"
    assert "A1001" not in json.dumps(entry)


def test_without_a_journal_nothing_is_written_and_replay_says_so(app, client, api_key, tmp_path):
    purge_all(client, api_key, "A1001")
    assert not list(tmp_path.glob("*.jsonl"))
    result = app.test_cli_runner().invoke(args=["purges", "replay", "--since", "2027-01-01"])
    assert result.exit_code == 1 and "ERASURE_JOURNAL is not set" in result.output


def test_an_unwritable_journal_keeps_the_purge_open(app, client, api_key, tmp_path):
    app.config["ERASURE_JOURNAL"] = str(tmp_path / "missing-dir" / "erasures.jsonl")
    purge_id, = purge_all(client, api_key, "A1001")
    assert client.get(f"/v1/purges/{purge_id}", headers=api_key("accounts:write")).get_json()["status"] != "done"


@pytest.mark.parametrize("text", ["not json\n", '{"purge_id": "x"}\n', '["a"]\n'])
def test_a_damaged_journal_is_reported_not_guessed(journaled, text):
    with open(journaled.config["ERASURE_JOURNAL"], "w", encoding="utf-8") as handle:
        handle.write(text)
    result = journaled.test_cli_runner().invoke(args=["purges", "replay", "--since", "2027-01-01"])
    assert result.exit_code == 1 and "line 1" in result.output


def test_a_bad_since_date_is_refused(journaled):
    result = journaled.test_cli_runner().invoke(args=["purges", "replay", "--since", "15/03/2027"])
    assert result.exit_code == 2


# --- dump, purge, restore, replay (PostgreSQL) ----------------------------------------------------


def add_other_account(portal) -> None:
    """A third tenant, never purged: the restore and the replay must leave it whole."""
    t = PORTAL.tables
    with portal.engine.begin() as conn:
        conn.execute(t["tenants"].insert(), {"account_id": OTHER, "full_name": "Nina Petit",
                                             "email": "nina.petit@example.fr", "birth_date": dt.date(1990, 1, 2)})
        conn.execute(t["documents"].insert(), {"id": 99, "account_id": OTHER, "title": "Receipt",
                                               "issued_on": NOW.date()})
    (portal.root / OTHER).mkdir()
    (portal.root / OTHER / "bail.pdf").write_text("Bail de Nina", encoding="utf-8")


def residue(engine: sa.Engine, root, account_id: str) -> dict:
    """What is left about ``account_id`` in every store: the portal's tables, its files and the
    service's own tables holding an account id."""
    found = {}
    with engine.connect() as conn:
        for table in ("tenants", "documents", "leases"):
            found[table] = conn.execute(sa.text(f"SELECT count(*) FROM {table} WHERE account_id = :a"),
                                        {"a": account_id}).scalar()
        found["payments_named"] = conn.execute(sa.text(
            "SELECT count(*) FROM payments WHERE account_id = :a AND payer_name IS NOT NULL"),
            {"a": account_id}).scalar()
        for table in ("visitor_links", "account_leases", "account_processing"):
            found[table] = conn.execute(sa.text(f"SELECT count(*) FROM {table} WHERE account_id = :a"),
                                        {"a": account_id}).scalar()
        found["consent_records"] = conn.execute(sa.text(
            "SELECT count(*) FROM consent_records WHERE visitor_id = ANY(:v)"),
            {"v": VISITORS.get(account_id, [])}).scalar()
        for table in ("account_preferences", "preference_changes"):
            found[table] = conn.execute(sa.text(f"SELECT count(*) FROM {table} WHERE account_id = :a"),
                                        {"a": account_id}).scalar()
        found["dsar_requests_named"] = conn.execute(sa.text(
            "SELECT count(*) FROM dsar_requests WHERE account_id = :a OR email = :e OR full_name = :n"),
            {"a": account_id, **dict(zip("en", PEOPLE[account_id], strict=True))}).scalar()
        found["data_exports"] = conn.execute(sa.text(
            "SELECT count(*) FROM data_exports WHERE subject_hash = :h"), {"h": HASHES[account_id]}).scalar()
        found["data_export_chunks"] = conn.execute(sa.text(
            "SELECT count(*) FROM data_export_chunks WHERE export_id = ANY(:x)"), {"x": EXPORTS[account_id]}).scalar()
    found["files"] = sorted(p.name for p in (root / account_id).rglob("*")) if (root / account_id).exists() else []
    return found


VISITORS: dict[str, list[str]] = {}
HASHES: dict[str, str] = {}
EXPORTS: dict[str, list[str]] = {}
PEOPLE = {"A1001": ("camille.martin@example.fr", "Camille Martin"),
          "A1002": ("lucas.bernard@example.fr", "Lucas Bernard"), OTHER: ("nina.petit@example.fr", "Nina Petit")}


def everything_the_service_holds(client, api_key, account_id: str) -> None:
    """What the service itself keeps about an account, besides the portal's stores: a visitor
    and its consent proof, preferences and their history, a lease end, a restriction, an access
    export (in the database) and a closed data-subject request naming the person."""
    from datamap.services import subject_hash

    from .test_requests import execute

    VISITORS[account_id] = [consent_for(client, api_key, account_id)]
    changed = client.patch(f"/v1/accounts/{account_id}/preferences", headers=api_key("accounts:write"),
                           json={"themes": {"appointment_confirmations": False}})
    assert changed.status_code == 200, changed.get_json()
    assert client.put(f"/v1/accounts/{account_id}/lease", headers=api_key("accounts:write"),
                      json={"lease_end": "2031-06-30"}).status_code == 200
    email, name = PEOPLE[account_id]
    execute(None, "restriction", account_id=account_id)
    assert execute(None, "access", account_id=account_id, email=email, full_name=name)["export_url"]
    answer = client.post("/v1/dsar/requests", json={"type": "access", "email": email, "full_name": name,
                                                    "account_id": account_id})
    assert answer.status_code == 202, answer.get_json()
    db.session.execute(sa.text("UPDATE dsar_requests SET status = 'completed', closed_at = :t WHERE reference = :r"),
                       {"t": NOW, "r": answer.get_json()["reference"]})
    HASHES[account_id] = subject_hash(account_id)
    EXPORTS[account_id] = list(db.session.execute(sa.text("SELECT export_id FROM data_exports WHERE subject_hash = :h"),
                                                  {"h": HASHES[account_id]}).scalars())
    db.session.commit()


def pg_dump(url: str, target) -> None:
    plain = sa.engine.make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    subprocess.run(["pg_dump", "--format=custom", "--file", str(target), plain], check=True, timeout=120)


def pg_restore(dump, url: str) -> None:
    plain = sa.engine.make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    subprocess.run(["pg_restore", "--no-owner", "--dbname", plain, str(dump)], check=True, timeout=120)


@pytest.fixture
def restored_database(backend):
    if backend != "postgresql":
        pytest.skip("pg_dump and pg_restore: PostgreSQL")
    with scratch_postgres("consent_restore") as url:
        yield url


def test_replay_after_a_restore_leaves_no_residue_and_keeps_receipts(
        journaled, client, api_key, portal, database_url, tmp_path, restored_database):
    add_other_account(portal)
    for account in ("A1001", "A1002", OTHER):
        everything_the_service_holds(client, api_key, account)
    before = {account: residue(db.engine, portal.root, account) for account in ("A1001", "A1002", OTHER)}
    assert all(n for account in before for table, n in before[account].items() if table != "payments_named"
               and table != "leases"), before  # every store holds something of each, to be erased or kept
    dump, files_backup = tmp_path / "service.dump", tmp_path / "documents-backup"
    pg_dump(database_url, dump)  # the night's backup: the database (the portal's tables live in it here) ...
    shutil.copytree(portal.root, files_backup)  # ... and the documents folder

    purge_ids = purge_all(client, api_key, "A1001", "A1002")
    engine = db.engine
    expected = {account: residue(engine, portal.root, account) for account in ("A1001", "A1002", OTHER)}
    for account in ("A1001", "A1002"):  # erased from every store (leases are kept by law)
        assert {table: n for table, n in expected[account].items() if table != "leases" and n} == {}, account
    assert expected[OTHER] == before[OTHER]
    assert [entry["purge_id"] for entry in lines(journaled)] == purge_ids

    pg_restore(dump, restored_database)  # disaster: yesterday's backup comes back, erased people with it
    restored_map = tmp_path / "restored-datamap.yaml"
    restored_map.write_text(DATAMAP.format(url=restored_database, root=files_backup), encoding="utf-8")
    restored = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": restored_database,
                           "DATAMAP_PATH": str(restored_map), "ERASURE_JOURNAL": journaled.config["ERASURE_JOURNAL"]},
                          environ={"SECRET_KEY": "test-secret-key"})
    with restored.app_context():
        back = sa.create_engine(restored_database)
        assert residue(back, files_backup, "A1001")["tenants"] == 1  # the restore brought them back
        runner = restored.test_cli_runner()

        dry = runner.invoke(args=["purges", "replay", "--since", "2027-03-15", "--dry-run"])
        assert dry.exit_code == 0, dry.output
        assert dry.output.count("would erase") == 2 and "2 would be erased again" in dry.output
        assert residue(back, files_backup, "A1001")["tenants"] == 1  # a dry run changes nothing

        done = runner.invoke(args=["purges", "replay", "--since", "2027-03-15"])
        assert done.exit_code == 0, done.output
        assert all(f"purge {purge_id}" in done.output for purge_id in purge_ids)
        assert done.output.count(" erased (") == 2 and "A100" not in done.output
        for account in ("A1001", "A1002", OTHER):
            assert residue(back, files_backup, account) == {**expected[account]}, account

        client_back = restored.test_client()
        for purge_id in purge_ids:
            receipt = client_back.get(f"/v1/purges/{purge_id}", headers=_key(restored))
            assert receipt.status_code == 200 and receipt.get_json()["status"] == "done"

        again = runner.invoke(args=["purges", "replay", "--since", "2027-03-15"])
        assert again.exit_code == 0 and again.output.count("already erased") == 2
        assert "0 erased again" in again.output
        db.session.remove()
        back.dispose()
        db.engine.dispose()
        restored.extensions["datamap"].dispose()


def test_entries_before_since_are_left_out(journaled, client, api_key):
    purge_all(client, api_key, "A1001")
    result = journaled.test_cli_runner().invoke(args=["purges", "replay", "--since", "2027-03-16", "--dry-run"])
    assert result.exit_code == 0 and "0 journal entries since 2027-03-16" in result.output


def _key(app) -> dict:
    key = apikeys.create_key(f"k-{uuid.uuid4().hex[:6]}", ["accounts:write"])
    db.session.commit()
    return {"Authorization": f"Bearer {key}"}
