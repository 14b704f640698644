"""The rules shared by every part of a request's life: lookup, timeline, JSON, the register.

Services flush, never commit; they raise :mod:`consent_service.errors` exceptions.
"""
from __future__ import annotations

import csv
import io
import logging
import secrets
from typing import Any

from consent_service import clock
from consent_service.errors import NotFound
from consent_service.extensions import db
from consent_service.mail import OutboxMessage

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


def event_json(event: DsarEvent) -> dict:
    return {"at": clock.rfc3339(event.at), "kind": event.kind, "actor": event.actor,
            "from_status": event.from_status, "to_status": event.to_status, "note": event.note}


def request_json(dsar_request: DsarRequest, *, detail: bool = False) -> dict:
    """The contract's JSON for a request; the detail adds the subject, the outcome, the
    timeline (oldest first) and the e-mails sent about it."""
    body: dict[str, Any] = {
        "reference": dsar_request.reference, "type": dsar_request.type, "status": dsar_request.status,
        "channel": dsar_request.channel, "received_at": clock.rfc3339(dsar_request.received_at),
        "due_on": dsar_request.due_on.isoformat(), "due_at": clock.rfc3339(dsar_request.due_at),
        "extended": dsar_request.extended, "overdue": is_overdue(dsar_request),
    }
    if not detail:
        return body
    mails = db.session.execute(db.select(OutboxMessage).where(OutboxMessage.ref == dsar_request.reference)
                               .order_by(OutboxMessage.id)).scalars()
    body.update({
        "email": dsar_request.email, "full_name": dsar_request.full_name, "account_id": dsar_request.account_id,
        "locale": dsar_request.locale, "message": dsar_request.message,
        "verification_method": dsar_request.verification_method,
        "verified_at": clock.rfc3339(dsar_request.verified_at),
        "extension_reason": dsar_request.extension_reason, "rejection_ground": dsar_request.rejection_ground,
        "outcome": dsar_request.outcome, "export_url": dsar_request.export_url, "purge_id": dsar_request.purge_id,
        "closed_at": clock.rfc3339(dsar_request.closed_at),
        "events": [event_json(e) for e in dsar_request.events],
        "mails": [{"id": m.id, "subject": m.subject, "status": m.status, "attempts": m.attempts,
                   "last_error": m.last_error, "created_at": clock.rfc3339(m.created_at),
                   "sent_at": clock.rfc3339(m.sent_at)} for m in mails],
    })
    return body


REGISTER_COLUMNS = ("reference", "type", "status", "channel", "received_at", "due_on", "due_at", "extended",
                    "overdue", "verification_method", "verified_at", "rejection_ground", "closed_at",
                    "full_name", "email", "account_id")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value) -> str:
    """A CSV cell a spreadsheet will not run: text starting like a formula gets a leading '."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    text = str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def register_csv(requests: list[DsarRequest]) -> str:
    """The register of requests for the DPO (CSV, one line per request, newest first)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(REGISTER_COLUMNS)
    for r in requests:
        row = request_json(r)
        row.update({"verification_method": r.verification_method, "verified_at": clock.rfc3339(r.verified_at),
                    "rejection_ground": r.rejection_ground, "closed_at": clock.rfc3339(r.closed_at),
                    "full_name": r.full_name, "email": r.email, "account_id": r.account_id})
        writer.writerow([_cell(row[column]) for column in REGISTER_COLUMNS])
    return out.getvalue()


def subject_requests(account_id: str) -> list[dict]:
    """The subject's own requests with their timelines, for an access or portability export."""
    found = db.session.execute(db.select(DsarRequest).where(DsarRequest.account_id == account_id)
                               .order_by(DsarRequest.received_at)).scalars()
    keep = ("reference", "type", "status", "channel", "received_at", "due_on", "due_at", "extended",
            "email", "full_name", "account_id", "locale", "message", "verification_method", "verified_at",
            "extension_reason", "rejection_ground", "outcome", "closed_at", "events")
    return [{key: value for key, value in request_json(r, detail=True).items() if key in keep} for r in found]
