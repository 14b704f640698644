"""A subject's consent data, for the erasure engine and access exports. Flush, never commit.

Other packages go through these functions rather than touching the cookie tables.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from typing import Any

from sqlalchemy import Select, delete, select

from consent_service import clock
from consent_service.extensions import db
from proofs import erasures

from . import partitions
from .models import ConsentRecord, VisitorLink
from .schemas import ProofOut

CHUNK = 500
PROOF_OUT = ProofOut()
RECHECKS = 3


def _chunks(values: list[str], size: int = CHUNK) -> Iterator[list[str]]:
    for start in range(0, len(values), size):
        yield values[start:start + size]


def erase_account(account_id: str) -> dict[str, int]:
    """Delete the account's visitor links, then the consent records of those visitors.

    Links go first, so a decision recorded meanwhile for one of those visitors is no longer
    tied to the account; the records are then deleted again until a pass finds none, which
    catches a decision committed between the two deletes. A visitor also linked to another
    account keeps its records (they are that account's proof too).
    """
    links_table = VisitorLink.__table__
    removed_links = db.session.execute(links_table.delete().where(links_table.c.account_id == account_id)
                                       .returning(links_table.c.visitor_id)).scalars().all()
    links, visitors = len(removed_links), sorted(set(removed_links))
    shared = set()
    for chunk in _chunks(visitors):
        shared |= set(db.session.execute(select(VisitorLink.visitor_id).where(
            VisitorLink.visitor_id.in_(chunk), VisitorLink.account_id != account_id)).scalars())
    own = [v for v in visitors if v not in shared]
    records = 0
    for _ in range(RECHECKS):
        removed = 0
        for chunk in _chunks(own):
            erased = db.session.execute(delete(ConsentRecord).where(ConsentRecord.visitor_id.in_(chunk))
                                        .returning(ConsentRecord.consent_id)).scalars().all()
            removed += erasures.note_erased("consent", erased)  # their sealed leaves stay (docs/proofs.md)
        records += removed
        if not removed:
            break
    db.session.flush()
    return {"visitor_links": links, "consent_records": records}


def count_account(account_id: str) -> dict[str, int]:
    """How many links and consent records the account has (for receipts and checks)."""
    visitors = select(VisitorLink.visitor_id).where(VisitorLink.account_id == account_id)
    links = db.session.execute(select(db.func.count()).select_from(VisitorLink).where(
        VisitorLink.account_id == account_id)).scalar_one()
    records = db.session.execute(select(db.func.count()).select_from(ConsentRecord).where(
        ConsentRecord.visitor_id.in_(visitors))).scalar_one()
    return {"visitor_links": links, "consent_records": records}


def export_account(account_id: str) -> dict[str, Iterator[dict]]:
    """The account's visitor links and consent proofs, each as an iterator of JSON-ready dicts
    read in chunks (oldest first)."""
    return {"visitor_links": _links(account_id), "consent_records": _records(account_id)}


def _links(account_id: str) -> Iterator[dict]:
    query = select(VisitorLink).where(VisitorLink.account_id == account_id).order_by(VisitorLink.id)
    for link in db.session.execute(query.execution_options(yield_per=CHUNK)).scalars():
        yield {"visitor_id": link.visitor_id, "linked_at": clock.rfc3339(link.linked_at)}


def _records(account_id: str) -> Iterator[dict]:
    visitors = select(VisitorLink.visitor_id).where(VisitorLink.account_id == account_id)
    query = (select(ConsentRecord).where(ConsentRecord.visitor_id.in_(visitors))
             .order_by(ConsentRecord.recorded_at, ConsentRecord.consent_id))
    for record in db.session.execute(query.execution_options(yield_per=CHUNK)).scalars():
        yield PROOF_OUT.dump(record)


def visitors_of(account_ids: Iterable[str] | Select[Any]) -> list[tuple[str, str]]:
    """``(visitor_id, account_id)`` pairs for the given accounts (a list or a SQL select), in one query."""
    query = select(VisitorLink.visitor_id, VisitorLink.account_id).where(VisitorLink.account_id.in_(account_ids))
    return [(row.visitor_id, row.account_id) for row in db.session.execute(query)]


class ExpiredProofSweep:
    """Deletes the consent records recorded before ``before``: first the whole expired month
    partitions (PostgreSQL, cookies/partitions.py: detached by the first call, counted and
    dropped by the second); then, oldest first, one bounded batch per call (flushed, not
    committed: the caller commits between calls, so no lock is held long). A call returns how
    many went; the sweep is over when a call returns 0 and ``pending`` is false (the first call
    returns only what an earlier, stopped sweep left detached: its months are counted when
    dropped).

    A batch is a range of ``recorded_at``: its upper end is found in the index, and the next
    batch starts above it. Paging from the oldest row each time would walk again over the
    index entries of the rows just deleted, a third visit of each row that made the sweep
    twice as slow as one ``DELETE``. A batch holds ``batch`` rows, plus any sharing the
    boundary's instant (microseconds: in practice none).
    """

    def __init__(self, before: dt.datetime, batch: int):
        self.before, self.batch = before, batch
        self.after: dt.datetime | None = None
        self.months_done = False
        self.pending = False  # months detached, waiting for the next call to count and drop them

    def __call__(self) -> int:
        at = ConsentRecord.recorded_at
        dropped = 0
        if not self.months_done:
            self.months_done = True
            erasures.note_swept("consent", self.before)  # sealed leaves stay (docs/proofs.md)
            # Whole expired months go at once (PostgreSQL): detached in this call's transaction,
            # which takes them out of every reader's reach and locks the proof table for the
            # detach alone, then counted and dropped in the next call's, which locks only the
            # detached tables while their files are freed. Rows are deleted one by one only in
            # the month that holds the cutoff and in the default partition.
            dropped = partitions.drop_detached()  # left by a sweep that stopped in between
            self.pending = bool(partitions.detach_expired(self.before))
            if self.pending:
                return dropped
        elif self.pending:
            self.pending = False
            dropped = partitions.drop_detached()
        window = [at < self.before] + ([at > self.after] if self.after is not None else [])
        boundary = db.session.execute(select(at).where(*window).order_by(at)
                                      .offset(max(self.batch, 1) - 1).limit(1)).scalar_one_or_none()
        if boundary is not None:
            window.append(at <= boundary)
        removed = db.session.execute(delete(ConsentRecord).where(*window)  # type: ignore[attr-defined]
                                     .execution_options(synchronize_session=False)).rowcount
        self.after = boundary if boundary is not None else self.before
        return dropped + removed
