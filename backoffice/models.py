"""The back-office's own tables: DPO users and the audit trail of what they did outside the
DSAR timeline (sign-in, sign-out, lock, proof look-ups)."""
from __future__ import annotations

import datetime as dt

from flask_login import UserMixin
from sqlalchemy import CheckConstraint, Index, Integer, String, event
from sqlalchemy.orm import Mapped, mapped_column

from consent_service.extensions import Model
from consent_service.types import UTCDateTime

ROLES = ("dpo", "auditor")
# The DSAR timeline's actor column is 100 characters: a user's e-mail is the actor there.
EMAIL_MAX = 100


class BackofficeUser(UserMixin, Model):
    """A DPO (acts) or an auditor (reads only). The password is a werkzeug scrypt hash."""

    __tablename__ = "backoffice_users"
    __table_args__ = (CheckConstraint(f"role IN ({', '.join(repr(r) for r in ROLES)})", name="role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(EMAIL_MAX), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(8))
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    last_login: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    disabled_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)  # set: the user can no longer sign in
    totp_secret: Mapped[str | None] = mapped_column(String(64))  # base32; set once the second factor is enrolled

    @property
    def can_act(self) -> bool:
        return self.role == "dpo"

    @property
    def is_active(self) -> bool:  # Flask-Login: a disabled user's session is no longer honoured
        return self.disabled_at is None


class AuditEntry(Model):
    """One back-office event that the DSAR timeline does not hold; never edited nor deleted.

    ``target`` holds ids only (a consent id, a purge id, a count): never an account id, a
    visitor id, a name or an address, so an erasure leaves nothing about the subject here.
    """

    __tablename__ = "backoffice_audit"
    __table_args__ = (Index("ix_backoffice_audit_at", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    actor: Mapped[str] = mapped_column(String(EMAIL_MAX))
    action: Mapped[str] = mapped_column(String(32))
    target: Mapped[str | None] = mapped_column(String(200))


@event.listens_for(AuditEntry, "before_update")
def _audit_is_append_only(mapper, connection, target):
    raise PermissionError("the audit trail is append-only")


@event.listens_for(AuditEntry, "before_delete")
def _audit_is_never_deleted(mapper, connection, target):
    raise PermissionError("the audit trail is append-only")
