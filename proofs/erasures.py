"""What erasures leave behind for verification: a note per erased record, or per sweep.

A sealed record's leaf (and so its digest) stays in its seal for good; the note says that the
record's row is missing lawfully. Call these in the transaction that deletes, or before it:
a note for a deletion that then fails hides nothing, a deletion without its note reads as
tampering. Flush, never commit."""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from sqlalchemy import insert

from consent_service import clock
from consent_service.extensions import db

from .models import ProofErasure

ERASURES = ProofErasure.__table__


def note_erased(kind: str, record_ids: Iterable[str], trigger: str = "purge") -> int:
    """Note records erased one by one (an account purge); returns how many."""
    now = clock.now()
    rows = [{"kind": kind, "record_id": str(record_id), "recorded_before": None, "trigger": trigger,
             "erased_at": now} for record_id in record_ids]
    if rows:
        db.session.execute(insert(ERASURES), rows)
    return len(rows)


def note_swept(kind: str, before: dt.datetime, trigger: str = "retention") -> None:
    """Note that every record of ``kind`` recorded before ``before`` may be gone (a retention sweep)."""
    db.session.execute(insert(ERASURES).values(kind=kind, record_id=None, recorded_before=before, trigger=trigger,
                                               erased_at=clock.now()))
