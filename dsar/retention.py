"""How long a request keeps what identifies its subject, and how long the request itself stays.

A closed request is the controller's proof that a right was answered, and answered in time
(GDPR art. 5(2) and 12): its reference, type, channel, status, dates, deadlines, extension,
verification method, rejection ground and the shape of its timeline (when, what, who, from
which status to which) stay. What identifies the person does not stay longer than needed:

- when the subject's account is purged, the account's closed requests are *minimised*
  (:func:`minimise_account_requests`, called by the erasure engine); an open one is
  minimised when it closes (:func:`minimise_if_purged`, called by the workflow), so that the
  answer still reaches the subject first;
- ``DSAR_RETENTION_MONTHS`` after closing (:func:`closed_before`), a request goes with its
  timeline and its e-mails (:func:`sweep_closed_requests` and :func:`sweep_minimised_mail`,
  called by the erasure engine's retention sweep).

Services: they flush, never commit. Bulk statements, a handful whatever the number of rows.
"""
from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence

from flask import current_app
from sqlalchemy import delete, exists, insert, inspect, select, update

from consent_service import clock, hooks
from consent_service.extensions import db
from consent_service.mail import OutboxMessage

from .models import OPEN_STATUSES, DsarEvent, DsarRequest
from .services import SYSTEM

log = logging.getLogger(__name__)

MINIMISED = "minimised"  # the kind of the event that marks a minimised request
MINIMISED_NOTE = "Personal data removed: the subject's account was purged."
IDENTIFYING = ("email", "full_name", "birth_date", "message", "account_id", "outcome", "export_url")
UNSENT = ("queued", "sending")  # mail that must still leave: never deleted here
REFERENCE_PREFIX = "DSAR-"  # dsar.services.new_reference; other refs (the digest's) are not requests'

_requests = DsarRequest.__table__
_events = DsarEvent.__table__
_outbox = OutboxMessage.__table__


# --- minimisation ---------------------------------------------------------------------------


def minimise_account_requests(account_id: str) -> dict[str, int]:
    """Minimise the closed requests of ``account_id`` (whose account is being purged) and
    count its open ones, which are left whole: the answer is still owed and the subject must
    still be e-mailed; each is minimised when it closes. Idempotent: a minimised request no
    longer names the account. Returns ``{"dsar_requests": minimised, "dsar_requests_open": kept}``."""
    if not account_id:
        return {"dsar_requests": 0, "dsar_requests_open": 0}
    requests = db.session.execute(
        select(DsarRequest.id, DsarRequest.reference, DsarRequest.status, DsarRequest.closed_at)
        .where(DsarRequest.account_id == account_id).with_for_update()).all()
    closed = [(row.id, row.reference, row.status) for row in requests if row.closed_at is not None]
    still_open = len(requests) - len(closed)
    _minimise(closed)
    if closed or still_open:
        log.info("account purge: %d closed request(s) minimised, %d open kept", len(closed), still_open)
    return {"dsar_requests": len(closed), "dsar_requests_open": still_open}


def minimise_if_purged(dsar_request: DsarRequest) -> bool:
    """Minimise ``dsar_request``, just closed, when the hook :data:`hooks.ACCOUNT_PURGED`
    says its account has been purged meanwhile. Call it after the closing e-mail is queued:
    that e-mail still leaves. Returns whether the request was minimised."""
    if dsar_request.closed_at is None or not dsar_request.account_id:
        return False
    if not hooks.ACCOUNT_PURGED.get()(dsar_request.account_id):
        return False
    db.session.flush()
    _minimise([(dsar_request.id, dsar_request.reference, dsar_request.status)])
    log.info("dsar %s: personal data minimised at closing (account purged)", dsar_request.reference)
    return True


def _minimise(requests: Sequence[tuple[int, str, str]]) -> None:
    """Clear the identifying fields of ``requests`` (id, reference, status), the notes of their
    events and their mail already sent or failed, and mark each with a ``minimised`` event."""
    if not requests:
        return
    ids = [request_id for request_id, _reference, _status in requests]
    # The ORM refuses to edit an event (dsar/models.py): the timeline is append-only for the
    # workflow. This bulk statement, which no mapper event sees, is the one exception: it
    # removes the DPO's free text and keeps when, what, who and the statuses, the proof.
    db.session.execute(update(_events).where(_events.c.request_id.in_(ids)).values(note=None))
    db.session.execute(delete(_outbox).where(_outbox.c.ref.in_([reference for _id, reference, _status in requests]),
                                             _outbox.c.status.not_in(UNSENT)))
    # version moves on, so a transaction still holding the old row cannot write it back.
    db.session.execute(update(_requests).where(_requests.c.id.in_(ids))
                       .values(version=_requests.c.version + 1, **dict.fromkeys(IDENTIFYING)))
    now = clock.now()
    db.session.execute(insert(_events), [
        {"request_id": request_id, "at": now, "kind": MINIMISED, "actor": SYSTEM, "from_status": status,
         "to_status": status, "note": MINIMISED_NOTE} for request_id, _reference, status in requests])
    _expire_loaded(set(ids))


def _expire_loaded(request_ids: set[int]) -> None:
    """Objects this session already holds would still show what the bulk statements removed
    (and the old version): they reload on next use instead."""
    for instance in list(db.session.identity_map.values()):
        loaded = inspect(instance).dict  # type: ignore[union-attr]  # a mapped instance has a state
        if (isinstance(instance, DsarRequest) and loaded.get("id") in request_ids) or \
                (isinstance(instance, DsarEvent) and loaded.get("request_id") in request_ids):
            db.session.expire(instance)


# --- retention ------------------------------------------------------------------------------


def sweep_closed_requests(before: dt.datetime, batch: int) -> int:
    """Delete at most ``batch`` requests closed before ``before`` (oldest first) with their
    events and their mail, except mail still queued or being sent (:func:`sweep_minimised_mail`
    takes it once it has left). Open requests are never taken. Returns the requests deleted."""
    if batch <= 0:
        return 0
    query = (select(DsarRequest.id, DsarRequest.reference)
             .where(DsarRequest.closed_at < before, DsarRequest.status.not_in(OPEN_STATUSES))
             .order_by(DsarRequest.closed_at, DsarRequest.id).limit(batch)
             # concurrent workers take disjoint batches on PostgreSQL; SQLite's compiler drops FOR UPDATE
             .with_for_update(skip_locked=True))
    rows = db.session.execute(query).all()
    if not rows:
        return 0
    ids = [row.id for row in rows]
    db.session.execute(delete(_outbox).where(_outbox.c.ref.in_([row.reference for row in rows]),
                                             _outbox.c.status.not_in(UNSENT)))
    # The retention of the proof itself is over: the timeline goes with its request, by a
    # bulk statement that the ORM's append-only guard (dsar/models.py) does not see.
    db.session.execute(delete(_events).where(_events.c.request_id.in_(ids)))
    db.session.execute(delete(_requests).where(_requests.c.id.in_(ids)))
    log.info("retention: %d closed request(s) deleted", len(ids))
    return len(ids)


def sweep_minimised_mail(batch: int) -> int:
    """Delete at most ``batch`` sent or failed e-mails about a request that no longer
    identifies anyone: a minimised request (the closing e-mail, kept until it left) or one
    already deleted. Mail of other requests, and mail not about a request, stays."""
    if batch <= 0:
        return 0
    minimised = select(DsarEvent.id).where(DsarEvent.request_id == DsarRequest.id, DsarEvent.kind == MINIMISED)
    identifies = select(DsarRequest.id).where(DsarRequest.reference == OutboxMessage.ref, ~exists(minimised))
    page = (select(OutboxMessage.id)
            .where(OutboxMessage.ref.startswith(REFERENCE_PREFIX, autoescape=True),
                   OutboxMessage.status.not_in(UNSENT), ~exists(identifies))
            .order_by(OutboxMessage.id).limit(batch))
    ids = list(db.session.execute(page).scalars())
    if ids:
        db.session.execute(delete(_outbox).where(_outbox.c.id.in_(ids)))
        log.info("retention: %d e-mail(s) of minimised or deleted requests deleted", len(ids))
    return len(ids)


def closed_before(now: dt.datetime) -> dt.datetime:
    """Requests closed before this are past ``DSAR_RETENTION_MONTHS``."""
    return clock.add_months(now, -current_app.config["DSAR_RETENTION_MONTHS"])
