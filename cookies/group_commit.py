"""Group commit of consent proofs: the proofs of decisions arriving together share one
transaction, and each request returns only once its own row is committed.

A durable write costs a commit (a WAL flush) however small it is. When a process serves
several requests at once (gunicorn ``gthread`` workers), the decisions that arrive while a
commit is in flight queue up; the next request to find no commit in flight writes all the
queued proofs with one multi-row ``INSERT`` (one commit), then wakes their requests.
Nobody is answered before its proof is durable, and nothing waits on a timer: with one
request at a time (``sync`` workers) every batch is that request's own proof, written as before.
A failed batch fails every request in it (each answers the error; none was committed).

Every batch is one statement (a multi-row ``INSERT … VALUES (…), (…)`` when it holds several
rows), run on a connection in autocommit: PostgreSQL commits the statement's implicit
transaction before it answers it (with ``synchronous_commit`` on, once its WAL is flushed),
the whole batch or none of it. That is one round trip per batch instead of three (``BEGIN``,
``INSERT``, ``COMMIT``), and the same durability.

Only one batch is ever in flight per process, so the writer keeps its one connection from
batch to batch instead of taking it from the pool and giving it back each time (about a
fifth of a write's CPU). Kept does not mean trusted: after ``ping_after`` seconds unused it
is pinged before the next batch (a database restart, an idle timeout: replaced, as the
pool's checkout does), after ``hold_for`` seconds it goes back to the pool (whose recycling
then applies), after a failed batch it is given back at once, and a forked process never
uses its parent's.
"""
from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from typing import Any

from sqlalchemy import Connection, Insert, text

MAX_BATCH = 256
PING_AFTER_SECONDS = 5.0  # as the pool's ping after idle (consent_service/extensions.py)
HOLD_FOR_SECONDS = 60.0


class _Entry:
    __slots__ = ("values", "done", "error")

    def __init__(self, values: dict[str, Any]):
        self.values = values
        self.done = False
        self.error: BaseException | None = None


class GroupCommit:
    """``execute(statement, values)`` for append-only rows, committed in groups (see above)."""

    def __init__(self, connect: Callable[[], Connection], max_batch: int = MAX_BATCH,
                 ping_after: float = PING_AFTER_SECONDS, hold_for: float = HOLD_FOR_SECONDS):
        # A new Connection in autocommit, out of the pool (cookies/__init__.py): a statement
        # run on it is committed when it returns.
        self._connect = connect
        self._max_batch = max_batch
        self._ping_after, self._hold_for = ping_after, hold_for
        self._connection: Connection | None = None
        self._owner = 0  # the pid that took it
        self._taken = self._used = 0.0
        self._pending: list[_Entry] = []
        self._flushing = False
        self._condition = threading.Condition()
        self.batches = 0  # for tests and benchmarks: how many transactions were committed

    def execute(self, statement: Insert, values: dict[str, Any]) -> None:
        """Insert ``values`` with ``statement``; returns once the row is committed."""
        entry = _Entry(values)
        with self._condition:
            self._pending.append(entry)
            while self._flushing and not entry.done:
                self._condition.wait()
            if entry.done:
                return self._outcome(entry)
            self._flushing = True
            batch, self._pending = self._pending[:self._max_batch], self._pending[self._max_batch:]
        try:
            self._write(statement, batch)
        finally:
            with self._condition:
                for queued in batch:
                    queued.done = True
                self._flushing = False
                self._condition.notify_all()
        return self._outcome(entry)

    def _write(self, statement: Insert, batch: list[_Entry]) -> None:
        """Run by one thread at a time (the flusher): the only user of the kept connection."""
        try:
            connection = self._checked_connection()
            rows = [queued.values for queued in batch]
            # One statement, the batch's rows in its VALUES: atomic in autocommit (an
            # executemany would be one transaction per row there).
            if len(rows) == 1:
                connection.execute(statement, rows[0])
            else:
                connection.execute(statement.values(rows))
            self._used = time.monotonic()
            self.batches += 1
        except BaseException as err:
            self.release()  # whatever failed, the next batch starts on a connection from the pool
            for queued in batch:
                queued.error = err

    def _checked_connection(self) -> Connection:
        connection, now = self._connection, time.monotonic()
        if connection is not None and self._owner != os.getpid():
            connection = self._connection = None  # a forked process: the parent's socket is not ours
        if connection is not None and now - self._taken >= self._hold_for:
            self.release()  # back to the pool now and then: its recycling applies
            connection = None
        if connection is not None and now - self._used >= self._ping_after:
            try:
                connection.execute(text("SELECT 1"))
            except Exception:  # noqa: BLE001 - stale: replaced below, as the pool does
                self.release()
                connection = None
        if connection is None:
            connection = self._connection = self._connect()
            self._owner, self._taken = os.getpid(), now
        return connection

    def release(self) -> None:
        """Give the kept connection back to the pool (the next batch takes one again)."""
        connection, self._connection = self._connection, None
        if connection is not None and self._owner == os.getpid():
            try:
                connection.close()
            except Exception:  # noqa: BLE001 - a broken connection: the pool discards it
                connection.invalidate()

    @staticmethod
    def _outcome(entry: _Entry) -> None:
        if entry.error is not None:
            raise entry.error
