"""The rules shared by every part of a request's life: lookup, timeline, the register's queries.

Services flush, never commit; they raise :mod:`consent_service.errors` exceptions.
"""
from __future__ import annotations

import logging
import secrets

from consent_service import clock
from consent_service.errors import NotFound
from consent_service.extensions import db

from .models import OPEN_STATUSES, DsarEvent, DsarRequest

log = logging.getLogger(__name__)

SUBJECT = "subject"
SYSTEM = "system"
REFERENCE_ALPHABET = "ABCDEFGHJKMNPQRSTVWXYZ23456789"  # no 0/O, 1/I/L, U: easy to read aloud


def new_reference(year: int) -> str:
    return f"DSAR-{year}-" + "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(8))


def get_request(reference: str, *, for_update: bool = False) -> DsarRequest:
    """The request called ``reference``; raises :class:`NotFound`. ``for_update`` locks the
    row on PostgreSQL for a transition (the version column guards SQLite)."""
    query = db.select(DsarRequest).where(DsarRequest.reference == reference)
    if for_update:
        query = query.with_for_update()
    found = db.session.execute(query).scalar_one_or_none()
    if found is None:
        raise NotFound("No such request.")
    return found


def add_event(dsar_request: DsarRequest, kind: str, actor: str, *, to_status: str | None = None,
              note: str | None = None) -> DsarEvent:
    """Append one event; with ``to_status`` the request moves there in the same flush."""
    from_status = dsar_request.status
    event = DsarEvent(request=dsar_request, at=clock.now(), kind=kind, actor=actor, from_status=from_status,
                      to_status=to_status or from_status, note=note)
    if to_status:
        dsar_request.status = to_status
        if to_status != "awaiting_verification":
            dsar_request.dedup_key = None  # a new submission opens a new case from now on
    db.session.add(event)
    db.session.flush()
    log.info("dsar %s: %s by %s (%s -> %s)", dsar_request.reference, kind,
             actor if actor in (SUBJECT, SYSTEM) else "api key", from_status, event.to_status)
    return event


def is_open(dsar_request: DsarRequest) -> bool:
    return dsar_request.status in OPEN_STATUSES


def is_overdue(dsar_request: DsarRequest) -> bool:
    return is_open(dsar_request) and clock.utc(dsar_request.due_at) < clock.now()


# --- reading --------------------------------------------------------------------------------


def _matching(*, status: str | None = None, overdue: bool | None = None, type: str | None = None,
              channel: str | None = None) -> list:
    """The conditions of the register's filters."""
    conditions = []
    if status:
        conditions.append(DsarRequest.status == status)
    if type:
        conditions.append(DsarRequest.type == type)
    if channel:
        conditions.append(DsarRequest.channel == channel)
    if overdue is not None:
        late = db.and_(DsarRequest.status.in_(OPEN_STATUSES), DsarRequest.due_at < clock.now())
        conditions.append(late if overdue else db.not_(late))
    return conditions


def list_requests(*, limit: int | None = 500, offset: int = 0, **filters) -> list[DsarRequest]:
    """Requests matching the filters (status, overdue, type, channel), newest first: ``limit``
    of them (None: every one) after skipping ``offset``."""
    query = (db.select(DsarRequest).where(*_matching(**filters))
             .order_by(DsarRequest.received_at.desc(), DsarRequest.id.desc()))
    if limit is not None:
        query = query.limit(limit)
    if offset:
        query = query.offset(offset)
    return list(db.session.execute(query).scalars())


def count_requests(**filters) -> int:
    """How many requests match the filters of :func:`list_requests`."""
    return db.session.execute(db.select(db.func.count()).select_from(DsarRequest)
                              .where(*_matching(**filters))).scalar_one()
