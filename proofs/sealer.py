"""The sealer: a worker job that puts every new record under a seal, a batch at a time.

One sealer at a time: each seal's transaction first updates the one ``seal_state`` row, which
holds the others back until it commits (a row lock on PostgreSQL, the write lock on SQLite).
A record is picked when no leaf names it yet, so nothing is sealed twice (the unique
``(kind, recorded_at, record_id)`` of the leaves says so too) and the order is that of the commits seen.

Records are not committed in the order of their recorded times: a slow transaction commits a
record timed before a pass after that pass. So a pass looks back below what it has already
sealed. Most passes are shallow: they look ``RECENT_COMMIT`` below the newest record sealed of
each kind, which catches the ordinary delays (a decision is committed milliseconds after its
time). Every ``DEEP_EVERY`` a deep pass looks back ``LATE_COMMIT`` before the previous deep
pass's start and notes its own start in ``scanned_at``: a record committed up to
``LATE_COMMIT`` after its time is sealed by then. Verification reports an unsealed record
older than ``scanned_at - LATE_COMMIT`` as inserted. Re-reading ten minutes of records on
every pass, as the sealer once did, cost writers measurable CPU under load.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import logging
from collections.abc import Iterator, Sequence
from typing import Any, cast

from sqlalchemy import CursorResult, Select, and_, exists, insert, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite

from consent_service import clock
from consent_service.extensions import db

from . import journal, merkle
from .models import Seal, SealLeaf, SealState
from .sources import Source, leaf_bytes, sources, utc_text

log = logging.getLogger(__name__)

LATE_COMMIT = dt.timedelta(minutes=10)
DEEP_EVERY = dt.timedelta(minutes=5)
RECENT_COMMIT = dt.timedelta(seconds=10)
MAX_LEAVES = 65536
READ_CHUNK = 10000  # rows read at a time: a seal's records are never all in memory, only their digests
COPY_CHUNK = 8192  # leaves sent to PostgreSQL's COPY at a time
STREAM_CHUNK = 1000  # rows PostgreSQL sends at a time
STATE_ID = 1
STATE, LEAVES, SEALS = SealState.__table__, SealLeaf.__table__, Seal.__table__
LEAF_COLUMNS = ("seal_number", "position", "kind", "record_id", "recorded_at", "digest")

Leaf = tuple[str, str, dt.datetime, str, bytes]  # kind, record id, recorded at, record digest, leaf hash
Cursor = tuple[dt.datetime, Any]


def scanned_at() -> dt.datetime | None:
    """When the last complete deep pass started (None before the first)."""
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


def _newest_sealed(kind: str) -> dt.datetime | None:
    """The time of the newest record of ``kind`` under a seal (the leaves' index gives it at once)."""
    return db.session.execute(select(LEAVES.c.recorded_at).where(LEAVES.c.kind == kind)
                              .order_by(LEAVES.c.recorded_at.desc()).limit(1)).scalar_one_or_none()


def _look_back(last: dt.datetime | None, deep: bool, start: dt.datetime) -> dict[str, dt.datetime | None]:
    """Where this pass starts looking, kind by kind (None: from the first record)."""
    deep_from = last - LATE_COMMIT if last else None
    if deep:
        return {source.kind: deep_from for source in sources()}
    since: dict[str, dt.datetime | None] = {}
    for source in sources():
        newest = _newest_sealed(source.kind)
        # (a record timed in the future must not hide the ones between: never above the pass's start)
        shallow = min(newest, start) - RECENT_COMMIT if newest else None
        since[source.kind] = max(shallow, deep_from) if shallow and deep_from else (shallow or deep_from)
    return since


def _unsealed(source: Source, since: dt.datetime | None, after: Cursor | None, limit: int) -> Select[Any]:
    query = select(*source.columns()).where(~exists().where(LEAVES.c.kind == source.kind,
                                                             LEAVES.c.recorded_at == source.time,
                                                             LEAVES.c.record_id == source.key_text()))
    if since is not None:
        query = query.where(source.time >= since)
    if after is not None:
        # (the first condition alone lets the database start its index scan at the cursor,
        # rather than read again every record sealed before it)
        query = query.where(source.time >= after[0],
                            or_(source.time > after[0], and_(source.time == after[0], source.key > after[1])))
    return query.order_by(source.time, source.key).limit(limit)


def _rows(query: Select[Any]) -> Iterator[Sequence[Any]]:
    """The query's rows as plain tuples, streamed. On PostgreSQL straight from the driver: no
    per-row result processing, times as the driver gives them (aware, in the session's zone),
    JSON as its stored text (``Source.columns``)."""
    connection = db.session.connection()
    if connection.dialect.name != "postgresql":
        yield from db.session.execute(query.execution_options(yield_per=READ_CHUNK)).tuples()
        return
    compiled = query.compile(dialect=connection.dialect, compile_kwargs={"render_postcompile": True})
    driver = connection.connection.driver_connection
    assert driver is not None  # a pooled connection in use always has its driver connection
    with driver.cursor() as cursor:
        # streamed in chunks: the server goes on finding rows while these are hashed
        yield from cursor.stream(str(compiled), compiled.params, size=STREAM_CHUNK)


def _gather(since: dict[str, dt.datetime | None], cursors: dict[str, Cursor], limit: int) -> list[Leaf]:
    leaves: list[Leaf] = []
    sha256 = hashlib.sha256
    for source in sources():
        room = limit - len(leaves)
        if room <= 0:
            break
        kind, canonical = source.kind, source.canonical
        key_at, time_at = source.position(source.key), source.position(source.time)
        row = None
        for row in _rows(_unsealed(source, since[kind], cursors.get(kind), room)):
            record_id, recorded_at = row[key_at], row[time_at]
            if record_id.__class__ is not str:
                record_id = str(record_id)
            at = utc_text(recorded_at)
            digest = sha256(canonical(row, at)).hexdigest()
            leaves.append((kind, record_id, recorded_at, digest, leaf_bytes(kind, record_id, at, digest)))
        if row is not None:
            cursors[kind] = (row[time_at], row[key_at])
    return leaves


def _copy_text(value: str) -> str:
    """A text field as COPY's text format reads it."""
    if value.isascii() and value.isalnum():
        return value
    return value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def _insert_leaves(number: int, leaves: list[Leaf]) -> None:
    connection = db.session.connection()
    if connection.dialect.name == "postgresql":
        names = ", ".join(LEAF_COLUMNS)
        driver = connection.connection.driver_connection
        assert driver is not None  # a pooled connection in use always has its driver connection
        with driver.cursor() as cursor:
            with cursor.copy(f"COPY seal_leaves ({names}) FROM STDIN") as copy:
                for first in range(0, len(leaves), COPY_CHUNK):
                    copy.write("".join([
                        f"{number}\t{position}\t{_copy_text(kind)}\t{_copy_text(record_id)}\t"
                        f"{recorded_at.isoformat()}\t{digest}\n"
                        for position, (kind, record_id, recorded_at, digest, _leaf)
                        in enumerate(leaves[first:first + COPY_CHUNK], first)]))
        return
    # SQLite: the rows as they are stored (the time through its column type), in one executemany
    column_type = LEAVES.c.recorded_at.type
    stored = column_type.dialect_impl(connection.dialect).bind_processor(connection.dialect) or (lambda value: value)
    placeholders = ", ".join("?" * len(LEAF_COLUMNS))
    connection.exec_driver_sql(f"INSERT INTO seal_leaves ({', '.join(LEAF_COLUMNS)}) VALUES ({placeholders})",
                               [(number, position, kind, record_id, stored(recorded_at), digest)
                                for position, (kind, record_id, recorded_at, digest, _leaf) in enumerate(leaves)])


def write_seal(leaves: list[Leaf]) -> dict[str, Any]:
    """Seal ``leaves`` after the latest seal (the caller holds the lock); the seal's fields and hash."""
    head = db.session.execute(select(SEALS.c.number, SEALS.c.hash).order_by(SEALS.c.number.desc()).limit(1)).first()
    number, previous = (head.number + 1, head.hash) if head else (1, merkle.GENESIS)
    builder = merkle.RootBuilder()
    for leaf in leaves:
        builder.add_digest(leaf[4])
    root = builder.root()
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
        deep = last is None or start - last >= DEEP_EVERY
        leaves = _gather(_look_back(last, deep, start), cursors, max_leaves)
        seal = write_seal(leaves) if leaves else None
        finished = len(leaves) < max_leaves
        if finished and deep:
            db.session.execute(update(STATE).where(STATE.c.id == STATE_ID).values(
                scanned_at=max(start, last) if last else start))
        db.session.commit()
        total += len(leaves)
        if seal is not None:
            journal.append(seal)
            log.info("seal %s: %s records, hash %s", seal["number"], seal["leaf_count"], seal["hash"])
        if finished:
            return total
