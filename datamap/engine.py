"""The one erasure engine: account deletions, lease ends, DSAR erasures and retention sweeps.

A purge is a row with one step per store (per table for ``sql``). Steps are claimed with
``FOR UPDATE SKIP LOCKED`` on PostgreSQL and then held by a short lease that each batch renews;
every step can be run again, so a worker that dies mid-step leaves a step whose lease expires
and which the next worker finishes. The runners here commit: they are the worker's jobs.
"""
from __future__ import annotations

import datetime as dt
import logging
import time
import uuid

from flask import current_app
from sqlalchemy import and_, or_
from sqlalchemy.exc import IntegrityError

from consent_service import clock
from consent_service.extensions import db

from . import connectors, exports
from .loader import BUILTIN_STORE
from .models import AccountLease, AccountProcessing, Purge, PurgeStep
from .services import datamap, paris_today, subject_hash

log = logging.getLogger(__name__)

BUILTIN_TABLES = ("visitor_links", "consent_records", "account_leases", "account_processing", "data_exports")


def _config(name: str):
    return current_app.config[name]


def _postgres() -> bool:
    return db.session.get_bind().dialect.name == "postgresql"


# --- starting purges --------------------------------------------------------------------


def _plan(purge: Purge) -> list[PurgeStep]:
    now = clock.now()
    steps = []

    def step(store, kind, action, table=None, legal_basis=None):
        steps.append(PurgeStep(position=len(steps), store=store, table_name=table, kind=kind, action=action,
                               legal_basis=legal_basis, status="pending", rows=0, attempts=0,
                               next_attempt_at=now))

    for store in datamap().stores:
        if store.kind == "sql":
            for table in store.tables:
                step(store.name, "sql", table.on_erasure, table.name, table.legal_basis)
        else:
            step(store.name, "files", "delete")
    step(BUILTIN_STORE, "builtin", "delete")
    return steps


def start_purge(account_id: str, trigger: str) -> Purge:
    """The purge of ``account_id``: the existing one when there is one (a failed one is
    reopened), else a new pending one with a step per store. Idempotent."""
    digest = subject_hash(account_id)
    existing = db.session.execute(db.select(Purge).where(Purge.subject_hash == digest)).scalar_one_or_none()
    if existing is not None:
        if existing.status == "failed":
            _reopen(existing, account_id)
        return existing
    purge = Purge(purge_id=uuid.uuid4().hex, trigger=trigger, status="pending", subject_hash=digest,
                  account_id=account_id, requested_at=clock.now())
    purge.steps = _plan(purge)
    try:
        with db.session.begin_nested():
            db.session.add(purge)
    except IntegrityError:  # started by a concurrent call: that one is the purge
        return db.session.execute(db.select(Purge).where(Purge.subject_hash == digest)).scalar_one()
    log.info("purge %s started (%s), %d steps", purge.purge_id, trigger, len(purge.steps))
    return purge


def _reopen(purge: Purge, account_id: str) -> None:
    now = clock.now()
    purge.status, purge.finished_at, purge.account_id = "pending", None, account_id
    for step in purge.steps:
        if step.status == "failed":
            step.status, step.attempts, step.next_attempt_at, step.error = "pending", 0, now, None
    db.session.flush()


def start_due_lease_purges(limit: int = 100) -> int:
    """Start the purges of accounts whose ``purge_due_on`` has come (Paris date)."""
    query = (db.select(AccountLease)
             .where(AccountLease.purge_due_on <= paris_today(), AccountLease.purge_id.is_(None))
             .order_by(AccountLease.purge_due_on).limit(limit))
    if _postgres():
        query = query.with_for_update(skip_locked=True)
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


# --- running steps ----------------------------------------------------------------------


def _claim() -> int | None:
    now = clock.now()
    query = (db.select(PurgeStep)
             .where(or_(and_(PurgeStep.status == "pending", PurgeStep.next_attempt_at <= now),
                        and_(PurgeStep.status == "running", PurgeStep.lease_until < now)))
             .order_by(PurgeStep.next_attempt_at, PurgeStep.id).limit(1))
    if _postgres():
        query = query.with_for_update(skip_locked=True)
    step = db.session.execute(query).scalar_one_or_none()
    if step is None:
        db.session.rollback()
        return None
    step.status, step.attempts = "running", step.attempts + 1
    if step.purge.status == "pending":
        step.purge.status = "running"
    step.lease_until = now + dt.timedelta(seconds=_config("PURGE_STEP_LEASE_SECONDS"))
    if _writes_elsewhere(step):
        db.session.commit()  # other workers must see the claim while the store commits batches
    # else the step's work happens in this very transaction (the service's own tables, or only
    # a count): the row lock holds it, and a dead worker's transaction rolls back whole.
    return step.id


def _writes_elsewhere(step: PurgeStep) -> bool:
    return step.kind != "builtin" and step.action != "retain"


def run_purges() -> int:
    """Worker job: run due steps (new, retried, or abandoned by a dead worker); returns how many."""
    handled = 0
    limit = _config("PURGE_STEPS_PER_PASS")
    while handled < limit:
        step_id = _claim()
        if step_id is None:
            break
        run_step(step_id)
        handled += 1
    if not handled:  # an idle pass also settles any purge a dead worker left unsettled
        handled += _finish_stragglers()
    return handled


def run_step(step_id: int) -> None:
    step = db.session.get(PurgeStep, step_id)
    purge = step.purge
    try:
        if purge.account_id is None:
            raise LookupError("purge has no subject left")
        if step.kind == "builtin":
            step.counts = erase_builtin(purge.account_id, purge.subject_hash)
            step.rows = sum(step.counts.values())
        else:
            _run_store_step(step, purge)
        step.status, step.finished_at, step.error, step.lease_until = "done", clock.now(), None, None
    except Exception as err:
        claimed_apart = _writes_elsewhere(step)
        db.session.rollback()
        step = db.session.get(PurgeStep, step_id)
        if not claimed_apart:  # the claim rolled back with the work: count this try again
            step.attempts += 1
        _failed_attempt(step, err)
    _settle(step.purge_id)
    db.session.commit()


def _run_store_step(step: PurgeStep, purge: Purge) -> None:
    store = datamap().store(step.store)
    table = store.table(step.table_name) if store is not None and step.kind == "sql" else None
    if store is None or (step.kind == "sql" and table is None):
        raise LookupError("the store is no longer in the data map")
    batch = _config("PURGE_BATCH_SIZE")
    if step.kind == "sql" and step.action == "retain":
        step.rows = connectors.count_rows(store, table, purge.account_id)
        return
    pseudonym = f"erased-{purge.subject_hash[:24]}"
    while True:
        if step.kind == "sql":
            changed = connectors.erase_batch(store, table, purge.account_id, batch, pseudonym)
        else:
            changed = connectors.erase_files(store, purge.account_id, batch)
        if not batch:  # one statement did it all, atomically in the store
            step.rows += changed
            return
        if not changed:  # only an empty batch proves nothing is left (a short one may not)
            return
        step.rows += changed
        step.lease_until = clock.now() + dt.timedelta(seconds=_config("PURGE_STEP_LEASE_SECONDS"))
        db.session.commit()  # the store committed the batch; record it before the next one
        pause = _config("PURGE_BATCH_PAUSE_SECONDS")
        if pause:
            time.sleep(pause)  # lets tests kill a worker between two batches


def _failed_attempt(step: PurgeStep, err: Exception) -> None:
    now = clock.now()
    step.error = type(err).__name__
    step.lease_until = None
    if step.attempts >= _config("PURGE_MAX_ATTEMPTS"):
        step.status, step.finished_at = "failed", now
        log.error("purge %s: step %s (%s) failed after %d tries: %s", step.purge_id, step.id, step.store,
                  step.attempts, step.error)
    else:
        delay = _config("PURGE_RETRY_SECONDS") * 2 ** (step.attempts - 1)
        step.status, step.next_attempt_at = "pending", now + dt.timedelta(seconds=delay)
        log.warning("purge %s: step %s (%s) will be retried in %ss: %s", step.purge_id, step.id, step.store,
                    delay, step.error)


def _settle(purge_id: str) -> None:
    """Set the purge's status from its steps; the purge row is locked so that two workers
    finishing its last two steps at once cannot both miss the end."""
    query = db.select(Purge).where(Purge.purge_id == purge_id)
    if _postgres():
        query = query.with_for_update()
    purge = db.session.execute(query).scalar_one()
    statuses = set(db.session.execute(
        db.select(PurgeStep.status).where(PurgeStep.purge_id == purge_id).distinct()).scalars())
    if statuses <= {"done"}:
        purge.status, purge.finished_at, purge.account_id = "done", clock.now(), None
        log.info("purge %s done", purge_id)
    elif statuses <= {"done", "failed"}:
        purge.status, purge.finished_at = "failed", clock.now()
    else:
        purge.status = "running" if statuses & {"running", "done", "failed"} else "pending"


def _finish_stragglers() -> int:
    unsettled = db.session.execute(db.select(Purge.purge_id).where(Purge.status.in_(("pending", "running")))
                                   .where(~Purge.steps.any(PurgeStep.status.in_(("pending", "running"))))
                                   .limit(100)).scalars().all()
    for purge_id in unsettled:
        _settle(purge_id)
    db.session.commit()
    return len(unsettled)


def erase_builtin(account_id: str, digest: str) -> dict[str, int]:
    """The service's own data about the account: visitor links, consent records, the lease,
    restriction and objections, and any export built for it (files included)."""
    from cookies import subject_data

    counts = subject_data.erase_account(account_id)
    counts["account_leases"] = db.session.execute(
        db.delete(AccountLease).where(AccountLease.account_id == account_id)).rowcount
    counts["account_processing"] = db.session.execute(
        db.delete(AccountProcessing).where(AccountProcessing.account_id == account_id)).rowcount
    counts["data_exports"] = exports.delete_for_subject(digest)
    from .services import forget_objections

    forget_objections()
    return counts


# --- retention --------------------------------------------------------------------------


def run_retention() -> int:
    """Worker job: sweep what is past its retention in bounded batches, each committed on its
    own so no lock is held long; a receipt (trigger ``retention``) records what went."""
    now = clock.now()
    batch = _config("RETENTION_BATCH_SIZE")
    budget = _config("RETENTION_BATCHES_PER_PASS")
    removed: list[tuple[str, str | None, int]] = []

    def drain(sweep) -> int:
        nonlocal budget
        total = 0
        while budget > 0:
            budget -= 1
            count = sweep()
            db.session.commit()
            total += count
            if not count:
                break
        return total

    for store in datamap().stores:
        try:
            if store.kind == "sql":
                for table in store.tables:
                    if table.retention:
                        cutoff = connectors.retention_cutoff(table, now)
                        count = drain(lambda: connectors.sweep_batch(store, table, cutoff, batch))
                        removed.append((store.name, table.name, count))
            elif store.retention:
                removed.append((store.name, None, drain(lambda: connectors.sweep_files(store, now, batch))))
        except Exception as err:
            db.session.rollback()
            log.warning("retention sweep of store %s failed: %s", store.name, type(err).__name__)

    from cookies import subject_data

    before = clock.add_months(now, -_config("CONSENT_PROOF_RETENTION_MONTHS"))
    removed.append((BUILTIN_STORE, "consent_records", drain(lambda: subject_data.sweep_expired_proofs(before, batch))))
    removed.append((BUILTIN_STORE, "data_exports", exports.delete_expired(now)))
    db.session.commit()
    total = sum(count for *_rest, count in removed)
    if total:
        _retention_receipt(removed, now)
    return total


def _retention_receipt(removed, now) -> Purge:
    purge = Purge(purge_id=uuid.uuid4().hex, trigger="retention", status="done", requested_at=now,
                  finished_at=clock.now())
    purge.steps = [PurgeStep(position=i, store=store, table_name=table, kind="builtin" if store == BUILTIN_STORE
                             else ("sql" if table else "files"), action="delete", status="done", rows=count,
                             attempts=1, next_attempt_at=now, finished_at=clock.now())
                   for i, (store, table, count) in enumerate(r for r in removed if r[2])]
    db.session.add(purge)
    db.session.commit()
    return purge


# --- receipts ---------------------------------------------------------------------------


def receipt(purge: Purge) -> dict:
    """The receipt of contract section 5: stores and counts, the subject only as a keyed hash."""
    stores = []
    for step in purge.steps:
        if step.counts:
            for table in BUILTIN_TABLES:
                if table in step.counts:
                    stores.append({"store": step.store, "table": table, "action": step.action,
                                   "rows": step.counts[table], "legal_basis": None, "status": step.status})
            continue
        stores.append({"store": step.store, "table": step.table_name, "action": step.action, "rows": step.rows,
                       "legal_basis": step.legal_basis if step.action == "retain" else None, "status": step.status,
                       **({"attempts": step.attempts} if step.status != "done" else {})})
    return {"purge_id": purge.purge_id, "trigger": purge.trigger, "status": purge.status,
            "subject": purge.subject_hash, "stores": stores, "requested_at": clock.rfc3339(purge.requested_at),
            "finished_at": clock.rfc3339(purge.finished_at)}


def get_purge(purge_id: str) -> Purge | None:
    return db.session.get(Purge, purge_id)
