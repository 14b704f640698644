"""A receipt says what happened, whatever crashes in between (docs/datamap.md, "Purges and
receipts"): a worker killed after a store committed, and a statement that outlives its lease."""
from __future__ import annotations

import datetime as dt
import logging
import threading
import time

import pytest

from consent_service import clock
from consent_service.extensions import db
from datamap import connectors, engine
from datamap.models import PurgeStep

from .conftest import NOW

STORE_TABLES = ("tenants", "documents", "payments")


class WorkerKilled(BaseException):
    """Stands for SIGKILL: nothing in the worker catches it, nothing after it runs."""


def _there(portal) -> dict:
    """What the purge must account for: the subject's rows per table and its files."""
    rows = {name: portal.count(name, account_id="A1001") for name in (*STORE_TABLES, "leases")}
    rows["files"] = sum(1 for path in (portal.root / "A1001").rglob("*") if path.is_file())
    return rows


def _receipt(client, writer, purge_id) -> dict:
    body = client.get(f"/v1/purges/{purge_id}", headers=writer).get_json()
    return {(entry["table"] or "files"): entry["rows"] for entry in body["stores"]
            if entry["store"] in ("portal", "documents-files")} | {"status": body["status"]}


def test_a_worker_killed_after_the_stores_committed_leaves_a_true_receipt(app, client, writer, portal, monkeypatch):
    there = _there(portal)
    assert there == {"tenants": 1, "documents": 3, "payments": 2, "leases": 1, "files": 3}
    purge_id = client.post("/v1/accounts/A1001/deletion", headers=writer).get_json()["purge_id"]
    record = engine._finish

    def killed_before_recording(step, rows, counts):
        if step.writes_elsewhere:
            raise WorkerKilled()  # the store has committed; the step's record never happens
        return record(step, rows, counts)

    monkeypatch.setattr(engine, "_finish", killed_before_recording)
    for _ in range(6):
        try:
            engine.run_purges()
        except WorkerKilled:
            db.session.rollback()
    monkeypatch.setattr(engine, "_finish", record)
    assert portal.count("documents", account_id="A1001") == 0 and not (portal.root / "A1001").exists()
    running = db.session.execute(db.select(PurgeStep.table_name).where(PurgeStep.status == "running")).scalars()
    assert set(running) == {*STORE_TABLES, None}  # each store step died unrecorded

    clock.set_now(NOW + dt.timedelta(seconds=app.config["PURGE_STEP_LEASE_SECONDS"] + 1))  # the leases run out
    engine.run_purges()
    assert _receipt(client, writer, purge_id) == {**there, "status": "done"}


def _slow_first_call(monkeypatch, table_name: str, seconds: float):
    """The first statement on ``table_name`` takes ``seconds``; returns who ran which statement."""
    real = connectors.erase_batch
    began = threading.Event()
    calls: list[tuple[str, str]] = []

    def erase_batch(store, table, account_id, batch, pseudonym):
        calls.append((threading.current_thread().name, table.name))
        if table.name == table_name and not began.is_set():
            began.set()
            time.sleep(seconds)
        return real(store, table, account_id, batch, pseudonym)

    monkeypatch.setattr(connectors, "erase_batch", erase_batch)
    return began, calls


def _worker_a(app):
    def run():
        with app.app_context():
            engine.run_purges()
            db.session.remove()

    return threading.Thread(target=run, name="worker-a")


def test_a_statement_outliving_its_lease_is_never_run_twice(app, client, writer, portal, monkeypatch):
    app.config["PURGE_STEP_LEASE_SECONDS"] = 1
    there = _there(portal)
    purge_id = client.post("/v1/accounts/A1001/deletion", headers=writer).get_json()["purge_id"]
    db.session.commit()
    began, calls = _slow_first_call(monkeypatch, "documents", 3.0)
    worker_a = _worker_a(app)
    worker_a.start()
    assert began.wait(20)
    clock.set_now(NOW + dt.timedelta(seconds=2))  # the claim's lease has run out by the clock...
    time.sleep(0.8)  # ...and the keeper has renewed it since
    engine.run_purges()  # worker B, while A's statement still runs
    db.session.remove()
    worker_a.join(30)
    engine.run_purges()
    assert [who for who, table in calls if table == "documents"] == ["worker-a"]
    assert _receipt(client, writer, purge_id) == {**there, "status": "done"}


def test_a_stalled_worker_whose_step_was_taken_over_writes_nothing(app, client, writer, portal, monkeypatch, caplog):
    """Without the keeper's renewals (a stalled worker), another worker takes the step; the
    stalled one's late record is refused by the fence, and the receipt stays true."""
    app.config["PURGE_STEP_LEASE_SECONDS"] = 1
    monkeypatch.setattr(engine.LeaseKeeper, "_run", lambda self: None)
    there = _there(portal)
    purge_id = client.post("/v1/accounts/A1001/deletion", headers=writer).get_json()["purge_id"]
    db.session.commit()
    began, calls = _slow_first_call(monkeypatch, "documents", 2.0)
    worker_a = _worker_a(app)
    with caplog.at_level(logging.WARNING, logger="datamap.engine"):
        worker_a.start()
        assert began.wait(20)
        clock.set_now(NOW + dt.timedelta(seconds=2))
        engine.run_purges()  # worker B takes the documents step over and finishes it
        db.session.remove()
        worker_a.join(30)
    engine.run_purges()
    assert [who for who, table in calls if table == "documents"] == ["worker-a", "MainThread"]
    assert any("taken over" in record.getMessage() for record in caplog.records)
    documents = db.session.execute(db.select(PurgeStep).where(PurgeStep.table_name == "documents")).scalar_one()
    assert documents.status == "done" and documents.attempts == 2 and documents.counted == 3
    assert _receipt(client, writer, purge_id) == {**there, "status": "done"}


@pytest.mark.parametrize("batch", [1, 2])
def test_batched_steps_count_what_was_there(app, client, writer, portal, batch):
    app.config["PURGE_BATCH_SIZE"] = batch
    there = _there(portal)
    purge_id = client.post("/v1/accounts/A1001/deletion", headers=writer).get_json()["purge_id"]
    for _ in range(20):
        if not engine.run_purges():
            break
    assert _receipt(client, writer, purge_id) == {**there, "status": "done"}
