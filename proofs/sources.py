"""What gets sealed: each kind of append-only record, how to find it and its sealed fields.

A record's digest is ``SHA-256(canonical JSON of its sealed fields)``; its Merkle leaf wraps
that digest with the record's kind, id and time (``merkle.leaf_digest(envelope(...))``), so a
sealed leaf still proves which record it stood for and when, after the record is erased.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy import Column, ColumnElement, Integer, String, Table, and_, cast

from cookies.models import ConsentRecord
from preferences.models import PreferenceChange

from . import merkle


@dataclasses.dataclass(frozen=True)
class Source:
    """A kind of sealed record: its table, id and time columns, and its sealed fields (which
    hold the time as ``recorded_at``, in RFC 3339)."""

    kind: str
    table: Table
    key: Column[Any]
    time: Column[Any]
    fields: Callable[[Mapping[Any, Any]], dict[str, Any]]

    @property
    def numeric(self) -> bool:
        return isinstance(self.key.type, Integer)

    def key_text(self) -> ColumnElement[Any]:
        """The id as a leaf names it (text)."""
        return cast(self.key, String) if self.numeric else self.key

    def matches(self, leaves: Table, by_time: bool) -> ColumnElement[bool]:
        """The record a leaf of this kind stands for (``by_time``: also by its time, which lets
        PostgreSQL look in one monthly partition)."""
        key = self.key == (cast(leaves.c.record_id, Integer) if self.numeric else leaves.c.record_id)
        return and_(key, self.time == leaves.c.recorded_at) if by_time else key


def utc_text(moment: dt.datetime) -> str:
    """RFC 3339 UTC to the second, as clock.rfc3339 writes it; without its per-call checks, as
    this runs for every record sealed or verified."""
    if moment.utcoffset():
        moment = moment.astimezone(dt.UTC)
    return moment.isoformat(timespec="seconds")[:19] + "Z"


def consent_fields(row: Mapping[Any, Any]) -> dict[str, Any]:
    """The sealed fields of a consent proof: the proof as ``GET /v1/consents/{id}`` gives it."""
    return {
        "consent_id": row["consent_id"], "site": row["site"], "policy_version": row["policy_version"],
        "texts_hash": row["texts_hash"], "action": row["action"], "categories": row["categories"],
        "recorded_at": utc_text(row["recorded_at"]), "valid_until": utc_text(row["valid_until"]),
        "visitor_id": row["visitor_id"], "ip": row["ip"], "user_agent": row["user_agent"], "page": row["page"],
        "gpc": bool(row["gpc"]), "locale": row["locale"], "banner_hash": row["banner_hash"],
    }


def preference_fields(row: Mapping[Any, Any]) -> dict[str, Any]:
    """The sealed fields of one change of an account's preferences (its history line)."""
    return {
        "change_id": row["id"], "account_id": row["account_id"], "recorded_at": utc_text(row["recorded_at"]),
        "actor": row["actor"], "actor_name": row["actor_name"], "channel": row["channel"], "change": row["change"],
        "asked": row["asked"], "before": row["before"], "after": row["after"], "note": row["note"],
    }


CONSENTS = Source("consent", ConsentRecord.__table__, ConsentRecord.__table__.c.consent_id,
                  ConsentRecord.__table__.c.recorded_at, consent_fields)
PREFERENCES = Source("preference", PreferenceChange.__table__, PreferenceChange.__table__.c.id,
                     PreferenceChange.__table__.c.recorded_at, preference_fields)


def sources() -> tuple[Source, ...]:
    return (CONSENTS, PREFERENCES)


def record_digest(fields: dict[str, Any]) -> str:
    return hashlib.sha256(merkle.canonical(fields)).hexdigest()


def envelope(kind: str, record_id: str, recorded_at: dt.datetime, digest: str) -> dict[str, str]:
    """What a leaf hashes: the record's kind, id and time, and its digest."""
    return {"kind": kind, "id": record_id, "recorded_at": utc_text(recorded_at), "record": digest}


def leaf_of(kind: str, record_id: str, recorded_at: dt.datetime | str, digest: str) -> str:
    """``merkle.leaf_digest(envelope(...))``, its canonical JSON written directly (keys in sorted
    order) rather than encoded: this runs for every record sealed or verified. ``recorded_at``
    may be given already as its RFC 3339 text."""
    at = recorded_at if isinstance(recorded_at, str) else utc_text(recorded_at)
    plain = record_id.isascii() and record_id.isalnum()  # ids and kinds: nothing to escape
    quoted = f'"{record_id}"' if plain else json.dumps(record_id, ensure_ascii=False)
    text = f'{{"id":{quoted},"kind":"{kind}","record":"{digest}","recorded_at":"{at}"}}'
    return hashlib.sha256(merkle.LEAF + text.encode()).hexdigest()
