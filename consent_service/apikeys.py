"""API keys: only a hash is stored; a key carries scopes (docs/api.md)."""
from __future__ import annotations

import datetime as dt
import functools
import hashlib
import hmac
import secrets
from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar

from flask import g, request
from sqlalchemy import JSON, String, update
from sqlalchemy.orm import Mapped, mapped_column

from . import clock
from .errors import Forbidden, Unauthorized
from .extensions import Model, db
from .types import UTCDateTime

SCOPES = ("sites:admin", "consents:read", "accounts:write", "dsar:admin", "dsar:inbound", "metrics:read")
KEY_PREFIX = "csk"
LAST_USE_GRANULARITY = dt.timedelta(seconds=60)
P = ParamSpec("P")
R = TypeVar("R")


class ApiKey(Model):
    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    lookup: Mapped[str] = mapped_column(String(16), unique=True)
    key_hash: Mapped[str] = mapped_column(String(64))
    scopes: Mapped[list[str]] = mapped_column(JSON)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    last_used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class ApiKeyError(ValueError):
    pass


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def create_key(name: str, scopes: list[str]) -> str:
    """Store a new key under ``name`` and return the key itself (shown once)."""
    name = name.strip()
    if not name or len(name) > 100:
        raise ApiKeyError("the name must be 1 to 100 characters")
    unknown = sorted(set(scopes) - set(SCOPES))
    if unknown or not scopes:
        raise ApiKeyError(f"scopes must be among {', '.join(SCOPES)}")
    if db.session.execute(db.select(ApiKey.id).where(ApiKey.name == name)).first():
        raise ApiKeyError("a key with that name already exists")
    lookup = secrets.token_hex(8)
    key = f"{KEY_PREFIX}_{lookup}_{secrets.token_urlsafe(32)}"
    db.session.add(ApiKey(name=name, lookup=lookup, key_hash=_hash(key), scopes=sorted(set(scopes)),
                          created_at=clock.now()))
    db.session.flush()
    return key


def revoke_key(name: str) -> bool:
    """Revoke the key named ``name``; False when there is no such active key."""
    result = db.session.execute(
        update(ApiKey).where(ApiKey.name == name, ApiKey.revoked_at.is_(None)).values(revoked_at=clock.now())
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]  # an UPDATE: a CursorResult


def _parse_bearer() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def authenticate(key: str) -> ApiKey | None:
    """The active key matching ``key``, compared in constant time, or None."""
    parts = key.split("_", 2)
    if len(parts) != 3 or parts[0] != KEY_PREFIX or len(parts[1]) != 16:
        hmac.compare_digest(_hash(key), _hash(""))  # same work whether or not the shape is right
        return None
    found: ApiKey | None = db.session.execute(
        db.select(ApiKey).where(ApiKey.lookup == parts[1], ApiKey.revoked_at.is_(None))
    ).scalar_one_or_none()
    expected = found.key_hash if found else _hash("")
    if not hmac.compare_digest(expected, _hash(key)) or found is None:
        return None
    _record_use(found)
    return found


def _record_use(api_key: ApiKey) -> None:
    now = clock.now()
    if api_key.last_used_at and now - api_key.last_used_at < LAST_USE_GRANULARITY:
        return
    # Its own short transaction: a read-only request never commits the session.
    with db.engine.begin() as connection:
        connection.execute(update(ApiKey).where(ApiKey.id == api_key.id).values(last_used_at=now))


def current_key(*scopes: str) -> ApiKey:
    """The request's key if it holds one of ``scopes``; raises 401/403 otherwise."""
    token = _parse_bearer()
    if token is None:
        raise Unauthorized("An API key is required (Authorization: Bearer <key>).")
    api_key = authenticate(token)
    if api_key is None:
        raise Unauthorized("The API key is not valid.")
    if not set(scopes) & set(api_key.scopes):
        raise Forbidden(f"This key lacks the scope {' or '.join(scopes)}.")
    g.api_key_name = api_key.name
    return api_key


def optional_key(*scopes: str) -> bool:
    """True when the request carries a valid key with one of ``scopes``; never aborts."""
    token = _parse_bearer()
    if token is None:
        return False
    api_key = authenticate(token)
    return api_key is not None and bool(set(scopes) & set(api_key.scopes))


def require_scope(*scopes: str) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Decorator: the view needs a key holding one of ``scopes``."""

    def decorator(view: Callable[P, R]) -> Callable[P, R]:
        @functools.wraps(view)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            current_key(*scopes)
            return view(*args, **kwargs)

        doc: dict[str, Any] = getattr(wrapper, "_apidoc", {})
        wrapper.__dict__["_apidoc"] = doc  # flask-smorest's documentation slot
        doc.setdefault("manual_doc", {}).update({"security": [{"bearerAuth": []}], "x-scopes": list(scopes)})
        return wrapper

    return decorator
