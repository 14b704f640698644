"""Subjects, leases, restriction, objection, rectification and identity. Flush, never commit
(writes to a mapped portal store commit in that store, which the service does not own)."""
from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from zoneinfo import ZoneInfo

from flask import current_app, has_app_context
from sqlalchemy.exc import IntegrityError

from consent_service import clock, hooks, pseudonym
from consent_service.errors import Conflict
from consent_service.extensions import db
from consent_service.fields import account_id_is_valid
from cookies import subject_data

from . import connectors
from .mapping import DataMap
from .models import AccountLease, AccountProcessing, Purge

log = logging.getLogger(__name__)

LEASE_GRACE_MONTHS = 3
MAX_TEXT = 500


class NotRectifiable(ValueError):
    """Some changes name columns that the data map does not let change."""

    def __init__(self, errors: dict[str, list[str]]):
        self.errors = errors
        super().__init__("Some fields cannot be rectified.")


def datamap() -> DataMap:
    return current_app.extensions["datamap"]


def subject_hash(account_id: str) -> str:
    """A keyed hash of the account id (the pseudonym key's, never SECRET_KEY's): what receipts
    and exports keep instead of the id."""
    return pseudonym.account_hash(account_id)


def account_purged(account_id: str) -> bool:
    """Whether a purge of the account has started (or ended); known by its keyed hash only."""
    return purge_of(account_id) is not None


def valid_account_id(account_id) -> bool:
    return isinstance(account_id, str) and account_id_is_valid(account_id)


def purge_of(account_id: str) -> Purge | None:
    return db.session.execute(db.select(Purge).where(Purge.subject_hash == subject_hash(account_id))) \
        .scalar_one_or_none()


def paris_today() -> dt.date:
    return clock.now().astimezone(ZoneInfo("Europe/Paris")).date()


# --- leases -----------------------------------------------------------------------------


def set_lease(account_id: str, lease_end: dt.date) -> AccountLease:
    """Record the lease end; the account is purged ``LEASE_GRACE_MONTHS`` calendar months later."""
    existing = purge_of(account_id)
    if existing is not None and existing.status != "failed":
        raise Conflict("This account is already being purged or is gone.")
    due = clock.add_months(lease_end, LEASE_GRACE_MONTHS)
    lease = db.session.get(AccountLease, account_id)
    if lease is None:
        lease = AccountLease(account_id=account_id, lease_end=lease_end, purge_due_on=due, updated_at=clock.now())
        try:
            with db.session.begin_nested():
                db.session.add(lease)
        except IntegrityError:  # set by a concurrent call: update that one
            lease = db.session.get(AccountLease, account_id)
            if lease is None:  # the concurrent row went again: a plain conflict
                raise Conflict("The lease changed at the same time; try again.") from None
    lease.lease_end, lease.purge_due_on, lease.updated_at, lease.purge_id = lease_end, due, clock.now(), None
    db.session.flush()
    return lease


# --- restriction and objection ----------------------------------------------------------


def processing_of(account_id: str) -> dict:
    row = db.session.get(AccountProcessing, account_id)
    return {"account_id": account_id, "restricted": bool(row and row.restricted),
            "objections": sorted(row.objections) if row else []}


def _processing_row(account_id: str) -> AccountProcessing:
    row = db.session.get(AccountProcessing, account_id)
    if row is None:
        row = AccountProcessing(account_id=account_id, restricted=False, objections=[], updated_at=clock.now())
        try:
            with db.session.begin_nested():
                db.session.add(row)
        except IntegrityError:
            row = db.session.get(AccountProcessing, account_id)
            if row is None:  # the concurrent row went again: a plain conflict
                raise Conflict("The account's processing changed at the same time; try again.") from None
    return row


def restrict(account_id: str) -> AccountProcessing:
    """Record a restriction of processing (GDPR art. 18)."""
    row = _processing_row(account_id)
    row.restricted, row.updated_at = True, clock.now()
    db.session.flush()
    return row


def object_to(account_id: str, categories) -> AccountProcessing:
    """Record an objection (GDPR art. 21) to the given consent categories."""
    row = _processing_row(account_id)
    row.objections = sorted(set(row.objections or []) | set(categories))
    row.updated_at = clock.now()
    db.session.flush()
    forget_objections()
    return row


class ObjectionCache:
    """visitor id -> categories its account objected to, refreshed at most every ``ttl`` seconds
    with one read of the objecting accounts' visitors, so consent-state reads no table per call."""

    def __init__(self, app, ttl: float):
        self.app, self.ttl = app, ttl
        self._lock = threading.Lock()
        self._expires = 0.0
        self._map: dict[str, frozenset[str]] = {}

    def __call__(self, visitor_id: str) -> frozenset[str]:
        if time.monotonic() >= self._expires:
            if has_app_context():
                self.refresh()
            else:  # the consent-state hot handler asks outside any context: read in one of our own
                with self.app.app_context():
                    self.refresh()
        return self._map.get(visitor_id, frozenset())

    def forget(self) -> None:
        self._expires = 0.0

    def refresh(self) -> None:
        with self._lock:
            if time.monotonic() < self._expires:
                return
            try:
                objecting = db.select(AccountProcessing.account_id, AccountProcessing.objections)
                by_account = {row.account_id: row.objections for row in db.session.execute(objecting) if row.objections}
                pairs = subject_data.visitors_of(list(by_account)) if by_account else []
            except Exception:
                db.session.rollback()
                log.warning("objection cache not refreshed: database unavailable")
                self._expires = time.monotonic() + min(self.ttl, 1.0)
                return
            fresh: dict[str, set[str]] = {}
            for visitor_id, account_id in pairs:
                fresh.setdefault(visitor_id, set()).update(by_account[account_id])
            self._map = {k: frozenset(v) for k, v in fresh.items()}
            self._expires = time.monotonic() + self.ttl


def forget_objections() -> None:
    cache = hooks.CONSENT_OBJECTIONS.get()
    if isinstance(cache, ObjectionCache):
        cache.forget()


# --- rectification ----------------------------------------------------------------------


def _clean_value(value, is_date: bool):
    if value is None:
        return None, None
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        return None, "Give a string, a number or null."
    if isinstance(value, str):
        if len(value) > MAX_TEXT:
            return None, f"At most {MAX_TEXT} characters."
        if any(ord(ch) < 32 or ord(ch) == 127 for ch in value):
            return None, "Control characters are not allowed."
        if is_date:
            try:
                return dt.date.fromisoformat(value), None
            except ValueError:
                return None, "Give a date as YYYY-MM-DD."
    elif is_date:
        return None, "Give a date as YYYY-MM-DD."
    return value, None


def rectify(account_id: str, changes: dict) -> dict[str, int]:
    """Apply ``changes`` (column -> new value) to every mapped table that lists the column as
    rectifiable; anything else is refused before any store is written. Returns rows per table."""
    targets: dict[str, list] = {}
    for store, table in datamap().sql_tables():
        for column in table.rectifiable_columns:
            targets.setdefault(column, []).append((store, table))
    errors: dict[str, list[str]] = {}
    cleaned: dict[str, object] = {}
    if not isinstance(changes, dict) or not changes:
        raise NotRectifiable({"changes": ["Give at least one field to change."]})
    for field, value in changes.items():
        if field not in targets:
            errors[str(field)[:64]] = ["This field cannot be rectified."]
            continue
        is_date = any(field in table.date_columns for _store, table in targets[field])
        cleaned[field], problem = _clean_value(value, is_date)
        if problem:
            errors[field] = [problem]
    if errors:
        raise NotRectifiable(errors)
    done: dict[str, int] = {}
    for store, table in _tables_touched(targets, cleaned):
        values = {k: v for k, v in cleaned.items() if k in table.rectifiable_columns}
        done[f"{store.name}.{table.name}"] = connectors.update_columns(store, table, account_id, values)
    return done


def _tables_touched(targets, cleaned):
    seen = []
    for field in cleaned:
        for pair in targets[field]:
            if pair not in seen:
                seen.append(pair)
    return seen
