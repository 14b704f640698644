"""Seals over the consent proofs, the notes erasures leave, verifications, served banner bundles.

None of these tables has a foreign key to ``consent_records`` (partitioned by month on
PostgreSQL): a leaf names its record by kind and id, and keeps the record's digest for good.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from consent_service.extensions import Model, db
from consent_service.types import UTCDateTime


class Seal(Model):
    """One batch of records under a Merkle root, chained to the seal before it."""

    __tablename__ = "seals"

    number: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    previous_hash: Mapped[str] = mapped_column(String(64))
    merkle_root: Mapped[str] = mapped_column(String(64))
    leaf_count: Mapped[int] = mapped_column(Integer)
    sealed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)
    hash: Mapped[str] = mapped_column(String(64), unique=True)


class SealLeaf(Model):
    """A sealed record's digest at its position in its seal; kept when the record is erased."""

    __tablename__ = "seal_leaves"
    # one leaf per record (a record is its id and its time); in time order, leaves go to the
    # index's right edge rather than anywhere in it
    __table_args__ = (UniqueConstraint("kind", "recorded_at", "record_id", name="uq_seal_leaves_kind_time_record"),)

    seal_number: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    position: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    kind: Mapped[str] = mapped_column(String(16))
    record_id: Mapped[str] = mapped_column(String(64))
    recorded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    digest: Mapped[str] = mapped_column(String(64))


class SealState(Model):
    """The one row every sealer locks first (one sealer at a time), and where it notes the
    start of its last complete deep pass (the next deep pass looks back from there)."""

    __tablename__ = "seal_state"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    scanned_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    locked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class ProofErasure(Model):
    """What an erasure removed, so a sealed record's missing row reads as lawful: one record
    (``record_id``: account purges) or every record recorded before ``recorded_before``
    (retention sweeps)."""

    __tablename__ = "proof_erasures"
    __table_args__ = (Index("ix_proof_erasures_kind_record", "kind", "record_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    record_id: Mapped[str | None] = mapped_column(String(64))
    recorded_before: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    trigger: Mapped[str] = mapped_column(String(16))
    erased_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class ProofVerification(Model):
    """One run of the verification (asked from the back-office or run by ``proofs verify``)."""

    __tablename__ = "proof_verifications"

    id: Mapped[int] = mapped_column(primary_key=True)
    status: Mapped[str] = mapped_column(String(16), index=True)  # pending, running, passed, failed
    since: Mapped[dt.date | None] = mapped_column(db.Date)
    requested_by: Mapped[str | None] = mapped_column(String(254))
    requested_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    started_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    seals: Mapped[int] = mapped_column(Integer, default=0)
    records: Mapped[int] = mapped_column(Integer, default=0)
    problem: Mapped[str | None] = mapped_column(String(32))
    subject: Mapped[str | None] = mapped_column(String(64))
    detail: Mapped[str | None] = mapped_column(Text)


class BannerBundle(Model):
    """A banner.js bundle exactly as served, with when it was first and last served."""

    __tablename__ = "banner_bundles"

    banner_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    bundle_id: Mapped[str] = mapped_column(String(16), unique=True)
    body: Mapped[str] = mapped_column(Text)
    first_served_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    last_served_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
