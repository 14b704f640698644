"""Consent proofs partitioned by month on PostgreSQL: months made ahead by the worker, whole
expired months dropped by the retention sweep, row-by-row deletes only at the boundary."""
import datetime as dt
import uuid

import pytest
import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from consent_service import clock, create_app
from consent_service.extensions import db
from cookies import partitions, services
from cookies.models import ConsentRecord
from cookies.subject_data import ExpiredProofSweep

from ..conftest import scratch_postgres

UTC = dt.UTC
NOW = dt.datetime(2027, 5, 10, 12, 0, tzinfo=UTC)


def _proof(at: dt.datetime, visitor: str = "v" * 32) -> dict:
    return dict(consent_id=uuid.uuid4().hex, site="espace-locataire", policy_version=1, texts_hash="0" * 64,
                action="accept_all", categories={"functional": True}, recorded_at=at,
                valid_until=at + dt.timedelta(days=30), visitor_id=visitor, ip=None, user_agent=None, page=None,
                gpc=False, locale="fr")


def _insert(*moments: dt.datetime) -> None:
    db.session.execute(ConsentRecord.__table__.insert(), [_proof(at) for at in moments])
    db.session.commit()


def _rows_in(table: str) -> int:
    return db.session.execute(sa.text(f'SELECT count(*) FROM "{table}"')).scalar_one()


def _drain(sweep) -> int:
    total = 0
    while (done := sweep()) or sweep.pending:
        total += done
        db.session.commit()
    db.session.commit()
    return total


@pytest.fixture
def pg(app, backend):
    if backend != "postgresql":
        pytest.skip("partitions exist on PostgreSQL only")
    return app


def test_sqlite_keeps_one_plain_table(app, backend):
    if backend != "sqlite":
        pytest.skip("the SQLite behaviour")
    _insert(NOW - dt.timedelta(days=400), NOW)
    assert not partitions.is_partitioned(db.session.connection())
    assert partitions.ensure_months(NOW) == 0 and partitions.detach_expired(NOW) == []
    assert partitions.drop_detached() == 0
    assert _drain(ExpiredProofSweep(NOW - dt.timedelta(days=1), 100)) == 1


def test_a_new_table_takes_writes_before_any_month_exists(pg):
    assert partitions.is_partitioned(db.session.connection())
    assert partitions.months(db.session.connection()) == []
    _insert(NOW)
    assert _rows_in(partitions.DEFAULT) == 1


def test_the_worker_makes_this_month_and_the_next_three(pg):
    assert partitions.ensure_months(NOW) == 4
    assert partitions.months(db.session.connection()) == [dt.date(2027, m, 1) for m in (5, 6, 7, 8)]
    db.session.commit()
    assert partitions.ensure_months(NOW) == 0  # idempotent
    _insert(NOW, dt.datetime(2027, 8, 31, 23, 59, 59, tzinfo=UTC))
    assert _rows_in("consent_records_y2027m05") == 1 and _rows_in("consent_records_y2027m08") == 1
    assert _rows_in(partitions.DEFAULT) == 0


def test_rows_waiting_in_the_default_partition_move_into_their_month(pg):
    _insert(dt.datetime(2026, 1, 15, tzinfo=UTC), dt.datetime(2026, 1, 31, 23, 0, tzinfo=UTC), NOW)
    partitions.ensure_months(NOW)
    db.session.commit()
    assert _rows_in("consent_records_y2026m01") == 2 and _rows_in("consent_records_y2027m05") == 1
    assert _rows_in(partitions.DEFAULT) == 0
    assert db.session.execute(sa.select(sa.func.count()).select_from(ConsentRecord)).scalar_one() == 3


def test_a_write_waiting_while_a_month_is_attached_lands_in_that_month(pg):
    """A write routed to the default partition just before a month is attached would break
    the default's new constraint (a 500): the creator holds writers back until it commits."""
    import threading

    month = dt.date(2027, 5, 1)
    outcome: list[object] = []
    engine = db.engine

    def write() -> None:
        try:
            with engine.begin() as connection:
                connection.execute(ConsentRecord.__table__.insert(), [_proof(NOW)])
            outcome.append("written")
        except Exception as error:  # noqa: BLE001 - the failure is the finding
            outcome.append(error)

    with engine.connect() as creator:
        with creator.begin():
            partitions.create_month(creator, month)
            writer = threading.Thread(target=write)
            writer.start()
            writer.join(0.5)  # the writer is waiting for the creator
            assert writer.is_alive() and outcome == [], outcome
        writer.join(10)
    assert outcome == ["written"]
    assert _rows_in(partitions.partition_name(month)) == 1 and _rows_in(partitions.DEFAULT) == 0


def test_the_job_is_registered_with_the_worker(app):
    assert "proof_partitions" in app.extensions["worker_jobs"]


def test_retention_drops_whole_months_and_deletes_rows_only_at_the_boundary(pg):
    clock.set_now(NOW)
    expired = [dt.datetime(2026, 2, d, tzinfo=UTC) for d in (1, 14, 28)]
    boundary_old = [dt.datetime(2026, 3, 2, tzinfo=UTC), dt.datetime(2026, 3, 9, 23, tzinfo=UTC)]
    boundary_new = [dt.datetime(2026, 3, 10, 1, tzinfo=UTC)]
    kept = [dt.datetime(2026, 4, 1, tzinfo=UTC), NOW]
    _insert(*expired, *boundary_old, *boundary_new, *kept)
    partitions.ensure_months(NOW)
    db.session.commit()
    cutoff = dt.datetime(2026, 3, 10, tzinfo=UTC)
    assert _drain(ExpiredProofSweep(cutoff, 1)) == len(expired) + len(boundary_old)
    left = partitions.months(db.session.connection())
    assert dt.date(2026, 2, 1) not in left and dt.date(2026, 3, 1) in left
    remaining = set(db.session.execute(sa.select(ConsentRecord.recorded_at)).scalars())
    assert remaining == set(boundary_new + kept)


def _expired_and_kept():
    clock.set_now(NOW)
    _insert(dt.datetime(2026, 2, 3, tzinfo=UTC), dt.datetime(2026, 2, 20, tzinfo=UTC), NOW)
    partitions.ensure_months(NOW)
    db.session.commit()
    return dt.datetime(2026, 3, 1, tzinfo=UTC), partitions.partition_name(dt.date(2026, 2, 1))


def _table_exists(name: str) -> bool:
    return db.session.execute(sa.text("SELECT to_regclass(:n)"), {"n": name}).scalar() is not None


def test_writers_do_not_wait_while_an_expired_month_is_dropped(pg):
    """The month is detached in one transaction, which takes its proofs out of reach, and
    counted and dropped in the next, which locks only the detached table: a writer goes on
    while the month's files are freed."""
    cutoff, expired_month = _expired_and_kept()
    sweep = ExpiredProofSweep(cutoff, 100)
    assert sweep() == 0 and sweep.pending  # detached: counted when dropped, by the next call
    assert _table_exists(expired_month)  # its files are not freed under the proof table's lock
    db.session.commit()
    assert db.session.execute(sa.select(sa.func.count()).select_from(ConsentRecord)).scalar_one() == 1
    assert sweep() == 2 and not sweep.pending  # counted and dropped, not committed yet: freed at commit
    assert not _table_exists(expired_month)
    with db.engine.connect() as writer:
        writer.execute(sa.text("SET lock_timeout = '300ms'"))
        writer.execute(ConsentRecord.__table__.insert(), [_proof(NOW)])  # raises if it has to wait
        writer.commit()
    db.session.commit()
    assert sweep() == 0 and not sweep.pending
    assert db.session.execute(sa.select(sa.func.count()).select_from(ConsentRecord)).scalar_one() == 2


def test_the_receipt_counts_what_the_detached_month_held_when_dropped(pg):
    """Counted once detached, the month can no longer change under the count: an erasure that
    ran between the detach and the drop finds nothing there, and the receipt counts the
    proofs the drop removed."""
    cutoff, expired_month = _expired_and_kept()
    sweep = ExpiredProofSweep(cutoff, 100)
    assert sweep() == 0
    db.session.commit()
    gone = db.session.execute(sa.delete(ConsentRecord).where(ConsentRecord.visitor_id == "v" * 32)).rowcount
    db.session.commit()
    assert gone == 1  # the kept proof only: the detached month is out of the erasure's reach
    assert _rows_in(expired_month) == 2
    assert _drain(sweep) == 2


def test_the_retention_job_sweeps_detached_months_within_one_pass(pg, app):
    """The worker's retention pass goes on after the detach (a call that returns 0 with months
    pending) and its receipt counts the dropped proofs."""
    from datamap.models import Purge, PurgeStep
    from datamap.sweeps import run_retention

    clock.set_now(NOW)
    months = app.config["CONSENT_PROOF_RETENTION_MONTHS"]
    old = clock.add_months(NOW, -months - 2)
    _insert(old, old + dt.timedelta(days=1), NOW)
    partitions.ensure_months(old)
    partitions.ensure_months(NOW)
    db.session.commit()
    assert run_retention() >= 2
    assert db.session.execute(sa.select(sa.func.count()).select_from(ConsentRecord)).scalar_one() == 1
    assert not _table_exists(partitions.partition_name(partitions.month_of(old)))
    step = db.session.execute(sa.select(PurgeStep).join(Purge).where(
        Purge.trigger == "retention", PurgeStep.table_name == "consent_records")).scalar_one()
    assert step.rows == 2


def test_a_month_left_detached_by_a_stopped_sweep_is_dropped_and_counted_by_the_next(pg):
    cutoff, expired_month = _expired_and_kept()
    partitions.detach_expired(cutoff)
    db.session.commit()  # the worker stops here: the month is detached, its rows still on disk
    assert _table_exists(expired_month) and _rows_in(expired_month) == 2
    assert _drain(ExpiredProofSweep(cutoff, 100)) == 2  # counted once, by the sweep that drops it
    assert not _table_exists(expired_month)


def test_an_empty_expired_month_is_dropped_too(pg):
    clock.set_now(NOW)
    partitions.ensure_months(dt.datetime(2026, 2, 10, tzinfo=UTC))
    partitions.ensure_months(NOW)
    db.session.commit()
    empty_month = partitions.partition_name(dt.date(2026, 2, 1))
    assert _table_exists(empty_month)
    assert _drain(ExpiredProofSweep(dt.datetime(2026, 3, 1, tzinfo=UTC), 100)) == 0
    assert not _table_exists(empty_month)


def test_a_default_partition_row_past_retention_is_deleted_too(pg):
    partitions.ensure_months(NOW)
    db.session.commit()
    _insert(dt.datetime(2020, 6, 1, tzinfo=UTC))  # no month partition: it waits in the default one
    assert _rows_in(partitions.DEFAULT) == 1
    assert _drain(ExpiredProofSweep(dt.datetime(2021, 1, 1, tzinfo=UTC), 10)) == 1


def test_a_proof_is_found_by_its_id_in_any_month(pg, client):
    partitions.ensure_months(NOW)
    db.session.commit()
    _insert(dt.datetime(2026, 1, 15, tzinfo=UTC))
    consent_id = db.session.execute(sa.select(ConsentRecord.consent_id)).scalar_one()
    assert services.get_proof(consent_id).recorded_at == dt.datetime(2026, 1, 15, tzinfo=UTC)


@pytest.fixture
def migrated_pg(backend):
    if backend != "postgresql":
        pytest.skip("the conversion runs on PostgreSQL only")
    with scratch_postgres("consent_partition") as url:
        yield url


def test_the_migration_converts_a_table_that_holds_proofs_and_back(migrated_pg):
    app = create_app({"TESTING": True, "SECRET_KEY": "k", "SQLALCHEMY_DATABASE_URI": migrated_pg},
                     environ={"SECRET_KEY": "k"})
    moments = [dt.datetime(2025, 12, 31, 23, 59, tzinfo=UTC), dt.datetime(2026, 1, 1, tzinfo=UTC)]
    with app.app_context():
        upgrade(revision="0008_preferences")
        with db.engine.begin() as connection:
            connection.execute(sa.text(
                "INSERT INTO consent_records (consent_id, site, policy_version, texts_hash, action, categories, "
                "recorded_at, valid_until, visitor_id, gpc, locale) VALUES "
                "(:id, 's', 1, :h, 'accept_all', '{}', :at, :at, 'v', false, 'fr')"),
                [{"id": uuid.uuid4().hex, "h": "0" * 64, "at": at} for at in moments])
        upgrade(revision="0009_proof_partitions")
        with db.engine.connect() as connection:
            assert partitions.is_partitioned(connection)
            assert {dt.date(2025, 12, 1), dt.date(2026, 1, 1)} <= set(partitions.months(connection))
            assert connection.execute(sa.text('SELECT count(*) FROM "consent_records_y2025m12"')).scalar_one() == 1
        downgrade(revision="0008_preferences")
        with db.engine.connect() as connection:
            assert not partitions.is_partitioned(connection)
            assert connection.execute(sa.text("SELECT count(*) FROM consent_records")).scalar_one() == 2
        db.engine.dispose()
