"""Purges and their steps, lease ends, restrictions and objections, access exports."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, Boolean, CheckConstraint, Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from consent_service.extensions import Model
from consent_service.types import UTCDateTime

TRIGGERS = ("account_deleted", "lease_ended", "dsar_erasure", "retention")
PURGE_STATUSES = ("pending", "running", "done", "failed")
STEP_STATUSES = ("pending", "running", "done", "failed")
STEP_KINDS = ("sql", "files", "builtin")
STEP_ACTIONS = ("delete", "anonymize", "retain")


def _one_of(column: str, values: tuple[str, ...], name: str) -> CheckConstraint:
    return CheckConstraint(f"{column} IN ({', '.join(repr(v) for v in values)})", name=name)


class Purge(Model):
    """One erasure of one subject (or one retention sweep), with a step per store.

    The subject is kept only as a keyed hash, so the receipt holds no personal data; the
    account id itself is kept while the purge runs and cleared once it is done.
    """

    __tablename__ = "purges"
    __table_args__ = (
        _one_of("trigger", TRIGGERS, "trigger"),
        _one_of("status", PURGE_STATUSES, "status"),
    )

    purge_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    trigger: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(10), index=True)
    subject_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    account_id: Mapped[str | None] = mapped_column(String(128))
    requested_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    steps: Mapped[list[PurgeStep]] = relationship(back_populates="purge", order_by="PurgeStep.position",
                                                    cascade="all, delete-orphan")


class PurgeStep(Model):
    """One store (or table) of a purge; idempotent, so it can always be run again."""

    __tablename__ = "purge_steps"
    __table_args__ = (
        _one_of("status", STEP_STATUSES, "status"),
        _one_of("kind", STEP_KINDS, "kind"),
        _one_of("action", STEP_ACTIONS, "action"),
        Index("ix_purge_steps_status_next", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    purge_id: Mapped[str] = mapped_column(ForeignKey("purges.purge_id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    store: Mapped[str] = mapped_column(String(100))
    table_name: Mapped[str | None] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(10))
    action: Mapped[str] = mapped_column(String(10))
    legal_basis: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(10))
    rows: Mapped[int] = mapped_column(Integer, default=0)
    # The subject's rows (or files) in the store before the step first acted (datamap/engine.py).
    counted: Mapped[int | None] = mapped_column(Integer)
    counts: Mapped[dict | None] = mapped_column(JSON)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    lease_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    error: Mapped[str | None] = mapped_column(String(200))
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    purge: Mapped[Purge] = relationship(back_populates="steps")


# Their Core tables, for the engine's set-based statements.
PURGES, STEPS = Purge.__table__, PurgeStep.__table__


class AccountLease(Model):
    """When a lease ends; the worker purges the account three months later."""

    __tablename__ = "account_leases"

    account_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    lease_end: Mapped[dt.date] = mapped_column(Date)
    purge_due_on: Mapped[dt.date] = mapped_column(Date, index=True)
    purge_id: Mapped[str | None] = mapped_column(String(32))
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class AccountProcessing(Model):
    """Restriction (GDPR art. 18) and objections (art. 21) recorded for an account."""

    __tablename__ = "account_processing"

    account_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    restricted: Mapped[bool] = mapped_column(Boolean, default=False)
    objections: Mapped[list] = mapped_column(JSON, default=list)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class DataExport(Model):
    """An access or portability export; its ZIP lives in ``data_export_chunks`` until it expires."""

    __tablename__ = "data_exports"

    export_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    subject_hash: Mapped[str] = mapped_column(String(64), index=True)
    reference: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)
    size: Mapped[int] = mapped_column(Integer, default=0)
