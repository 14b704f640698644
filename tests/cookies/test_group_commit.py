"""Group commit: concurrent proofs share a transaction, and nobody returns before its own row
is committed (or returns an error when its batch failed)."""
import contextlib
import datetime as dt
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


class FakeDatabase:
    """Records each committed batch; a commit takes ``delay`` seconds, like a WAL flush."""

    def __init__(self, delay=0.05, fail=False):
        self.delay, self.fail, self.committed, self.in_flight = delay, fail, [], []

    @contextlib.contextmanager
    def begin(self):
        rows = []
        def execute(_self, statement, values=None):
            # A batch is one statement: its rows are in its VALUES (no executemany).
            rows.append([values] if values is not None else [dict(row) for row in statement._multi_values[0]])

        yield type("Connection", (), {"execute": execute})()
        time.sleep(self.delay)
        if self.fail:
            raise RuntimeError("database down")
        assert len(rows) == 1  # one statement per batch
        self.committed.append(rows[0])


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
    writer = GroupCommit(fake.begin)
    writer.execute(INSERT, {"n": 1})
    writer.execute(INSERT, {"n": 2})
    assert fake.committed == [[{"n": 1}], [{"n": 2}]]


def test_concurrent_proofs_share_transactions_and_each_waits_for_its_own():
    fake = FakeDatabase(delay=0.05)
    writer = GroupCommit(fake.begin)
    outcomes = _run_threads(writer, 20)
    assert outcomes == {n: "committed" for n in range(20)}
    committed = [row["n"] for batch in fake.committed for row in batch]
    assert sorted(committed) == list(range(20))  # each row once
    assert len(fake.committed) < 20  # and fewer commits than rows


def test_a_batch_is_never_larger_than_the_limit():
    fake = FakeDatabase(delay=0.05)
    writer = GroupCommit(fake.begin, max_batch=3)
    assert set(_run_threads(writer, 12).values()) == {"committed"}
    assert max(len(batch) for batch in fake.committed) <= 3


def test_a_failed_batch_fails_every_request_in_it_and_commits_none():
    fake = FakeDatabase(delay=0.02, fail=True)
    writer = GroupCommit(fake.begin)
    assert _run_threads(writer, 8) == {n: "database down" for n in range(8)}
    assert fake.committed == []


def test_proofs_written_together_are_all_in_the_database(app):
    writer = GroupCommit(lambda: db.engine.begin())
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


def _proof(consent_id, now):
    return dict(consent_id=consent_id, site="s", policy_version=1, texts_hash="0" * 64, action="accept_all",
                categories={}, recorded_at=now, valid_until=now, visitor_id="v" * 32, ip=None, user_agent=None,
                page=None, gpc=False, locale="fr")


def test_the_apps_writer_commits_each_row_before_it_returns_and_a_batch_whole_or_not_at_all(app):
    """The app writes in autocommit: what execute returned for is visible to another
    connection at once; a batch is one statement, so a bad row leaves none of it."""
    writer = GroupCommit(app.extensions["proof_writer"]._begin)
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
