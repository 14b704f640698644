"""The transactional outbox: mail is queued in the caller's transaction and sent by the worker.

A feature queues a message with :func:`queue_mail` in the same transaction as the state
change it announces; nothing leaves the process until that transaction commits. The
worker job :func:`send_due` claims due messages (``FOR UPDATE SKIP LOCKED`` on
PostgreSQL, a conditional ``UPDATE`` elsewhere), sends them over SMTP and retries with
exponential back-off; after the last try a message is ``failed``. Logs and ``last_error``
carry message ids and SMTP codes, never addresses or contents.
"""
from __future__ import annotations

import datetime as dt
import logging
import smtplib
import socket
import ssl
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from flask import Flask, current_app
from sqlalchemy import JSON, CheckConstraint, ColumnElement, Index, Integer, String, Text, and_, or_, update
from sqlalchemy.orm import Mapped, mapped_column

from . import clock
from .extensions import Model, db
from .types import UTCDateTime
from .worker import register_job, stop_requested

log = logging.getLogger(__name__)

STATUSES = ("queued", "sending", "sent", "failed")
MAX_ATTEMPTS = 6
RETRY_BASE_SECONDS = 60
CLAIM_LEASE = dt.timedelta(minutes=10)  # a worker killed mid-send frees its claim after this
BATCH = 50
MAX_ID = 2**31 - 1  # an INTEGER primary key


class OutboxMessage(Model):
    """One outgoing e-mail; ``status`` moves queued → sending → sent, or back to queued
    with a later ``next_attempt_at`` after a failure, or to failed after the last try."""

    __tablename__ = "outbox_messages"
    __table_args__ = (
        CheckConstraint(f"status IN ({', '.join(repr(s) for s in STATUSES)})", name="status"),
        Index("ix_outbox_messages_status_next", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    to: Mapped[str] = mapped_column("to_address", String(320))
    subject: Mapped[str] = mapped_column(String(300))
    text: Mapped[str] = mapped_column(Text)
    html: Mapped[str | None] = mapped_column(Text)
    headers: Mapped[dict[str, str]] = mapped_column(JSON)
    ref: Mapped[str | None] = mapped_column(String(64), index=True)
    status: Mapped[str] = mapped_column(String(8), default="queued")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


def queue_mail(*, to: str, subject: str, text: str, html: str | None = None, auto: bool = True,
               headers: dict[str, str] | None = None, ref: str | None = None) -> OutboxMessage:
    """Queue one message in the current transaction (flushes, never commits).

    ``to`` is one address; ``text`` the plain-text body and ``html`` an optional HTML
    alternative (escape what you put in it). ``auto`` adds ``Auto-Submitted:
    auto-generated`` (RFC 3834) so auto-responders stay quiet. ``ref`` is a free tag (for
    example a request reference) to find a case's mail again; never personal data.
    The ``Message-ID`` is fixed now so a retried message keeps it.
    """
    now = clock.now()
    domain = current_app.config["MAIL_FROM"].rpartition("@")[2] or "localhost"
    all_headers = {"Message-ID": make_msgid(domain=domain)}
    if auto:
        all_headers["Auto-Submitted"] = "auto-generated"
    all_headers.update(headers or {})
    message = OutboxMessage(to=to, subject=subject, text=text, html=html, headers=all_headers, ref=ref,
                            status="queued", attempts=0, next_attempt_at=now, created_at=now)
    db.session.add(message)
    db.session.flush()
    if not current_app.config.get("SMTP_HOST"):
        log.info("mail %s queued; no SMTP_HOST, so it stays in the outbox", message.id)
    return message


def build_message(message: OutboxMessage) -> EmailMessage:
    """The RFC 5322 message for an outbox row: plain text plus its HTML alternative."""
    email = EmailMessage()
    email["From"] = current_app.config["MAIL_FROM"]
    email["To"] = message.to
    email["Subject"] = message.subject
    email["Date"] = format_datetime(clock.utc(message.created_at))
    for name, value in (message.headers or {}).items():
        email[name] = value
    email.set_content(message.text)
    if message.html:
        email.add_alternative(message.html, subtype="html")
    return email


# --- the sender ---------------------------------------------------------------------------


def _due() -> ColumnElement[bool]:
    now = clock.now()
    return or_(
        and_(OutboxMessage.status == "queued", OutboxMessage.next_attempt_at <= now),
        and_(OutboxMessage.status == "sending", OutboxMessage.next_attempt_at <= now),
    )


def claim_due(limit: int = BATCH) -> list[int]:
    """Claim up to ``limit`` due messages for this worker and commit the claim.

    PostgreSQL: ``SELECT … FOR UPDATE SKIP LOCKED`` so concurrent workers take disjoint
    rows. SQLite (one writer at a time): a conditional ``UPDATE`` per row, so a row
    another worker claimed first is skipped.
    """
    lease_until = clock.now() + CLAIM_LEASE
    query = db.select(OutboxMessage.id).where(_due()).order_by(OutboxMessage.id).limit(limit)
    if db.session.get_bind().dialect.name == "postgresql":
        ids = list(db.session.execute(query.with_for_update(skip_locked=True)).scalars())
        if ids:
            db.session.execute(update(OutboxMessage).where(OutboxMessage.id.in_(ids))
                               .values(status="sending", next_attempt_at=lease_until))
        db.session.commit()
        return ids
    candidates = list(db.session.execute(query).scalars())
    db.session.commit()
    claimed = []
    for message_id in candidates:
        result = db.session.execute(
            update(OutboxMessage).where(OutboxMessage.id == message_id, _due())
            .values(status="sending", next_attempt_at=lease_until))
        db.session.commit()
        if result.rowcount == 1:  # type: ignore[attr-defined]  # an UPDATE: a CursorResult
            claimed.append(message_id)
    return claimed


def _connect() -> smtplib.SMTP:
    config = current_app.config
    server = smtplib.SMTP(config["SMTP_HOST"], config["SMTP_PORT"], timeout=config.get("SMTP_TIMEOUT", 30))
    if config.get("SMTP_STARTTLS"):
        server.starttls(context=ssl.create_default_context())
    if config.get("SMTP_USERNAME"):
        server.login(config["SMTP_USERNAME"], config.get("SMTP_PASSWORD") or "")
    return server


def _error_label(err: Exception) -> str:
    """A short description without personal data (SMTP replies may quote addresses)."""
    code = getattr(err, "smtp_code", None)
    return f"{type(err).__name__} {code}" if code else type(err).__name__


def _permanent(err: Exception) -> bool:
    if isinstance(err, ValueError):  # the stored message itself cannot be built
        return True
    code = getattr(err, "smtp_code", None)
    if isinstance(err, smtplib.SMTPRecipientsRefused):
        codes = [value[0] for value in err.recipients.values()]
        return bool(codes) and all(500 <= c < 600 for c in codes)
    if isinstance(err, (smtplib.SMTPAuthenticationError, smtplib.SMTPSenderRefused)):
        return False  # the service's own set-up is wrong: keep retrying while someone fixes it
    return isinstance(code, int) and 500 <= code < 600


def _record_failure(message: OutboxMessage, err: Exception) -> None:
    config = current_app.config
    max_attempts = config.get("MAIL_MAX_ATTEMPTS", MAX_ATTEMPTS)
    base = config.get("MAIL_RETRY_BASE_SECONDS", RETRY_BASE_SECONDS)
    message.attempts += 1
    message.last_error = _error_label(err)[:200]
    if message.attempts >= max_attempts or _permanent(err):
        message.status = "failed"
        log.error("mail %s failed after %s attempt(s): %s", message.id, message.attempts, message.last_error)
    else:
        message.status = "queued"
        message.next_attempt_at = clock.now() + dt.timedelta(seconds=base * 2 ** (message.attempts - 1))
        log.warning("mail %s not sent (attempt %s): %s; retrying at %s", message.id, message.attempts,
                    message.last_error, clock.rfc3339(message.next_attempt_at))


def list_messages(status: str | None = None, limit: int = 200) -> list[OutboxMessage]:
    """Outbox rows, newest first (the DPO checks ``failed`` ones)."""
    query = db.select(OutboxMessage).order_by(OutboxMessage.id.desc()).limit(limit)
    if status:
        query = query.where(OutboxMessage.status == status)
    return list(db.session.execute(query).scalars())


def requeue(message_id: int) -> OutboxMessage | None:
    """Give a failed message a fresh set of tries (after the DPO fixed the address or the
    server); None when there is no such failed message."""
    if not 0 < message_id <= MAX_ID:  # larger than the column holds: no such message
        return None
    message = db.session.get(OutboxMessage, message_id)
    if message is None or message.status != "failed":
        return None
    message.status, message.attempts, message.next_attempt_at = "queued", 0, clock.now()
    db.session.flush()
    return message


def _release(ids: list[int]) -> None:
    """Hand claimed but untried messages back at once (no attempt counted)."""
    if ids:
        db.session.execute(update(OutboxMessage).where(OutboxMessage.id.in_(ids), OutboxMessage.status == "sending")
                           .values(status="queued", next_attempt_at=clock.now()))
        db.session.commit()


def send_due() -> int:
    """Worker job: send every due message once; returns how many were sent."""
    if not current_app.config.get("SMTP_HOST"):
        return 0
    ids = claim_due()
    if not ids:
        return 0
    sent = 0
    server = None
    try:
        server = _connect()
    except (OSError, smtplib.SMTPException) as err:
        for message_id in ids:
            message = db.session.get(OutboxMessage, message_id)
            if message is not None:
                _record_failure(message, err)
        db.session.commit()
        return 0
    try:
        for message_id in ids:
            if stop_requested():  # SIGTERM: the message in hand went; hand the others back
                _release([i for i in ids if i >= message_id])
                break
            message = db.session.get(OutboxMessage, message_id)
            if message is None or message.status != "sending":
                continue
            try:
                server.send_message(build_message(message), from_addr=current_app.config["MAIL_FROM"],
                                    to_addrs=[message.to])
            except (OSError, smtplib.SMTPException, ValueError) as err:
                _record_failure(message, err)
                if isinstance(err, (smtplib.SMTPServerDisconnected, socket.timeout)):
                    db.session.commit()
                    _release([i for i in ids if i > message_id])
                    break
            else:
                message.status = "sent"
                message.attempts += 1
                message.sent_at = clock.now()
                message.last_error = None
                sent += 1
                log.info("mail %s sent", message.id)
            db.session.commit()
    finally:
        try:
            server.quit()
        except (OSError, smtplib.SMTPException):
            pass
    return sent


def init_app(app: Flask) -> None:
    from .mail_cli import mail_cli  # the CLI reads this module's model: imported once both exist

    register_job(app, "mail", send_due)
    app.cli.add_command(mail_cli)
