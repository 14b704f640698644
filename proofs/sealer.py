"""The sealer: a worker job that puts every new record under a seal, a batch at a time.

One sealer at a time: each seal's transaction first updates the one ``seal_state`` row, which
holds the others back until it commits (a row lock on PostgreSQL, the write lock on SQLite).
A record is picked when no leaf names it yet, so nothing is sealed twice (the unique
``(kind, record_id)`` of the leaves says so too) and the order is that of the commits seen:
a pass seals what was committed before it started, looking back ``LATE_COMMIT`` before the
previous pass's start, so a record whose transaction committed late (up to ``LATE_COMMIT``
after its recorded time) is sealed by the next pass. Verification reports an unsealed record
older than that as inserted.
"""
from __future__ import annotations

import datetime as dt
import logging
from typing import Any, cast

from sqlalchemy import CursorResult, Select, and_, exists, insert, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite

from consent_service import clock
from consent_service.extensions import db

from . import journal, merkle
from .models import Seal, SealLeaf, SealState
from .sources import Source, leaf_of, record_digest, sources, utc_text

log = logging.getLogger(__name__)

LATE_COMMIT = dt.timedelta(minutes=10)
MAX_LEAVES = 65536
READ_CHUNK = 5000  # rows read at a time: a seal's records are never all in memory, only their digests
STATE_ID = 1
STATE, LEAVES, SEALS = SealState.__table__, SealLeaf.__table__, Seal.__table__
LEAF_COLUMNS = ("seal_number", "position", "kind", "record_id", "recorded_at", "digest")

Leaf = tuple[str, str, dt.datetime, str, str]  # kind, record id, recorded at, record digest, leaf hash
Cursor = tuple[dt.datetime, Any]


def scanned_at() -> dt.datetime | None:
    """When the last complete pass started (None before the first)."""
    return db.session.execute(select(STATE.c.scanned_at).where(STATE.c.id == STATE_ID)).scalar_one_or_none()


def _lock() -> dt.datetime | None:
    """Take the sealer's lock for this transaction; return ``scanned_at``."""
    now = clock.now()
    lock = update(STATE).where(STATE.c.id == STATE_ID).values(locked_at=now)
    locked = cast(CursorResult[Any], db.session.execute(lock))
    if not locked.rowcount:
        dialect = postgresql if db.session.get_bind().dialect.name == "postgresql" else sqlite
        db.session.execute(dialect.insert(STATE).values(id=STATE_ID, locked_at=now).on_conflict_do_nothing())
        db.session.execute(lock)
    return scanned_at()


def _unsealed(source: Source, since: dt.datetime | None, after: Cursor | None, limit: int) -> Select[Any]:
    query = select(source.table).where(~exists().where(LEAVES.c.kind == source.kind,
                                                         LEAVES.c.record_id == source.key_text()))
    if since is not None:
        query = query.where(source.time >= since)
    if after is not None:
        query = query.where(or_(source.time > after[0], and_(source.time == after[0], source.key > after[1])))
    return query.order_by(source.time, source.key).limit(limit)


def _gather(since: dt.datetime | None, cursors: dict[str, Cursor], limit: int) -> list[Leaf]:
    leaves: list[Leaf] = []
    for source in sources():
        room = limit - len(leaves)
        if room <= 0:
            break
        last = None
        query = _unsealed(source, since, cursors.get(source.kind), room).execution_options(yield_per=READ_CHUNK)
        for row in db.session.execute(query).mappings():
            last = row
            fields = source.fields(row)
            record_id, recorded_at, digest = str(row[source.key.name]), row[source.time.name], record_digest(fields)
            leaves.append((source.kind, record_id, recorded_at, digest,
                           leaf_of(source.kind, record_id, fields["recorded_at"], digest)))
        if last is not None:
            cursors[source.kind] = (last[source.time.name], last[source.key.name])
    return leaves


def _insert_leaves(number: int, leaves: list[Leaf]) -> None:
    connection = db.session.connection()
    if connection.dialect.name == "postgresql":
        names = ", ".join(LEAF_COLUMNS)
        driver = connection.connection.driver_connection
        assert driver is not None  # a pooled connection in use always has its driver connection
        with driver.cursor() as cursor:
            with cursor.copy(f"COPY seal_leaves ({names}) FROM STDIN") as copy:
                for position, (kind, record_id, recorded_at, digest, _leaf) in enumerate(leaves):
                    copy.write_row((number, position, kind, record_id, recorded_at, digest))
        return
    db.session.execute(insert(LEAVES), [dict(zip(LEAF_COLUMNS, (number, position, *leaf[:4]), strict=True))
                                        for position, leaf in enumerate(leaves)])


def write_seal(leaves: list[Leaf]) -> dict[str, Any]:
    """Seal ``leaves`` after the latest seal (the caller holds the lock); the seal's fields and hash."""
    head = db.session.execute(select(SEALS.c.number, SEALS.c.hash).order_by(SEALS.c.number.desc()).limit(1)).first()
    number, previous = (head.number + 1, head.hash) if head else (1, merkle.GENESIS)
    root = merkle.root_of(leaf[4] for leaf in leaves)
    sealed_at = clock.now().replace(microsecond=0)
    fields = merkle.seal_fields(number, previous, root, len(leaves), utc_text(sealed_at))
    seal = {**fields, "hash": merkle.seal_hash(fields)}
    db.session.execute(insert(SEALS).values(number=number, previous_hash=previous, merkle_root=root,
                                            leaf_count=len(leaves), sealed_at=sealed_at, hash=seal["hash"]))
    _insert_leaves(number, leaves)
    return seal


def seal_pending(max_leaves: int = MAX_LEAVES) -> int:
    """One pass (the worker's job, every ``SEAL_INTERVAL_SECONDS``): seal everything unsealed,
    at most ``max_leaves`` per seal; returns how many records it sealed. Workers running it at
    once take turns; a pass that finds nothing new makes no seal."""
    start, total = clock.now(), 0
    cursors: dict[str, Cursor] = {}
    while True:
        last = _lock()
        leaves = _gather(last - LATE_COMMIT if last else None, cursors, max_leaves)
        seal = write_seal(leaves) if leaves else None
        finished = len(leaves) < max_leaves
        if finished:
            db.session.execute(update(STATE).where(STATE.c.id == STATE_ID).values(
                scanned_at=max(start, last) if last else start))
        db.session.commit()
        total += len(leaves)
        if seal is not None:
            journal.append(seal)
            log.info("seal %s: %s records, hash %s", seal["number"], seal["leaf_count"], seal["hash"])
        if finished:
            return total
