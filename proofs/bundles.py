"""The banner.js bundles as served: each version's text, its hash and when it was served.

``/banner.js`` serves ``stamp(source).body``: the source with its ``__BANNER_BUNDLE__``
placeholder replaced by the bundle id (the first 16 hex digits of the source's SHA-256), so
the script can name itself in the decisions it posts. ``banner_hash`` is the SHA-256 of the
bytes served. A decision's ``banner`` field (the id) becomes its proof's ``banner_hash`` once
checked against the bundles this service has served; an id it never served records none.
"""
from __future__ import annotations

import dataclasses
import hashlib
import logging
import threading
import time

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError

from consent_service import clock
from consent_service.extensions import db

from .models import BannerBundle

log = logging.getLogger(__name__)

PLACEHOLDER = "__BANNER_BUNDLE__"
BUNDLES = BannerBundle.__table__
TOUCH_SECONDS = 60.0  # last_served_at is kept to the minute: one write per process per minute at most
UNKNOWN_SECONDS = 60.0
UNKNOWN_MAX = 1024


@dataclasses.dataclass(frozen=True)
class Bundle:
    body: bytes
    banner_hash: str
    bundle_id: str


_known: dict[str, str] = {}  # bundle id -> banner_hash
_unknown: dict[str, float] = {}  # bundle id -> monotonic time until which it is not looked up again
_touched: dict[str, float] = {}  # banner_hash -> monotonic time of the last write of last_served_at
_lock = threading.Lock()


def stamp(source: str) -> Bundle:
    bundle_id = hashlib.sha256(source.encode()).hexdigest()[:16]
    body = source.replace(PLACEHOLDER, bundle_id).encode()
    return Bundle(body, hashlib.sha256(body).hexdigest(), bundle_id)


def note_served(bundle: Bundle) -> None:
    """Keep this bundle's text, and when it was first and last served (to the minute). A
    database error is logged and the bundle still served; the next request records it."""
    now_mono = time.monotonic()
    if now_mono - _touched.get(bundle.banner_hash, -TOUCH_SECONDS) < TOUCH_SECONDS:
        return
    now = clock.now()
    try:
        with db.engine.begin() as connection:
            dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
            connection.execute(dialect.insert(BUNDLES).values(
                banner_hash=bundle.banner_hash, bundle_id=bundle.bundle_id, body=bundle.body.decode(),
                first_served_at=now, last_served_at=now).on_conflict_do_nothing())
            connection.execute(update(BUNDLES).where(BUNDLES.c.banner_hash == bundle.banner_hash,
                                                     BUNDLES.c.last_served_at < now).values(last_served_at=now))
    except SQLAlchemyError as err:
        log.warning("banner bundle %s not recorded: %s", bundle.bundle_id, type(err).__name__)
        return
    with _lock:
        _touched[bundle.banner_hash] = now_mono
        _known[bundle.bundle_id] = bundle.banner_hash


def hash_for(bundle_id: str | None) -> str | None:
    """The ``banner_hash`` of a bundle this service served, from its id; None when unknown.
    A dictionary read once warm: the consent write path calls it."""
    if not bundle_id:
        return None
    known = _known.get(bundle_id)
    if known is not None:
        return known
    if _unknown.get(bundle_id, 0.0) > time.monotonic():
        return None
    found = db.session.execute(select(BUNDLES.c.banner_hash).where(BUNDLES.c.bundle_id == bundle_id)).scalar()
    with _lock:
        if found is not None:
            _known[bundle_id] = found
        else:
            if len(_unknown) >= UNKNOWN_MAX:
                _unknown.clear()
            _unknown[bundle_id] = time.monotonic() + UNKNOWN_SECONDS
    return found


def forget() -> None:
    """Drop this process's memory of bundles (tests, and a database restored under it)."""
    with _lock:
        _known.clear()
        _unknown.clear()
        _touched.clear()
