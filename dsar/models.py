"""Data-subject requests and their append-only timeline (docs/rights-requests.md)."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, Integer, String, Text, event
from sqlalchemy.orm import Mapped, foreign, mapped_column, relationship

from consent_service.extensions import Model
from consent_service.mail import OutboxMessage
from consent_service.types import UTCDateTime

TYPES = ("access", "rectification", "erasure", "restriction", "objection", "portability")
STATUSES = ("awaiting_verification", "verified", "in_progress", "completed", "rejected", "withdrawn")
OPEN_STATUSES = ("awaiting_verification", "verified", "in_progress")
CHANNELS = ("web", "email", "post", "phone")
VERIFICATION_METHODS = ("email_link", "account_birth_date", "document", "in_person", "other")
REJECTION_GROUNDS = ("manifestly_unfounded", "excessive", "identity_not_verified", "no_data",
                     "legal_obligation", "other")
LOCALES = ("fr", "en")


def _one_of(column: str, values: tuple[str, ...], nullable: bool = False) -> str:
    clause = f"{column} IN ({', '.join(repr(v) for v in values)})"
    return f"{column} IS NULL OR {clause}" if nullable else clause


class DsarRequest(Model):
    """One request from a data subject. ``version`` guards against two concurrent
    transitions: the second flush fails instead of overwriting the first."""

    __tablename__ = "dsar_requests"
    __table_args__ = (
        CheckConstraint(_one_of("type", TYPES, nullable=True), name="type"),
        CheckConstraint(_one_of("status", STATUSES), name="status"),
        CheckConstraint(_one_of("channel", CHANNELS), name="channel"),
        CheckConstraint(_one_of("verification_method", VERIFICATION_METHODS, nullable=True),
                        name="verification_method"),
        CheckConstraint(_one_of("rejection_ground", REJECTION_GROUNDS, nullable=True), name="rejection_ground"),
        CheckConstraint(_one_of("locale", LOCALES), name="locale"),
        Index("ix_dsar_requests_status_due", "status", "due_at"),
        Index("ix_dsar_requests_email_received", "email", "received_at"),
        Index("ix_dsar_requests_closed_at", "closed_at"),  # the retention sweep's oldest-closed-first
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(32), unique=True)
    type: Mapped[str | None] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(24))
    channel: Mapped[str] = mapped_column(String(8))
    email: Mapped[str | None] = mapped_column(String(320))
    full_name: Mapped[str | None] = mapped_column(String(200))
    account_id: Mapped[str | None] = mapped_column(String(128), index=True)
    # Kept only until the identity is settled (verified or the case closed): minimisation.
    birth_date: Mapped[dt.date | None] = mapped_column(Date)
    message: Mapped[str | None] = mapped_column(Text)
    locale: Mapped[str] = mapped_column(String(2))
    received_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    due_on: Mapped[dt.date] = mapped_column(Date)
    due_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    first_due_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    extended: Mapped[bool] = mapped_column(default=False)
    extension_reason: Mapped[str | None] = mapped_column(Text)
    verify_nonce: Mapped[str] = mapped_column(String(32))
    verification_method: Mapped[str | None] = mapped_column(String(24))
    verified_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # When the subject proved control of ``email`` by the e-mailed link: answers go only there.
    email_confirmed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # That address against the account's address on file (datamap/identity.py AddressCheck).
    address_check: Mapped[str | None] = mapped_column(String(16))
    # Set while awaiting verification only (dsar/intake.py): one case per address and type.
    dedup_key: Mapped[str | None] = mapped_column(String(64), unique=True)
    reminder_sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    rejection_ground: Mapped[str | None] = mapped_column(String(24))
    outcome: Mapped[str | None] = mapped_column(Text)
    export_url: Mapped[str | None] = mapped_column(Text)
    purge_id: Mapped[str | None] = mapped_column(String(64))
    closed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    version: Mapped[int] = mapped_column(Integer)

    events: Mapped[list[DsarEvent]] = relationship(
        back_populates="request", order_by="[DsarEvent.at, DsarEvent.id]", cascade="save-update, merge")
    # The e-mails sent about the request (the outbox names it in ``ref``), oldest first; read only.
    mails: Mapped[list[OutboxMessage]] = relationship(
        primaryjoin=lambda: DsarRequest.reference == foreign(OutboxMessage.ref), order_by=lambda: OutboxMessage.id,
        viewonly=True)

    __mapper_args__ = {"version_id_col": version}


class DsarEvent(Model):
    """One step of a request's timeline; never edited nor deleted."""

    __tablename__ = "dsar_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("dsar_requests.id"), index=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    kind: Mapped[str] = mapped_column(String(32))
    actor: Mapped[str] = mapped_column(String(100))
    from_status: Mapped[str | None] = mapped_column(String(24))
    to_status: Mapped[str | None] = mapped_column(String(24))
    note: Mapped[str | None] = mapped_column(Text)

    request: Mapped[DsarRequest] = relationship(back_populates="events")


class DigestRun(Model):
    """One row per Paris day on which the DPO digest was queued (its primary key makes it once)."""

    __tablename__ = "dsar_digest_runs"

    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    queued_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    requests: Mapped[int] = mapped_column(Integer)


@event.listens_for(DsarEvent, "before_update")
def _events_are_append_only(mapper, connection, target):
    raise PermissionError("request events are append-only")


@event.listens_for(DsarEvent, "before_delete")
def _events_are_never_deleted(mapper, connection, target):
    raise PermissionError("request events are append-only")
