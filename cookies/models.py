"""Sites, immutable policy versions, append-only consent proofs and visitor links."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    DDL,
    JSON,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    event,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from consent_service.extensions import Model
from consent_service.types import UTCDateTime

ACTIONS = ("accept_all", "refuse_all", "custom", "continue", "withdraw")


class Site(Model):
    __tablename__ = "sites"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(63), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    allowed_origins: Mapped[list] = mapped_column(JSON)
    cookie_domain: Mapped[str | None] = mapped_column(String(253))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)

    policies: Mapped[list[Policy]] = relationship(back_populates="site", order_by="Policy.version")


class Policy(Model):
    """One published version of a site's cookie policy; never edited once written."""

    __tablename__ = "policies"
    __table_args__ = (UniqueConstraint("site_id", "version", name="uq_policies_site_version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    document: Mapped[dict] = mapped_column(JSON)
    digest: Mapped[str] = mapped_column(String(64))
    published_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)

    site: Mapped[Site] = relationship(back_populates="policies")


PROOF_TABLE = "consent_records"
PROOF_DEFAULT_PARTITION = f"{PROOF_TABLE}_default"


class ConsentRecord(Model):
    """The proof of one decision; append-only (only the erasure engine removes rows).

    On PostgreSQL the table is partitioned by month of ``recorded_at`` (cookies/partitions.py),
    which is why ``recorded_at`` is part of the primary key; SQLite keeps one plain table."""

    __tablename__ = PROOF_TABLE
    __table_args__ = (
        CheckConstraint(f"action IN ({', '.join(repr(a) for a in ACTIONS)})", name="action"),
        Index("ix_consent_records_visitor_recorded", "visitor_id", "recorded_at"),
        Index("ix_consent_records_recorded_at", "recorded_at"),
        {"postgresql_partition_by": "RANGE (recorded_at)"},
    )

    consent_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    site: Mapped[str] = mapped_column(String(63))
    policy_version: Mapped[int] = mapped_column(Integer)
    texts_hash: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(16))
    categories: Mapped[dict] = mapped_column(JSON)
    recorded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, primary_key=True)
    valid_until: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    visitor_id: Mapped[str] = mapped_column(String(64))
    ip: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(Text)
    page: Mapped[str | None] = mapped_column(Text)
    gpc: Mapped[bool] = mapped_column(Boolean)
    locale: Mapped[str] = mapped_column(String(8))
    banner_hash: Mapped[str | None] = mapped_column(String(64))  # the banner.js bundle that asked


class VisitorLink(Model):
    """A banner visitor known to belong to a portal account."""

    __tablename__ = "visitor_links"
    __table_args__ = (UniqueConstraint("account_id", "visitor_id", name="uq_visitor_links_account_visitor"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[str] = mapped_column(String(128), index=True)
    visitor_id: Mapped[str] = mapped_column(String(64), index=True)
    linked_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


# A table made by create_all (tests; `flask db upgrade` makes its own in 0009) gets its default
# partition at once, so it takes writes before the worker's first pass creates the months.
event.listen(ConsentRecord.__table__, "after_create", DDL(
    f'CREATE TABLE "{PROOF_DEFAULT_PARTITION}" PARTITION OF "{PROOF_TABLE}" DEFAULT').execute_if(dialect="postgresql"))


@event.listens_for(ConsentRecord, "before_update")
def _proofs_are_append_only(mapper, connection, target):
    raise PermissionError("consent records are append-only")


@event.listens_for(Policy, "before_update")
def _policies_are_immutable(mapper, connection, target):
    raise PermissionError("a published policy version is never edited")
