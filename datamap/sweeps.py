"""Retention sweeps: what is past its retention in the portal's stores and the service's own
tables goes in bounded batches, each committed on its own, and a receipt (trigger
``retention``) records what went. The runner commits: it is a worker job."""
from __future__ import annotations

import functools
import logging
import uuid

from flask import current_app

from consent_service import clock
from consent_service.extensions import db
from consent_service.worker import stop_requested
from cookies import subject_data
from dsar import retention as dsar_retention

from . import connectors, exports
from .mapping import BUILTIN_STORE
from .models import Purge, PurgeStep
from .services import datamap

log = logging.getLogger(__name__)


def run_retention() -> int:
    """Worker job: sweep what is past its retention in bounded batches, each committed on its
    own so no lock is held long; a receipt (trigger ``retention``) records what went."""
    now = clock.now()
    batch = current_app.config["RETENTION_BATCH_SIZE"]
    budget = current_app.config["RETENTION_BATCHES_PER_PASS"]
    removed: list[tuple[str, str | None, int]] = []

    def drain(sweep) -> int:
        nonlocal budget
        total = 0
        while budget > 0 and not stop_requested():
            budget -= 1
            count = sweep()
            db.session.commit()
            total += count
            if not count and not getattr(sweep, "pending", False):  # the proof sweep's months wait for their drop
                break
        return total

    for store in datamap().stores:
        try:
            if store.kind == "sql":
                for table in store.tables:
                    if table.retention:
                        cutoff = connectors.retention_cutoff(table, now)
                        count = drain(functools.partial(connectors.sweep_batch, store, table, cutoff, batch))
                        removed.append((store.name, table.name, count))
            elif store.retention:
                removed.append((store.name, None, drain(functools.partial(connectors.sweep_files, store, now, batch))))
        except Exception as err:
            db.session.rollback()
            log.warning("retention sweep of store %s failed: %s", store.name, type(err).__name__)

    before = clock.add_months(now, -current_app.config["CONSENT_PROOF_RETENTION_MONTHS"])
    removed.append((BUILTIN_STORE, "consent_records", drain(subject_data.ExpiredProofSweep(before, batch))))
    removed.append((BUILTIN_STORE, "data_exports", exports.delete_expired(now)))
    closed_before = dsar_retention.closed_before(now)
    removed.append((BUILTIN_STORE, "dsar_requests",
                    drain(lambda: dsar_retention.sweep_closed_requests(closed_before, batch))))
    removed.append((BUILTIN_STORE, "outbox_messages", drain(lambda: dsar_retention.sweep_minimised_mail(batch))))
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
