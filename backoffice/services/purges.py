"""Purge receipts, a page at a time, and one receipt."""
from __future__ import annotations

from consent_service.extensions import db
from datamap import receipts
from datamap.models import Purge
from datamap.schemas import Receipt

from .. import paging
from . import OPAQUE_ID

RECEIPT = Receipt()


def purges(limit: int = 200, offset: int = 0) -> list:
    """Purges, newest first (then by id): ``limit`` of them after skipping ``offset``."""
    return list(db.session.execute(db.select(Purge).order_by(Purge.requested_at.desc(), Purge.purge_id)
                                   .limit(limit).offset(offset)).scalars())


def purges_page(number: int, size: int) -> paging.Page:
    """Page ``number`` of the purge receipts; raises :class:`paging.NoSuchPage` past the last."""
    total = db.session.execute(db.select(db.func.count()).select_from(Purge)).scalar_one()
    return paging.paginate(number, size, total, purges)


def purge_receipt(purge_id: str) -> dict | None:
    if not OPAQUE_ID.match(purge_id or ""):
        return None
    purge = receipts.get_purge(purge_id)
    return RECEIPT.dump(purge) if purge is not None else None
