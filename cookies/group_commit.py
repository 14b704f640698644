"""Group commit of consent proofs: the proofs of decisions arriving together share one
transaction, and each request returns only once its own row is committed.

A durable write costs a commit (a WAL flush) however small it is. When a process serves
several requests at once (gunicorn ``gthread`` workers), the decisions that arrive while a
commit is in flight queue up; the next request to find no commit in flight writes all the
queued proofs with one multi-row ``INSERT`` and one ``COMMIT``, then wakes their requests.
Nobody is answered before its proof is durable, and nothing waits on a timer: with one
request at a time (``sync`` workers) every batch is that request's own proof, written as before.
A failed batch fails every request in it (each answers the error; none was committed).

Every batch is one statement (a multi-row ``INSERT … VALUES (…), (…)`` when it holds several
rows), so the service runs it on a connection in autocommit: PostgreSQL commits the
statement's implicit transaction before it answers it (with ``synchronous_commit`` on, once
its WAL is flushed), the whole batch or none of it. That is one round trip per batch instead
of three (``BEGIN``, ``INSERT``, ``COMMIT``), and the same durability.
"""
from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from sqlalchemy import Connection, Insert

MAX_BATCH = 256


class _Entry:
    __slots__ = ("values", "done", "error")

    def __init__(self, values: dict[str, Any]):
        self.values = values
        self.done = False
        self.error: BaseException | None = None


class GroupCommit:
    """``execute(statement, values)`` for append-only rows, committed in groups (see above)."""

    def __init__(self, begin: Callable[[], Any], max_batch: int = MAX_BATCH):
        # A context manager yielding a Connection whose statement is committed when the block
        # ends: a connection in autocommit (cookies/__init__.py), or ``engine.begin``.
        self._begin = begin
        self._max_batch = max_batch
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
        try:
            connection: Connection
            with self._begin() as connection:
                rows = [queued.values for queued in batch]
                # One statement, the batch's rows in its VALUES: atomic even in autocommit
                # (an executemany would be one transaction per row there).
                if len(rows) == 1:
                    connection.execute(statement, rows[0])
                else:
                    connection.execute(statement.values(rows))
            self.batches += 1
        except BaseException as err:
            for queued in batch:
                queued.error = err

    @staticmethod
    def _outcome(entry: _Entry) -> None:
        if entry.error is not None:
            raise entry.error
