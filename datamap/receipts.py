"""Purge receipts (docs/datamap.md): stores, actions and counts, the subject only as a keyed
hash; what ``GET /v1/purges/{id}`` and the back-office show."""
from __future__ import annotations

from consent_service import clock
from consent_service.extensions import db

from .engine import BUILTIN_TABLES
from .models import Purge


def receipt(purge: Purge) -> dict:
    """The purge receipt (docs/datamap.md): stores and counts, the subject only as a keyed hash."""
    stores = []
    for step in purge.steps:
        if step.counts:
            for key, (table, action, legal_basis) in BUILTIN_TABLES.items():
                if key in step.counts and (action != "retain" or step.counts[key]):
                    stores.append({"store": step.store, "table": table, "action": action,
                                   "rows": step.counts[key], "legal_basis": legal_basis, "status": step.status})
            continue
        stores.append({"store": step.store, "table": step.table_name, "action": step.action, "rows": step.rows,
                       "legal_basis": step.legal_basis if step.action == "retain" else None, "status": step.status,
                       **({"attempts": step.attempts} if step.status != "done" else {})})
    return {"purge_id": purge.purge_id, "trigger": purge.trigger, "status": purge.status,
            "subject": purge.subject_hash, "stores": stores, "requested_at": clock.rfc3339(purge.requested_at),
            "finished_at": clock.rfc3339(purge.finished_at)}


def get_purge(purge_id: str) -> Purge | None:
    return db.session.get(Purge, purge_id)
