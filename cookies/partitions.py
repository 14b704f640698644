"""Monthly partitions of the consent proof on PostgreSQL (docs/performance.md, "Proof at scale").

``consent_records`` is partitioned by range of ``recorded_at``, one partition per calendar
month (UTC), named ``consent_records_yYYYYmMM``, plus ``consent_records_default`` for any
row no month partition takes (a worker that fell behind, a clock moved by hand): a write
never fails for want of a partition. The worker job ``proof-partitions`` keeps the current
month and ``AHEAD`` months after it created, and moves rows out of the default partition
into the month created for them. The retention sweep detaches whole expired months, then
drops them in a later transaction (``detach_expired``, ``drop_detached``), and deletes row by
row only in the month that straddles the cutoff and in the default partition
(``subject_data.ExpiredProofSweep``).

SQLite keeps one plain table: every function here does nothing there.
"""
from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Iterator

from sqlalchemy import Connection, text

from consent_service import clock
from consent_service.extensions import db

from .models import PROOF_DEFAULT_PARTITION as DEFAULT
from .models import PROOF_TABLE as TABLE

log = logging.getLogger(__name__)

AHEAD = 3  # months created in advance: the worker may stop for that long without writes landing in the default
LOCK_TIMEOUT = "100ms"  # DDL on the parent waits this long at most for its lock, then retries on the next pass
_NAME = re.compile(rf"^{TABLE}_y(\d{{4}})m(\d{{2}})$")


def month_of(moment: dt.datetime) -> dt.date:
    return dt.date(moment.year, moment.month, 1)


def next_month(month: dt.date) -> dt.date:
    return dt.date(month.year + month.month // 12, month.month % 12 + 1, 1)


def partition_name(month: dt.date) -> str:
    return f"{TABLE}_y{month.year:04d}m{month.month:02d}"


def _bound(month: dt.date) -> str:
    return f"{month.isoformat()} 00:00:00+00"


def is_partitioned(connection: Connection) -> bool:
    if connection.dialect.name != "postgresql":
        return False
    kind = connection.execute(text("SELECT relkind FROM pg_class WHERE oid = to_regclass(:t)"), {"t": TABLE}).scalar()
    return kind == "p"


def months(connection: Connection) -> list[dt.date]:
    """The months that have a partition, oldest first."""
    names = connection.execute(text(
        "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
        "WHERE i.inhparent = to_regclass(:t)"), {"t": TABLE}).scalars()
    found = [_NAME.match(name) for name in names]
    return sorted(dt.date(int(m[1]), int(m[2]), 1) for m in found if m)


def create_month(connection: Connection, month: dt.date) -> int:
    """Create the month's partition; rows of that month waiting in the default partition move
    into it (in the caller's transaction). Returns how many rows moved."""
    name, start, end = partition_name(month), _bound(month), _bound(next_month(month))
    connection.execute(text(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'"))
    # Built detached, filled, then attached: the parent is locked only for the attach, and
    # the CHECK constraint spares the attach its validation scan.
    connection.execute(text(f'CREATE TABLE "{name}" (LIKE "{TABLE}" INCLUDING DEFAULTS INCLUDING CONSTRAINTS)'))
    connection.execute(text(
        f'ALTER TABLE "{name}" ADD CONSTRAINT "{name}_range" '
        f"CHECK (recorded_at IS NOT NULL AND recorded_at >= '{start}' AND recorded_at < '{end}')"))
    # Writers are held back (SHARE ROW EXCLUSIVE conflicts with an INSERT's ROW EXCLUSIVE)
    # from here to commit: a write routed before the attach would otherwise land in the
    # default partition, whose constraint no longer takes it (a check violation, a 500).
    connection.execute(text(f'LOCK TABLE "{TABLE}" IN SHARE ROW EXCLUSIVE MODE'))
    moved = connection.execute(text(
        f'WITH gone AS (DELETE FROM "{DEFAULT}" WHERE recorded_at >= :s AND recorded_at < :e RETURNING *) '
        f'INSERT INTO "{name}" SELECT * FROM gone'), {"s": start, "e": end}).rowcount
    connection.execute(text(
        f'ALTER TABLE "{TABLE}" ATTACH PARTITION "{name}" FOR VALUES FROM (\'{start}\') TO (\'{end}\')'))
    connection.execute(text(f'ALTER TABLE "{name}" DROP CONSTRAINT "{name}_range"'))
    return moved


def ensure_months(now: dt.datetime | None = None, ahead: int = AHEAD) -> int:
    """Worker job: the partitions of this month and the ``ahead`` next ones exist, and every
    month with rows in the default partition has its own. Returns how many were created."""
    connection = db.session.connection()
    if not is_partitioned(connection):
        return 0
    have = set(months(connection))
    wanted = list(_months_from(month_of(now or clock.now()), ahead + 1))
    waiting = connection.execute(text(
        f"SELECT DISTINCT date_trunc('month', recorded_at AT TIME ZONE 'UTC')::date FROM \"{DEFAULT}\"")).scalars()
    created = 0
    for month in sorted(set(wanted) | set(waiting)):
        if month not in have:
            moved = create_month(connection, month)
            created += 1
            log.info("proof partition %s created (%d rows moved from the default partition)",
                     partition_name(month), moved)
    return created


def detach_expired(before: dt.datetime) -> list[str]:
    """Detach every month partition whose whole month is before ``before``; returns their names.
    Once the caller commits, their proofs are out of every reader's reach. The proof table is
    locked for the detach alone: the months are counted and their files freed by
    ``drop_detached``, in a later transaction that locks only the detached tables (on this VM's
    disk a month's files take about 100 ms to free, and every writer waited for it). The month
    that holds ``before`` is left to the row-by-row sweep."""
    connection = db.session.connection()
    if not is_partitioned(connection):
        return []
    names = []
    for month in months(connection):
        if dt.datetime.combine(next_month(month), dt.time(), dt.UTC) > before:
            break  # months are in order: this one and the later ones hold proofs still kept
        name = partition_name(month)
        connection.execute(text(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'"))
        connection.execute(text(f'ALTER TABLE "{TABLE}" DETACH PARTITION "{name}"'))
        names.append(name)
    return names


def drop_detached() -> int:
    """Count and drop the month tables no longer attached: those ``detach_expired`` detached, and
    any a sweep stopped before dropping (a worker killed in between). Returns the proofs they
    held. Counted once detached, nobody can write them any more, so the receipt's count is
    exactly what was dropped."""
    connection = db.session.connection()
    if not is_partitioned(connection):
        return 0
    candidates = connection.execute(text(
        "SELECT c.relname FROM pg_class c WHERE c.relnamespace = to_regnamespace(current_schema()) "
        "AND c.relkind = 'r' AND NOT c.relispartition AND c.relname LIKE :prefix"),
        {"prefix": f"{TABLE}\\_y%"}).scalars()
    removed = 0
    for name in sorted(name for name in candidates if _NAME.match(name)):
        removed += connection.execute(text(f'SELECT count(*) FROM "{name}"')).scalar_one()
        connection.execute(text(f'DROP TABLE "{name}"'))
        log.info("proof partition %s dropped (retention)", name)
    return removed


def _months_from(month: dt.date, count: int) -> Iterator[dt.date]:
    for _ in range(count):
        yield month
        month = next_month(month)


def is_partition_name(name: str | None) -> bool:
    return name is not None and (name == DEFAULT or _NAME.match(name) is not None)


def include_name(name: str | None, type_: str, parent_names: dict) -> bool:
    """Alembic's ``include_name``: the month partitions are not in the models (the worker
    makes them), so autogenerate and the schema comparison leave them alone."""
    return not (type_ == "table" and is_partition_name(name))
