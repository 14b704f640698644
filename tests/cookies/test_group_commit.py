"""Group commit: concurrent proofs share a transaction, and nobody returns before its own row
is committed (or returns an error when its batch failed)."""
import datetime as dt
import os
import threading
import time
import uuid

import pytest
import sqlalchemy as sa

from consent_service.extensions import db
from cookies.group_commit import GroupCommit
from cookies.models import ConsentRecord

from .helpers import decide, make_site

INSERT = ConsentRecord.__table__.insert()


class FakeConnection:
    def __init__(self, database):
        self.database, self.closed, self.statements = database, False, []

    def execute(self, statement, values=None):
        """Autocommit: the statement is committed when this returns (after ``delay``, a WAL flush)."""
        assert not self.closed
        if isinstance(statement, sa.TextClause):  # the ping
            self.statements.append(str(statement))
            if self.database.stale:
                raise RuntimeError("server closed the connection")
            return
        # A batch is one statement: its rows are in its VALUES (no executemany).
        rows = [values] if values is not None else [dict(row) for row in statement._multi_values[0]]
        time.sleep(self.database.delay)
        if self.database.fail:
            raise RuntimeError("database down")
        self.database.committed.append(rows)

    def close(self):
        self.closed = True

    def invalidate(self):
        self.closed = True


class FakeDatabase:
    """Records each committed batch and every connection taken from it."""

    def __init__(self, delay=0.05, fail=False):
        self.delay, self.fail, self.stale, self.committed, self.connections = delay, fail, False, [], []

    def connect(self):
        self.connections.append(FakeConnection(self))
        return self.connections[-1]


def _run_threads(writer, count):
    outcomes = {}

    def decide(n):
        try:
            writer.execute(INSERT, {"n": n})
            outcomes[n] = "committed"
        except RuntimeError as err:
            outcomes[n] = str(err)

    threads = [threading.Thread(target=decide, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


def test_one_writer_alone_commits_its_row_in_its_own_transaction():
    fake = FakeDatabase(delay=0)
    writer = GroupCommit(fake.connect)
    writer.execute(INSERT, {"n": 1})
    writer.execute(INSERT, {"n": 2})
    assert fake.committed == [[{"n": 1}], [{"n": 2}]]


def test_concurrent_proofs_share_transactions_and_each_waits_for_its_own():
    fake = FakeDatabase(delay=0.05)
    writer = GroupCommit(fake.connect)
    outcomes = _run_threads(writer, 20)
    assert outcomes == {n: "committed" for n in range(20)}
    committed = [row["n"] for batch in fake.committed for row in batch]
    assert sorted(committed) == list(range(20))  # each row once
    assert len(fake.committed) < 20  # and fewer commits than rows


def test_a_batch_is_never_larger_than_the_limit():
    fake = FakeDatabase(delay=0.05)
    writer = GroupCommit(fake.connect, max_batch=3)
    assert set(_run_threads(writer, 12).values()) == {"committed"}
    assert max(len(batch) for batch in fake.committed) <= 3


def test_a_failed_batch_fails_every_request_in_it_and_commits_none():
    fake = FakeDatabase(delay=0.02, fail=True)
    writer = GroupCommit(fake.connect)
    assert _run_threads(writer, 8) == {n: "database down" for n in range(8)}
    assert fake.committed == []


def test_proofs_written_together_are_all_in_the_database(app):
    writer = GroupCommit(app.extensions["proof_writer"]._connect)
    now = dt.datetime(2027, 1, 31, 9, tzinfo=dt.UTC)
    ids = [uuid.uuid4().hex for _ in range(12)]
    errors = []

    def decide(consent_id):
        with app.app_context():
            try:
                writer.execute(INSERT, dict(
                    consent_id=consent_id, site="s", policy_version=1, texts_hash="0" * 64, action="accept_all",
                    categories={}, recorded_at=now, valid_until=now, visitor_id="v" * 32, ip=None,
                    user_agent=None, page=None, gpc=False, locale="fr"))
            except Exception as err:  # noqa: BLE001 - reported below
                errors.append(err)

    threads = [threading.Thread(target=decide, args=(i,)) for i in ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    found = set(db.session.execute(sa.select(ConsentRecord.consent_id)).scalars())
    assert found == set(ids) and writer.batches <= len(ids)
    writer.release()


def test_the_writer_keeps_its_connection_from_batch_to_batch():
    fake = FakeDatabase(delay=0)
    writer = GroupCommit(fake.connect)
    for n in range(5):
        writer.execute(INSERT, {"n": n})
    assert len(fake.connections) == 1 and not fake.connections[0].closed
    writer.release()
    assert fake.connections[0].closed


def test_after_a_failed_batch_the_next_one_takes_another_connection():
    fake = FakeDatabase(delay=0, fail=True)
    writer = GroupCommit(fake.connect)
    with pytest.raises(RuntimeError):
        writer.execute(INSERT, {"n": 1})
    assert fake.connections[0].closed
    fake.fail = False
    writer.execute(INSERT, {"n": 2})
    assert len(fake.connections) == 2 and fake.committed == [[{"n": 2}]]


def test_a_connection_unused_for_a_while_is_pinged_and_replaced_when_stale(monkeypatch):
    clock = [1000.0]
    monkeypatch.setattr(time, "monotonic", lambda: clock[0])
    fake = FakeDatabase(delay=0)
    writer = GroupCommit(fake.connect, ping_after=5, hold_for=600)
    writer.execute(INSERT, {"n": 1})
    clock[0] += 4
    writer.execute(INSERT, {"n": 2})
    assert fake.connections[0].statements == []  # used a moment ago: no ping
    clock[0] += 6
    writer.execute(INSERT, {"n": 3})
    assert fake.connections[0].statements == ["SELECT 1"] and len(fake.connections) == 1
    clock[0] += 6
    fake.stale = True  # a database restart while idle
    writer.execute(INSERT, {"n": 4})
    assert fake.connections[0].closed and len(fake.connections) == 2
    assert [row["n"] for batch in fake.committed for row in batch] == [1, 2, 3, 4]


def test_the_kept_connection_goes_back_to_the_pool_now_and_then_and_never_crosses_a_fork(monkeypatch):
    clock = [1000.0]
    monkeypatch.setattr(time, "monotonic", lambda: clock[0])
    fake = FakeDatabase(delay=0)
    writer = GroupCommit(fake.connect, ping_after=5, hold_for=60)
    for _ in range(20):  # busy: a batch every 4 s
        writer.execute(INSERT, {"n": 1})
        clock[0] += 4
    assert len(fake.connections) == 2 and fake.connections[0].closed  # given back once, after 60 s
    monkeypatch.setattr(os, "getpid", lambda: -1)  # a forked child
    writer.execute(INSERT, {"n": 2})
    assert len(fake.connections) == 3 and not fake.connections[1].closed  # the parent's is left alone


def _proof(consent_id, now):
    return dict(consent_id=consent_id, site="s", policy_version=1, texts_hash="0" * 64, action="accept_all",
                categories={}, recorded_at=now, valid_until=now, visitor_id="v" * 32, ip=None, user_agent=None,
                page=None, gpc=False, locale="fr")


def test_the_apps_writer_commits_each_row_before_it_returns_and_a_batch_whole_or_not_at_all(app):
    """The app writes in autocommit: what execute returned for is visible to another
    connection at once; a batch is one statement, so a bad row leaves none of it."""
    writer = GroupCommit(app.extensions["proof_writer"]._connect)
    now = dt.datetime(2027, 1, 31, 9, tzinfo=dt.UTC)
    first = uuid.uuid4().hex
    writer.execute(INSERT, _proof(first, now))
    with db.engine.connect() as other:
        assert other.execute(sa.select(ConsentRecord.consent_id).where(ConsentRecord.consent_id == first)).all()
    fresh = [uuid.uuid4().hex for _ in range(3)]
    batch = [type("Entry", (), {"values": _proof(c, now), "error": None})() for c in [*fresh, first]]  # first again
    writer._write(INSERT, batch)  # as execute does with rows queued together
    assert all(entry.error is not None for entry in batch)
    with db.engine.connect() as other:
        assert not other.execute(sa.select(ConsentRecord.consent_id).where(ConsentRecord.consent_id.in_(fresh))).all()


@pytest.mark.parametrize("count", [1, 5])
def test_the_app_records_decisions_through_its_group_commit(app, client, api_key, count):
    make_site(client, api_key("sites:admin"))
    before = app.extensions["proof_writer"].batches
    for _ in range(count):
        assert decide(client).status_code == 201
    assert app.extensions["proof_writer"].batches == before + count
