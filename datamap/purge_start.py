"""Starting purges: the purge of an account (or the existing one, a failed one reopened) with
its plan of one step per store, and the purges of accounts whose lease ended. The engine
(engine.py) runs the steps. These work in the caller's transaction, except the worker's job
(:func:`start_due_lease_purges`), which commits."""
from __future__ import annotations

import datetime as dt
import logging
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite

from consent_service import clock
from consent_service.extensions import db

from .mapping import BUILTIN_STORE
from .models import PURGES, STEPS, AccountLease
from .services import datamap, paris_today, subject_hash

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class StartedPurge:
    purge_id: str
    status: str


def _plan(purge_id: str, now: dt.datetime) -> list[dict[str, Any]]:
    steps: list[dict[str, Any]] = []

    def step(store, kind, action, table=None, legal_basis=None):
        steps.append({"purge_id": purge_id, "position": len(steps), "store": store, "table_name": table,
                      "kind": kind, "action": action, "legal_basis": legal_basis, "status": "pending", "rows": 0,
                      "attempts": 0, "next_attempt_at": now})

    for store in datamap().stores:
        if store.kind == "sql":
            for table in store.tables:
                step(store.name, "sql", table.on_erasure, table.name, table.legal_basis)
        else:
            step(store.name, "files", "delete")
    step(BUILTIN_STORE, "builtin", "delete")
    return steps


def _insert_unless_present(table: Table):
    """``INSERT … ON CONFLICT DO NOTHING`` in the session's dialect (PostgreSQL or SQLite)."""
    dialect = postgresql if db.session.get_bind().dialect.name == "postgresql" else sqlite
    return dialect.insert(table).on_conflict_do_nothing()


def start_purge(account_id: str, trigger: str, purge_id: str | None = None,
                requested_at: dt.datetime | None = None) -> StartedPurge:
    """The purge of ``account_id``: the existing one when there is one (a failed one is
    reopened), else a new pending one with a step per store. Idempotent, also between
    concurrent callers (the subject's keyed hash is unique). ``purge_id`` and ``requested_at``
    are given when the erasure journal's replay starts a purge again under its own id."""
    digest, now = subject_hash(account_id), clock.now()
    created = db.session.execute(
        _insert_unless_present(PURGES).values(purge_id=purge_id or uuid.uuid4().hex, trigger=trigger,
                                              status="pending", subject_hash=digest, account_id=account_id,
                                              requested_at=requested_at or now)
        .returning(PURGES.c.purge_id)).scalar_one_or_none()
    if created is not None:
        steps = _plan(created, now)
        db.session.execute(STEPS.insert(), steps)
        log.info("purge %s started (%s), %d steps", created, trigger, len(steps))
        return StartedPurge(created, "pending")
    purge_id, status = db.session.execute(
        db.select(PURGES.c.purge_id, PURGES.c.status).where(PURGES.c.subject_hash == digest)).one()
    if status == "failed":
        _reopen(purge_id, account_id, now)
        status = "pending"
    return StartedPurge(purge_id, status)


def _reopen(purge_id: str, account_id: str, now: dt.datetime) -> None:
    db.session.execute(PURGES.update().where(PURGES.c.purge_id == purge_id)
                       .values(status="pending", finished_at=None, account_id=account_id))
    db.session.execute(STEPS.update().where(STEPS.c.purge_id == purge_id, STEPS.c.status == "failed")
                       .values(status="pending", attempts=0, next_attempt_at=now, error=None))


def start_due_lease_purges(limit: int = 100) -> int:
    """Start the purges of accounts whose ``purge_due_on`` has come (Paris date)."""
    query = (db.select(AccountLease)  # SKIP LOCKED on PostgreSQL; SQLite's compiler drops FOR UPDATE
             .where(AccountLease.purge_due_on <= paris_today(), AccountLease.purge_id.is_(None))
             .order_by(AccountLease.purge_due_on).limit(limit).with_for_update(skip_locked=True))
    started = 0
    for lease in db.session.execute(query).scalars().all():
        purge = start_purge(lease.account_id, "lease_ended")
        if purge.status == "done":  # already gone: nothing left to purge
            db.session.delete(lease)
        else:  # the purge's own step removes the lease row; until then it is not picked again
            lease.purge_id = purge.purge_id
        started += 1
    db.session.commit()
    return started
