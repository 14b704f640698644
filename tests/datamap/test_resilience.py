"""A store that is down, a worker killed mid-step, a consent racing a purge."""
from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from consent_service import clock
from consent_service.extensions import db
from cookies.models import ConsentRecord, VisitorLink
from datamap import connectors, engine
from datamap.models import Purge, PurgeStep

from .conftest import NOW
from .helpers import consent_for, consent_rows, link_rows, run_worker


def start(client, writer, account_id="A1001") -> str:
    return client.post(f"/v1/accounts/{account_id}/deletion", headers=writer).get_json()["purge_id"]


def steps_of(purge_id):
    db.session.expire_all()
    return {(s.store, s.table_name): s for s in db.session.get(Purge, purge_id).steps}


@pytest.fixture
def portal_down(app, monkeypatch):
    """Point the portal store at a server that refuses connections."""
    store = app.extensions["datamap"].store("portal")
    dead = sa.create_engine("postgresql+psycopg://nobody@127.0.0.1:1/none", connect_args={"connect_timeout": 1})
    monkeypatch.setattr(store, "engine", dead)
    return store


def test_a_store_that_is_down_is_retried_later_and_the_others_go_on(app, client, writer, portal, portal_down,
                                                                       monkeypatch):
    purge_id = start(client, writer)
    run_worker()
    steps = steps_of(purge_id)
    tenants = steps[("portal", "tenants")]
    assert tenants.status == "pending" and tenants.attempts == 1 and tenants.error == "OperationalError"
    assert tenants.next_attempt_at == NOW + dt.timedelta(seconds=10)
    assert steps[("documents-files", None)].status == "done"
    assert db.session.get(Purge, purge_id).status == "running"
    receipt = client.get(f"/v1/purges/{purge_id}", headers=writer).get_json()
    assert receipt["status"] == "running"
    assert {e["status"] for e in receipt["stores"] if e["store"] == "portal"} == {"pending"}
    # back up: the next try after the delay finishes the purge
    monkeypatch.undo()
    run_worker()
    assert steps_of(purge_id)[("portal", "tenants")].status == "pending"  # not yet due
    clock.set_now(NOW + dt.timedelta(seconds=11))
    run_worker()
    assert db.session.get(Purge, purge_id).status == "done"
    assert portal.count("tenants", account_id="A1001") == 0


def test_a_store_down_past_its_last_try_fails_that_store_only(app, client, writer, portal, portal_down):
    purge_id = start(client, writer)
    for attempt in range(3):  # PURGE_MAX_ATTEMPTS = 3, retry after 10 s, 20 s
        clock.set_now(NOW + dt.timedelta(seconds=100 * attempt))
        run_worker()
    receipt = client.get(f"/v1/purges/{purge_id}", headers=writer).get_json()
    assert receipt["status"] == "failed" and receipt["finished_at"]
    by_store = {}
    for entry in receipt["stores"]:
        by_store.setdefault(entry["store"], set()).add(entry["status"])
    assert by_store == {"portal": {"failed"}, "documents-files": {"done"}, "consent-service": {"done"}}
    assert all(e["attempts"] == 3 for e in receipt["stores"] if e["status"] == "failed")


def test_asking_again_after_a_failure_reopens_the_same_purge(app, client, writer, portal, portal_down, monkeypatch):
    purge_id = start(client, writer)
    for attempt in range(3):
        clock.set_now(NOW + dt.timedelta(seconds=100 * attempt))
        run_worker()
    assert db.session.get(Purge, purge_id).status == "failed"
    monkeypatch.undo()
    again = client.post("/v1/accounts/A1001/deletion", headers=writer)
    assert again.get_json() == {"purge_id": purge_id, "status": "pending"}
    run_worker()
    assert db.session.get(Purge, purge_id).status == "done"
    assert portal.count("tenants", account_id="A1001") == 0


def test_a_crash_mid_step_leaves_a_step_the_next_worker_finishes(app, client, writer, portal, monkeypatch):
    app.config["PURGE_BATCH_SIZE"] = 1
    purge_id = start(client, writer)
    real = connectors.erase_batch
    calls = []

    def crash_after_one_batch(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt  # like SIGKILL: nothing in the engine gets to handle it
        return real(*args, **kwargs)

    monkeypatch.setattr(connectors, "erase_batch", crash_after_one_batch)
    with pytest.raises(KeyboardInterrupt):
        engine.run_purges()
    db.session.rollback()
    monkeypatch.undo()
    step = steps_of(purge_id)[("portal", "tenants")]
    assert step.status == "running" and step.lease_until > NOW
    run_worker()  # the lease still holds: another worker leaves it alone
    assert steps_of(purge_id)[("portal", "tenants")].status == "running"
    clock.set_now(NOW + dt.timedelta(seconds=app.config["PURGE_STEP_LEASE_SECONDS"] + 1))
    run_worker()
    assert db.session.get(Purge, purge_id).status == "done"
    assert portal.count("documents", account_id="A1001") == 0


def test_a_worker_killed_with_sigkill_mid_purge_is_finished_by_the_next(app, client, writer, portal, database_url,
                                                                         tmp_path):
    clock.set_now(None)  # the worker process runs on the real clock
    purge_id = start(client, writer)
    db.session.commit()
    db.session.remove()
    env = {**os.environ, "DATABASE_URL": database_url, "DATAMAP_PATH": str(portal.map_path),
           "SECRET_KEY": "test-secret-key", "PURGE_BATCH_SIZE": "1", "PURGE_BATCH_PAUSE_SECONDS": "0.4",
           "FLASK_APP": "consent_service"}
    flask = Path(sys.executable).parent / "flask"
    process = subprocess.Popen([str(flask), "worker", "--once"], env=env, cwd=Path(__file__).parents[2],
                               stdout=subprocess.DEVNULL, stderr=(tmp_path / "worker.log").open("w"))
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            db.session.remove()
            running = db.session.execute(db.select(PurgeStep).where(
                PurgeStep.purge_id == purge_id, PurgeStep.status == "running", PurgeStep.rows > 0)).scalars().first()
            if running is not None:
                break
            time.sleep(0.05)
        assert running is not None, (tmp_path / "worker.log").read_text()[-3000:]
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait(10)
    db.session.remove()
    assert db.session.get(Purge, purge_id).status == "running"
    assert portal.count("documents", account_id="A1001") + portal.count("tenants", account_id="A1001") > 0
    clock.set_now(dt.datetime.now(dt.UTC) + dt.timedelta(minutes=10))  # past the dead worker's lease
    run_worker()
    assert db.session.get(Purge, purge_id).status == "done"
    for table in ("tenants", "documents", "payments"):
        assert portal.count(table, account_id="A1001") == 0
    assert not (portal.root / "A1001").exists()


def test_a_consent_racing_a_purge_leaves_nothing_linked_to_the_account(app, client, writer, api_key):
    visitor = consent_for(client, api_key, "A1001")
    start(client, writer)
    stop = threading.Event()
    posted = []

    def post_consents():
        with app.app_context():
            poster = app.test_client()
            while not stop.is_set():
                response = poster.post("/v1/sites/espace-locataire/consents",
                                       json={"action": "refuse_all", "visitor_id": visitor})
                posted.append(response.status_code)
            db.session.remove()

    thread = threading.Thread(target=post_consents)
    thread.start()
    try:
        while len(posted) < 3:
            time.sleep(0.01)
        run_worker()
        before = len(posted)
        while len(posted) < before + 3:
            time.sleep(0.01)
    finally:
        stop.set()
        thread.join(20)
    assert set(posted) == {201}
    db.session.expire_all()
    assert link_rows("A1001") == 0
    linked = db.session.execute(db.select(db.func.count()).select_from(ConsentRecord).where(
        ConsentRecord.visitor_id.in_(db.select(VisitorLink.visitor_id).where(VisitorLink.account_id == "A1001")))
    ).scalar_one()
    assert linked == 0
    from cookies.services import history

    assert history(account_id="A1001") == []
    # what the browser records afterwards is an anonymous visitor's, tied to no account
    assert consent_rows(visitor) >= 1
