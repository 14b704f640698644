"""An account's preferences (one row, locked while it changes) and the append-only history of
every change (the proof of each choice)."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import DDL, JSON, Boolean, CheckConstraint, Date, Index, Integer, String, event
from sqlalchemy.orm import Mapped, mapped_column

from consent_service.extensions import Model
from consent_service.types import UTCDateTime

ACTORS = ("portal", "dpo", "dsar")
CHANNELS = ("web", "post", "email", "phone")
CHANGES = ("themes", "email", "direct_debit", "paperless_start", "paperless_end", "objection")


def _one_of(column: str, values: tuple[str, ...], name: str) -> CheckConstraint:
    return CheckConstraint(f"{column} IN ({', '.join(repr(v) for v in values)})", name=name)


class AccountPreferences(Model):
    """What an account chose. ``themes`` holds only the choices made (a theme never touched
    follows the catalogue's default); the paperless dates are those of
    :class:`preferences.paperless.Paperless`, and ``billing_anchor`` the last billing date the
    portal gave (notices are monthly on its day)."""

    __tablename__ = "account_preferences"

    account_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    themes: Mapped[dict] = mapped_column(JSON, default=dict)
    email: Mapped[bool] = mapped_column(Boolean)
    direct_debit: Mapped[bool] = mapped_column(Boolean, default=False)
    electronic_from: Mapped[dt.date | None] = mapped_column(Date)
    paper_from: Mapped[dt.date | None] = mapped_column(Date)
    last_electronic_on: Mapped[dt.date | None] = mapped_column(Date)
    billing_anchor: Mapped[dt.date | None] = mapped_column(Date)
    version: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class PreferenceChange(Model):
    """One change, as it was made: who (the portal on the tenant's behalf, a DPO by name, a
    data-subject objection), through which channel, what was asked, and the preferences
    before and after. Rows are only ever added (and erased with the account): never updated.
    ``id`` is stable and increasing, so the history can be sealed in batches."""

    __tablename__ = "preference_changes"
    __table_args__ = (
        _one_of("actor", ACTORS, "actor"),
        _one_of("change", CHANGES, "change"),
        Index("ix_preference_changes_account_id", "account_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[str] = mapped_column(String(128))
    recorded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)
    actor: Mapped[str] = mapped_column(String(10))
    actor_name: Mapped[str | None] = mapped_column(String(200))
    channel: Mapped[str | None] = mapped_column(String(10))
    change: Mapped[str] = mapped_column(String(20))
    asked: Mapped[dict | None] = mapped_column(JSON)
    before: Mapped[dict] = mapped_column(JSON)
    after: Mapped[dict] = mapped_column(JSON)
    note: Mapped[str | None] = mapped_column(String(500))


@event.listens_for(PreferenceChange, "before_update")
def _history_is_append_only(mapper, connection, target):
    raise PermissionError("the preference history is append-only")


# The database refuses updates too, whoever issues them (deletes stay: purges erase the rows).
# Migration 0008 runs the same statements.
APPEND_ONLY_DDL = {
    "postgresql": (
        "CREATE OR REPLACE FUNCTION preference_changes_append_only() RETURNS trigger AS $$ "
        "BEGIN RAISE EXCEPTION 'preference_changes is append-only'; END; $$ LANGUAGE plpgsql",
        "CREATE TRIGGER preference_changes_append_only BEFORE UPDATE ON preference_changes "
        "FOR EACH ROW EXECUTE FUNCTION preference_changes_append_only()",
    ),
    "sqlite": (
        "CREATE TRIGGER preference_changes_append_only BEFORE UPDATE ON preference_changes "
        "BEGIN SELECT RAISE(ABORT, 'preference_changes is append-only'); END",
    ),
}
for _dialect, _statements in APPEND_ONLY_DDL.items():
    for _statement in _statements:
        event.listen(PreferenceChange.__table__, "after_create", DDL(_statement).execute_if(dialect=_dialect))
