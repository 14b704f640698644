"""The sealer: batches under chained Merkle roots, each record sealed once, late commits too."""
from __future__ import annotations

import datetime as dt
import json
import random
import threading

import pytest
import sqlalchemy as sa

from consent_service import worker
from consent_service.extensions import db
from cookies.models import ConsentRecord
from proofs import merkle, sealer
from proofs.models import Seal, SealLeaf
from proofs.sources import leaf_of

from .conftest import T0, at, check, seal


def _seals():
    return db.session.execute(sa.select(Seal).order_by(Seal.number)).scalars().all()


def _leaves(number=None):
    query = sa.select(SealLeaf).order_by(SealLeaf.seal_number, SealLeaf.position)
    if number is not None:
        query = query.where(SealLeaf.seal_number == number)
    return db.session.execute(query).scalars().all()


def test_a_pass_seals_new_records_under_one_root_chained_to_genesis(record):
    at(T0)
    ids = [record() for _ in range(5)]
    at(T0 + dt.timedelta(minutes=1))
    assert seal() == 5
    (only,) = _seals()
    leaves = _leaves(1)
    assert sorted(leaf.record_id for leaf in leaves) == sorted(ids)
    assert only.previous_hash == merkle.GENESIS and only.leaf_count == 5
    assert only.merkle_root == merkle.root_of(leaf_of(x.kind, x.record_id, x.recorded_at, x.digest) for x in leaves)
    fields = merkle.seal_fields(1, merkle.GENESIS, only.merkle_root, 5, "2027-03-01T09:01:00Z")
    assert only.hash == merkle.seal_hash(fields)
    assert check().passed


def test_the_next_seal_holds_only_new_records_and_chains_to_the_last(record):
    at(T0)
    record()
    seal()
    at(T0 + dt.timedelta(minutes=2))
    newer = record()
    assert seal() == 1
    first, second = _seals()
    assert second.previous_hash == first.hash
    assert [leaf.record_id for leaf in _leaves(2)] == [newer]


def test_a_pass_with_nothing_new_makes_no_seal(record):
    at(T0)
    record()
    seal()
    at(T0 + dt.timedelta(minutes=5))
    assert seal() == 0
    assert len(_seals()) == 1


def test_the_worker_seals_every_seal_interval_seconds(app_with):
    for setting, period in ((None, 60), ("15", 15)):
        app_with(**({} if setting is None else {"SEAL_INTERVAL_SECONDS": int(setting)}))
        (job,) = [job for job in worker.jobs() if job.name == "seal_proofs"]
        assert job.every == dt.timedelta(seconds=period)


def test_a_backlog_is_sealed_in_several_chained_seals(record):
    at(T0)
    ids = [record() for _ in range(7)]
    assert seal(max_leaves=3) == 7
    assert [s.leaf_count for s in _seals()] == [3, 3, 1]
    assert sorted(leaf.record_id for leaf in _leaves()) == sorted(ids)
    assert check().passed


def _late_copy_of_a_record(connection, recorded_at):
    table = ConsentRecord.__table__
    row = dict(connection.execute(sa.select(table).limit(1)).mappings().one())
    row.update(consent_id="late0000000000000000000000000001", recorded_at=recorded_at)
    connection.execute(table.insert().values(**row))


def _commit_late(backend, recorded_at, pass_at):
    """A slow transaction: its row's recorded time is before the pass at ``pass_at``, its commit
    after. (SQLite has one writer at a time: there the row is written right after the pass.)"""
    slow = db.engine.connect()
    if backend == "postgresql":
        _late_copy_of_a_record(slow, recorded_at)
    at(pass_at)
    passed = seal()
    if backend != "postgresql":
        _late_copy_of_a_record(slow, recorded_at)
    slow.commit()
    slow.close()
    return passed


def test_a_record_committed_a_moment_late_is_sealed_by_the_next_pass(app, record, backend):
    at(T0)
    record()
    assert _commit_late(backend, T0 - dt.timedelta(seconds=5), T0 + dt.timedelta(seconds=30)) == 1
    at(T0 + dt.timedelta(minutes=1))  # a shallow pass: the previous deep one was a minute ago
    assert seal() == 1
    assert [leaf.record_id for leaf in _leaves(2)] == ["late0000000000000000000000000001"]
    assert check().passed


def test_a_record_committed_minutes_late_is_sealed_by_the_next_deep_pass(app, record, backend):
    at(T0)
    record()
    assert _commit_late(backend, T0 - dt.timedelta(seconds=30), T0 + dt.timedelta(minutes=1)) == 1
    at(T0 + dt.timedelta(minutes=2))
    assert seal() == 0  # shallow: it looks only a few seconds below the newest record sealed
    assert check().passed  # not yet sealed, but not older than the late-commit allowance either
    at(T0 + dt.timedelta(minutes=1) + sealer.DEEP_EVERY)
    assert seal() == 1
    assert [leaf.record_id for leaf in _leaves(2)] == ["late0000000000000000000000000001"]
    assert check().passed


def test_records_whose_ids_need_escaping_are_sealed_under_their_exact_ids(app, record):
    """Leaves go to PostgreSQL by COPY's text format: generated ids full of what it escapes."""
    at(T0)
    record()
    table = ConsentRecord.__table__
    alphabet = "\t\n\r\\.\"' ,;|N0aé€😀\x01\x1f\x7f\u2028"
    draw = random.Random(17)
    ids = {"".join(draw.choice(alphabet) for _ in range(draw.randint(1, 32))) for _ in range(40)} | {"\\.", "\\N"}
    with db.engine.begin() as connection:
        row = dict(connection.execute(sa.select(table).limit(1)).mappings().one())
        connection.execute(table.insert(), [{**row, "consent_id": consent_id} for consent_id in ids])
    assert seal() == len(ids) + 1
    assert {leaf.record_id for leaf in _leaves()} == ids | {row["consent_id"]}
    assert check().passed


def test_the_sealers_database_time_zone_changes_nothing(record, backend):
    """PostgreSQL hands the sealer times in the session's zone: the leaves keep each record's
    time to the microsecond, and the digests are those of its UTC time."""
    at(T0)
    record()
    table = ConsentRecord.__table__
    with db.engine.begin() as connection:
        row = dict(connection.execute(sa.select(table).limit(1)).mappings().one())
        connection.execute(table.insert(), [
            {**row, "consent_id": f"micro{n}", "recorded_at": T0 + dt.timedelta(seconds=n, microseconds=123457 * n)}
            for n in range(1, 4)])
        stored = {(r.consent_id, r.recorded_at) for r in connection.execute(sa.select(table.c.consent_id,
                                                                                      table.c.recorded_at))}
    if backend == "postgresql":
        db.session.execute(sa.text("SET LOCAL TIME ZONE 'Pacific/Chatham'"))  # +13:45 in March
    at(T0 + dt.timedelta(minutes=1))
    assert seal() == 4
    assert {(leaf.record_id, leaf.recorded_at) for leaf in _leaves()} == stored
    assert check().passed


def test_the_database_refuses_a_second_leaf_for_a_sealed_record(record):
    """Beside the sealer's lock and its search for unsealed records, the leaves' unique index
    (kind, time, id): a record cannot be in two leaves, whoever writes them."""
    at(T0)
    record()
    seal()
    (leaf,) = _leaves()
    again = {"seal_number": 1, "position": 1, "kind": leaf.kind, "record_id": leaf.record_id,
             "recorded_at": leaf.recorded_at, "digest": leaf.digest}
    with pytest.raises(sa.exc.IntegrityError), db.engine.begin() as connection:
        connection.execute(SealLeaf.__table__.insert().values(**again))
    with db.engine.begin() as connection:  # another record's leaf, at the same time, is welcome
        connection.execute(SealLeaf.__table__.insert().values(**{**again, "record_id": "another"}))


def test_concurrent_sealers_seal_each_record_once_in_one_chain(app, record):
    at(T0)
    ids = {record() for _ in range(40)}
    failures = []
    together = threading.Barrier(3)

    def run():
        with app.app_context():
            together.wait()  # the three sealers start at the same instant
            try:
                for _ in range(3):
                    sealer.seal_pending(max_leaves=4)
                    db.session.commit()
            except Exception as err:  # noqa: BLE001 - reported below
                failures.append(repr(err))
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not [f for f in failures if "locked" not in f], failures
    seal()  # whatever a sealer that lost a lock race left
    leaves = _leaves()
    assert sorted(leaf.record_id for leaf in leaves) == sorted(ids)
    assert [s.number for s in _seals()] == list(range(1, len(_seals()) + 1))
    assert check().passed


def test_each_seal_is_appended_to_the_seal_journal(app, tmp_path, record):
    journal = tmp_path / "seals.jsonl"
    app.config["SEAL_JOURNAL"] = str(journal)
    at(T0)
    record()
    seal()
    at(T0 + dt.timedelta(minutes=1))
    record()
    seal()
    lines = [json.loads(line) for line in journal.read_text().splitlines()]
    stored = _seals()
    assert [(x["number"], x["hash"], x["merkle_root"]) for x in lines] == [
        (s.number, s.hash, s.merkle_root) for s in stored]


def test_metrics_give_the_latest_seal_its_age_and_the_last_verification(app, client, record):
    from proofs import jobs, services

    def figures():
        text = client.get("/metrics", environ_base={"REMOTE_ADDR": "127.0.0.1"}).get_data(as_text=True)
        return {line.split()[0]: float(line.split()[1]) for line in text.splitlines()
                if line.startswith(("consent_seal_", "consent_proofs_"))}

    at(T0)
    assert figures() == {"consent_seal_latest_number": 0.0, "consent_proofs_verification_passed": -1.0}
    record()
    seal()
    services.request_verification("dpo@example.fr")
    db.session.commit()
    jobs.verification_job()
    at(T0 + dt.timedelta(minutes=5))
    assert figures() == {"consent_seal_latest_number": 1.0, "consent_seal_latest_age_seconds": 300.0,
                         "consent_proofs_verification_passed": 1.0}
