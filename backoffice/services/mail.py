"""The outbox for the DPO: every mail, whole (the record of what was said), and a failed mail
sent again. Reading a mail is audited: its links may be live (a confirmation, an export)."""
from __future__ import annotations

from consent_service.extensions import db
from consent_service.mail import MAX_ID, STATUSES, OutboxMessage, requeue
from dsar.models import DsarRequest

from .. import paging
from .audit import audit


def _filtered(status: str | None):
    query = db.select(OutboxMessage)
    return query.where(OutboxMessage.status == status) if status in STATUSES else query


def mail_page(number: int, size: int, *, status: str | None = None) -> paging.Page[OutboxMessage]:
    """Page ``number`` of the outbox (newest first), of one status or all."""
    total = db.session.execute(db.select(db.func.count()).select_from(_filtered(status).subquery())).scalar_one()
    return paging.paginate(number, size, total, lambda limit, offset: list(db.session.execute(
        _filtered(status).order_by(OutboxMessage.id.desc()).limit(limit).offset(offset)).scalars()))


def counts() -> dict[str, int]:
    """How many mails are in each status."""
    return dict(db.session.execute(db.select(OutboxMessage.status, db.func.count())
                                   .group_by(OutboxMessage.status)).tuples().all())


def languages(messages: list[OutboxMessage]) -> dict[int, str]:
    """The language each mail was written in: a subject's mail speaks its request's language,
    the DPO's notices French."""
    references = {m.ref for m in messages if m.ref}
    found = {row.reference: (row.email, row.locale) for row in db.session.execute(
        db.select(DsarRequest.reference, DsarRequest.email, DsarRequest.locale)
        .where(DsarRequest.reference.in_(references)))} if references else {}
    return {m.id: found[m.ref][1] if m.ref in found and found[m.ref][0] == m.to else "fr" for m in messages}


def read(message_id: int, actor: str) -> OutboxMessage | None:
    """One mail, whole; the reading is audited."""
    message = db.session.get(OutboxMessage, message_id) if 0 < message_id <= MAX_ID else None
    if message is not None:
        audit(actor, "mail_viewed", f"mail {message.id}")
    return message


def retry(message_id: int, actor: str) -> OutboxMessage | None:
    """Give a failed mail a fresh set of tries (the worker sends it); None unless it failed."""
    message = requeue(message_id)
    if message is not None:
        audit(actor, "mail_retried", f"mail {message.id}")
    return message
