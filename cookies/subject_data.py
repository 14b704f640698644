"""A subject's consent data, for the erasure engine and access exports. Flush, never commit.

Other packages go through these functions rather than touching the cookie tables.
"""
from __future__ import annotations

import datetime as dt
from typing import Iterable, Iterator

from sqlalchemy import any_, delete, func, literal_column, select

from consent_service import clock
from consent_service.extensions import db

from .models import ConsentRecord, VisitorLink
from .services import proof_json

CHUNK = 500
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
            removed += db.session.execute(delete(ConsentRecord).where(ConsentRecord.visitor_id.in_(chunk))).rowcount
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
        yield proof_json(record)


def visitors_of(account_ids: Iterable[str] | object) -> list[tuple[str, str]]:
    """``(visitor_id, account_id)`` pairs for the given accounts (a list or a SQL select), in one query."""
    query = select(VisitorLink.visitor_id, VisitorLink.account_id).where(VisitorLink.account_id.in_(account_ids))
    return [(row.visitor_id, row.account_id) for row in db.session.execute(query)]


def sweep_expired_proofs(before: dt.datetime, batch: int) -> int:
    """Delete at most ``batch`` consent records recorded before ``before``; returns how many.

    One bounded statement, so the caller can commit between batches and never hold a lock long.
    """
    expired = ConsentRecord.recorded_at < before
    if db.session.get_bind().dialect.name == "postgresql":
        # ctid = ANY(ARRAY(page)): the oldest rows found once by the index, then deleted by
        # their physical address; "IN (page)" may become a hash join over the whole table.
        ctid = literal_column("ctid")
        page = select(ctid).select_from(ConsentRecord.__table__).where(expired) \
            .order_by(ConsentRecord.recorded_at).limit(batch)
        condition = ctid == any_(func.array(page.scalar_subquery()))
    else:
        oldest = select(ConsentRecord.consent_id).where(expired).order_by(ConsentRecord.recorded_at).limit(batch)
        condition = ConsentRecord.consent_id.in_(oldest.scalar_subquery())
    return db.session.execute(delete(ConsentRecord).where(condition)
                              .execution_options(synchronize_session=False)).rowcount
