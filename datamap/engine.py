"""The one erasure engine: it runs the steps of the purges of account deletions, lease ends and
DSAR erasures (starting a purge and planning its steps: purge_start.py; retention sweeps:
sweeps.py; receipts: receipts.py).

A purge is a row with one step per store (per table for ``sql``). Steps are claimed with
``FOR UPDATE SKIP LOCKED`` on PostgreSQL and then held by a short lease that each batch renews;
every step can be run again, so a worker that dies mid-step leaves a step whose lease expires
and which the next worker finishes. The runners here commit: they are the worker's jobs.
"""
from __future__ import annotations

import datetime as dt
import logging
import time
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import and_, bindparam, func, or_, select

from consent_service import clock
from consent_service.extensions import db
from consent_service.worker import stop_requested
from cookies import subject_data
from dsar import retention as dsar_retention
from preferences import subject_data as preference_data

from . import connectors, exports, journal
from .mapping import Store, Table
from .models import PURGES, STEPS, AccountLease, AccountProcessing, Purge, PurgeStep
from .services import datamap, forget_objections
from .step_lease import LeaseKeeper, StepTakenOver

log = logging.getLogger(__name__)

OPEN_REQUESTS_KEPT = ("GDPR art. 12(3): the answer to an open data-subject request is still owed; "
                      "its personal data are removed when it closes")
# What the builtin step counts, and how each count reads in a receipt: (table, action, legal basis).
BUILTIN_TABLES = {
    "visitor_links": ("visitor_links", "delete", None),
    "consent_records": ("consent_records", "delete", None),
    "account_leases": ("account_leases", "delete", None),
    "account_processing": ("account_processing", "delete", None),
    "data_exports": ("data_exports", "delete", None),
    "dsar_requests": ("dsar_requests", "anonymize", None),
    "dsar_requests_open": ("dsar_requests", "retain", OPEN_REQUESTS_KEPT),
    "account_preferences": ("account_preferences", "delete", None),
    "preference_changes": ("preference_changes", "delete", None),
}


def _config(name: str):
    return current_app.config[name]


@dataclass(frozen=True)
class Claimed:
    """A step this worker holds, and what running it needs to know of its purge."""

    id: int
    purge_id: str
    store: str
    table_name: str | None
    kind: str
    action: str
    account_id: str | None
    subject_hash: str | None
    attempt: int = 0  # the fencing token: a worker whose step was taken over writes nothing more

    @property
    def writes_elsewhere(self) -> bool:
        return self.kind != "builtin" and self.action != "retain"


def _lease_end() -> dt.datetime:
    return clock.now() + dt.timedelta(seconds=_config("PURGE_STEP_LEASE_SECONDS"))


# A worker pass runs these for every step: they are built once (FOR UPDATE is dropped by
# SQLite's compiler) so that a purge's fixed cost is the database's, not Python's.
_DUE_STEP = (select(STEPS.c.id)
             .where(or_(and_(STEPS.c.status == "pending", STEPS.c.next_attempt_at <= bindparam("now")),
                        and_(STEPS.c.status == "running", STEPS.c.lease_until < bindparam("now"))))
             .order_by(STEPS.c.next_attempt_at, STEPS.c.id).limit(1)
             .with_for_update(skip_locked=True).scalar_subquery())
_CLAIM = (STEPS.update().where(STEPS.c.id == _DUE_STEP)
          .values(status="running", attempts=STEPS.c.attempts + 1, lease_until=bindparam("lease_end"))
          .returning(STEPS.c.id, STEPS.c.purge_id, STEPS.c.store, STEPS.c.table_name, STEPS.c.kind, STEPS.c.action,
                     STEPS.c.attempts))
# A purge with a due step is pending or running; this also locks its row until the claim commits.
_PURGE_RUNNING = (PURGES.update().where(PURGES.c.purge_id == bindparam("of_purge")).values(status="running")
                  .returning(PURGES.c.account_id, PURGES.c.subject_hash))
_OTHER_STEPS = STEPS.alias("other_steps")


def _other_steps(*statuses: str):
    return (select(func.count()).select_from(_OTHER_STEPS)
            .where(_OTHER_STEPS.c.purge_id == bindparam("of_purge"), _OTHER_STEPS.c.id != bindparam("step_id"),
                   _OTHER_STEPS.c.status.in_(statuses)).scalar_subquery())


# Marks the step done and says, in the same statement, how many of the purge's other steps are
# unfinished and failed; run with the purge row locked, so its snapshot is taken after any
# other worker that finished a step of the same purge has committed.
_STEP_DONE = (STEPS.update().where(STEPS.c.id == bindparam("step_id"), STEPS.c.attempts == bindparam("attempt"))
              .values(status="done", rows=bindparam("rows_changed"), counts=bindparam("table_counts"),
                      finished_at=bindparam("done_at"), error=None, lease_until=None)
              .returning(_other_steps("pending", "running"), _other_steps("failed")))
_LOCK_PURGE = select(PURGES.c.status).where(PURGES.c.purge_id == bindparam("of_purge")).with_for_update()
_STEP_STATUSES = select(STEPS.c.status).where(STEPS.c.purge_id == bindparam("of_purge")).distinct()


def _claim() -> Claimed | None:
    """Take the next due step: new, retried, or abandoned by a dead worker."""
    step = db.session.execute(_CLAIM, {"now": clock.now(), "lease_end": _lease_end()}).first()
    if step is None:
        # Nothing changed; COMMIT ends the transaction as well as ROLLBACK would, and psycopg
        # answers a ROLLBACK by dropping its prepared statements (one more round trip, and
        # every statement of the next pass parsed and planned again).
        db.session.commit()
        return None
    account_id, digest = db.session.execute(_PURGE_RUNNING, {"of_purge": step.purge_id}).one()
    claimed = Claimed(step.id, step.purge_id, step.store, step.table_name, step.kind, step.action, account_id,
                      digest, step.attempts)
    if claimed.writes_elsewhere:
        db.session.commit()  # other workers must see the claim while the store commits batches
    # else the step's work happens in this very transaction (the service's own tables, or only
    # a count): the row lock holds it, and a dead worker's transaction rolls back whole.
    return claimed


def run_purges() -> int:
    """Worker job: run due steps (new, retried, or abandoned by a dead worker); returns how many."""
    handled = 0
    limit = _config("PURGE_STEPS_PER_PASS")
    while handled < limit and not stop_requested():
        step = _claim()
        if step is None:
            break
        run_step(step)
        handled += 1
    if not handled:  # an idle pass also settles any purge a dead worker left unsettled
        handled += _finish_stragglers()
    return handled


def run_step(step: Claimed) -> None:
    try:
        if step.account_id is None or step.subject_hash is None:
            raise LookupError("purge has no subject left")
        counts = None
        if step.kind == "builtin":
            counts = erase_builtin(step.account_id, step.subject_hash)
            rows = sum(n for key, n in counts.items() if BUILTIN_TABLES[key][1] != "retain")
        else:
            rows = _run_store_step(step)
        _finish(step, rows, counts)
    except StepTakenOver:
        db.session.rollback()
        log.warning("purge %s: step %s was taken over by another worker; this one stops", step.purge_id, step.id)
        return
    except Exception as err:
        db.session.rollback()
        failed = db.session.get(PurgeStep, step.id)
        if failed is None:  # the purge was deleted meanwhile: nothing to record
            return
        if step.writes_elsewhere and (failed.attempts != step.attempt or failed.status != "running"):
            log.warning("purge %s: step %s failed here after another worker took it over", step.purge_id, step.id)
            return  # its new holder reports it
        if not step.writes_elsewhere:  # the claim rolled back with the work: count this try again
            failed.attempts += 1
        _failed_attempt(failed, err)
        db.session.flush()  # _settle reads the steps with a Core query, which does not autoflush
        _settle(step.purge_id)
    db.session.commit()


def _finish(step: Claimed, rows: int, counts: dict | None) -> None:
    """Record the step done and, when it was the purge's last, the purge's end."""
    if step.writes_elsewhere:  # else the claim, in this same transaction, holds the purge's row
        db.session.execute(_LOCK_PURGE, {"of_purge": step.purge_id})
    recorded = db.session.execute(_STEP_DONE, {
        "step_id": step.id, "attempt": step.attempt, "of_purge": step.purge_id, "rows_changed": rows,
        "table_counts": counts, "done_at": clock.now()}).first()
    if recorded is None:
        raise StepTakenOver(step.id)
    unfinished, failed = recorded
    if not unfinished:
        _end(step.purge_id, "failed" if failed else "done")


def _end(purge_id: str, status: str) -> None:
    values = {"status": status, "finished_at": clock.now()}
    if status == "done":
        values["account_id"] = None  # the purge no longer needs to know whom it was about
        journal.record(purge_id)  # fsynced before the end commits: a restore cannot undo it unseen
        log.info("purge %s done", purge_id)
    db.session.execute(PURGES.update().where(PURGES.c.purge_id == purge_id).values(**values))


def _run_store_step(step: Claimed) -> int:
    """Apply the step to its store; returns the rows (or files) it removed or anonymised, or
    counted for ``retain``.

    The store commits on its own, so a worker may die after the store's commit and before the
    step is recorded; the next try then finds nothing left. So the subject's rows are counted,
    and the count recorded, before the first statement acts: the receipt says the larger of that
    count and what the statements reported. While a statement runs, a thread renews the lease;
    every write about the step is fenced by the claim's attempt number."""
    store = datamap().store(step.store)
    table = store.table(step.table_name) if store is not None and step.kind == "sql" and step.table_name else None
    if store is None or (step.kind == "sql" and table is None):
        raise LookupError("the store is no longer in the data map")
    if step.account_id is None or step.subject_hash is None:
        raise LookupError("purge has no subject left")
    if table is not None and step.action == "retain":
        return connectors.count_rows(store, table, step.account_id)
    batch = _config("PURGE_BATCH_SIZE")
    pseudonym = f"erased-{step.subject_hash[:24]}"
    with LeaseKeeper(step) as lease:
        counted = _counted_before_acting(step, store, table)
        rows = db.session.execute(db.select(STEPS.c.rows).where(STEPS.c.id == step.id)).scalar_one() if batch else 0
        while True:
            if table is not None:
                changed = connectors.erase_batch(store, table, step.account_id, batch, pseudonym)
            else:
                changed = connectors.erase_files(store, step.account_id, batch)
            rows += changed
            if not batch or not changed:  # one statement did it all, or an empty batch proved nothing is left
                return max(rows, counted)
            lease.check()
            _fenced_step_update(step, rows=rows, lease_until=_lease_end())
            db.session.commit()  # the store committed the batch; record it before the next one
            pause = _config("PURGE_BATCH_PAUSE_SECONDS")
            if pause:
                time.sleep(pause)  # lets tests kill a worker between two batches


def _fenced_step_update(step: Claimed, **values) -> None:
    changed = db.session.execute(STEPS.update().where(STEPS.c.id == step.id, STEPS.c.attempts == step.attempt,
                                                      STEPS.c.status == "running").values(**values)
                                 .returning(STEPS.c.id)).first()
    if changed is None:
        db.session.rollback()
        raise StepTakenOver(step.id)


def _counted_before_acting(step: Claimed, store: Store, table: Table | None) -> int:
    """The subject's rows (or files) in the store before the step first acted, recorded once."""
    counted = db.session.execute(db.select(STEPS.c.counted).where(STEPS.c.id == step.id)).scalar_one()
    if counted is None:
        account_id = step.account_id or ""  # the caller checked it
        counted = connectors.count_rows(store, table, account_id) if table is not None \
            else connectors.count_files(store, account_id)
        _fenced_step_update(step, counted=counted)
    db.session.commit()  # recorded before the first statement acts
    return counted


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
    current = db.session.execute(_LOCK_PURGE, {"of_purge": purge_id}).scalar_one()
    statuses = set(db.session.execute(_STEP_STATUSES, {"of_purge": purge_id}).scalars())
    if statuses <= {"done"}:
        _end(purge_id, "done")
    elif statuses <= {"done", "failed"}:
        _end(purge_id, "failed")
    else:
        status = "running" if statuses & {"running", "done", "failed"} else "pending"
        if status != current:
            db.session.execute(PURGES.update().where(PURGES.c.purge_id == purge_id).values(status=status))


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
    restriction and objections, any export built for it (files included), its preferences and
    their history, and the personal data of its closed data-subject requests (the requests stay
    as proof of their handling)."""
    counts = subject_data.erase_account(account_id)
    for model in (AccountLease, AccountProcessing):
        table = model.__table__
        deleted = db.session.execute(table.delete().where(table.c.account_id == account_id))
        counts[table.name] = deleted.rowcount  # type: ignore[attr-defined]  # a DELETE: a CursorResult
    counts["data_exports"] = exports.delete_for_subject(digest)
    counts.update(dsar_retention.minimise_account_requests(account_id))
    counts.update(preference_data.erase_account(account_id))
    forget_objections()
    return counts
