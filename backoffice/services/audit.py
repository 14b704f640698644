"""The audit trail: the back-office's own entries and the staff's DSAR events, as one list."""
from __future__ import annotations

import dataclasses
import datetime as dt

from consent_service import clock
from consent_service.extensions import db
from dsar.models import DsarEvent, DsarRequest
from dsar.services import SUBJECT, SYSTEM

from .. import paging
from ..models import EMAIL_MAX, AuditEntry


def audit(actor: str, action: str, target: str | None = None) -> None:
    db.session.add(AuditEntry(at=clock.now(), actor=actor[:EMAIL_MAX], action=action[:32],
                              target=target[:200] if target else None))
    db.session.flush()


@dataclasses.dataclass
class TrailItem:
    at: dt.datetime
    actor: str
    action: str
    target: str | None
    note: str | None
    reference: str | None = None


def _trail():
    """Both sources of the audit trail as one UNION ALL: the DSAR events whose actor is a
    person or an API key (not the subject, not the system), and the back-office's entries.
    ``source`` (0 for events, 1 for entries) and ``id`` make the order total, so rows with the
    same time still sit at one offset only."""
    events = (db.select(DsarEvent.at.label("at"), DsarEvent.actor.label("actor"), DsarEvent.kind.label("action"),
                        DsarEvent.to_status.label("target"), DsarEvent.note.label("note"),
                        DsarRequest.reference.label("reference"), db.literal_column("0", db.Integer).label("source"),
                        DsarEvent.id.label("id"))
              .join(DsarRequest, DsarEvent.request_id == DsarRequest.id)
              .where(DsarEvent.actor.not_in((SUBJECT, SYSTEM))))
    entries = db.select(AuditEntry.at, AuditEntry.actor, AuditEntry.action, AuditEntry.target,
                        db.cast(db.null(), db.Text), db.cast(db.null(), db.String),
                        db.literal_column("1", db.Integer), AuditEntry.id)
    return db.union_all(events, entries).subquery("trail")


def audit_trail(limit: int = 500, offset: int = 0) -> list[TrailItem]:
    """What staff did, newest first (time, then source, then id): ``limit`` items after
    skipping ``offset``, read from the database in that order."""
    trail = _trail()
    rows = db.session.execute(db.select(trail).order_by(trail.c.at.desc(), trail.c.source, trail.c.id.desc())
                              .limit(limit).offset(offset)).all()
    return [TrailItem(clock.utc(r.at), r.actor, r.action, r.target, r.note, r.reference) for r in rows]


def audit_trail_page(number: int, size: int) -> paging.Page[TrailItem]:
    """Page ``number`` of the audit trail; raises :class:`paging.NoSuchPage` past the last."""
    total = db.session.execute(db.select(db.func.count()).select_from(_trail())).scalar_one()
    return paging.paginate(number, size, total, audit_trail)

