"""The pseudonym key: the key of the keyed hashes that stand for account ids (purge receipts
and look-ups, exports, visitor-link refusals). docs/deployment.md, "Rotating SECRET_KEY".

It is never rotated with ``SECRET_KEY``: a purged account must keep the same hash forever,
or a repeated deletion would open a new purge and a purged account could be linked again.
``PSEUDONYM_KEY`` sets it; unset, one key is generated once into the service database (table
``service_secrets``), so every process of the deployment shares it. Migration 0006 keeps the
old ``SECRET_KEY`` as that key on a database whose hashes were made with it.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from typing import Any

from flask import current_app
from sqlalchemy import String, Text, event, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, mapped_column

from .extensions import Model, db
from .types import UTCDateTime

KEY_NAME = "pseudonym_key"
_CACHE = "pseudonym_key"  # app.extensions entry: the key, read once per process


class ServiceSecret(Model):
    """A secret the service generated for itself and every process must share."""

    __tablename__ = "service_secrets"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


_TABLE = ServiceSecret.__table__
_READ = select(ServiceSecret.value).where(ServiceSecret.name == KEY_NAME)


@event.listens_for(_TABLE, "after_create")
def _generate_with_the_schema(table: Any, connection: Any, **kw: Any) -> None:
    """A schema made from the models (tests, ``db.create_all``) starts with its key, as one
    made by the migrations does."""
    connection.execute(table.insert().values(name=KEY_NAME, value=new_key(),
                                             created_at=dt.datetime.now(dt.UTC)))


def key() -> bytes:
    """``PSEUDONYM_KEY``, else the key kept in the database (generated there on first use)."""
    configured = current_app.config.get("PSEUDONYM_KEY")
    if configured:
        return str(configured).encode()
    cached: bytes | None = current_app.extensions.get(_CACHE)
    if cached is None:
        return _stored_key().encode()
    return cached


def new_key() -> str:
    return secrets.token_urlsafe(48)


def _read_committed() -> str | None:
    with db.engine.connect() as connection:
        return connection.execute(_READ).scalar_one_or_none()


def _stored_key() -> str:
    """The stored key, stored first when missing. Only a key read back committed is kept in
    memory: a key whose transaction then rolled back must never outlive it."""
    found = _read_committed()
    if found is not None:
        current_app.extensions[_CACHE] = found.encode()
        return found
    row = {"name": KEY_NAME, "value": new_key(), "created_at": dt.datetime.now(dt.UTC)}
    if db.engine.dialect.name == "sqlite":
        # One writer at a time: another connection would wait for this session's own write
        # lock. The key joins the session's transaction, and is read from it until committed.
        db.session.execute(sqlite.insert(_TABLE).values(row).on_conflict_do_nothing())
        return db.session.execute(_READ).scalar_one()
    with db.engine.begin() as connection:
        connection.execute(postgresql.insert(_TABLE).values(row).on_conflict_do_nothing())
    return _stored_key()


def forget() -> None:
    """Drop this process's copy (tests that empty the database)."""
    current_app.extensions.pop(_CACHE, None)


def digest(text: str) -> str:
    """The keyed hash (HMAC-SHA256, hex) of ``text``."""
    return hmac.new(key(), text.encode(), hashlib.sha256).hexdigest()


def account_hash(account_id: str) -> str:
    """What receipts, purge look-ups and exports keep instead of an account id."""
    return digest(f"account:{account_id}")
