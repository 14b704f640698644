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
from collections.abc import Callable, Mapping, Sequence
from json.encoder import encode_basestring
from typing import Any

from sqlalchemy import JSON, Column, ColumnElement, Integer, String, Table, Text, and_, cast

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
    # canonical(fields(row)) written directly from a row of ``columns()`` (the sealer's fast
    # path), given the row and its time already as RFC 3339 text; tests/proofs prove it equal.
    canonical: Callable[[Sequence[Any], str], bytes]

    @property
    def numeric(self) -> bool:
        return isinstance(self.key.type, Integer)

    def columns(self) -> list[ColumnElement[Any]]:
        """The table's columns in order, JSON ones as their stored text (``canonical`` parses it)."""
        return [cast(column, Text) if isinstance(column.type, JSON) else column for column in self.table.columns]

    def position(self, column: Column[Any]) -> int:
        return list(self.table.columns).index(column)

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


# --- canonical JSON written directly ---------------------------------------------------------
# merkle.canonical(fields(row)) builds a dict per record and has json sort and encode it; the
# sealer writes the same bytes directly, keys in sorted order, each value as the same encoder
# would write it. JSON columns come as their stored text, parsed and encoded once per distinct
# text (a handful of category choices account for most decisions).


def _value(value: Any) -> str:
    """A scalar exactly as ``merkle.CANONICAL`` writes it."""
    kind = value.__class__
    if kind is str:
        return encode_basestring(value)
    if value is None:
        return "null"
    if kind is int:
        return int.__repr__(value)
    return merkle.CANONICAL.encode(value)


_JSON_SEEN: dict[str, str] = {}


def _json(value: Any) -> str:
    """A JSON column's value (its stored text, or already parsed) as canonical JSON."""
    if value.__class__ is not str:
        return merkle.CANONICAL.encode(value)
    found = _JSON_SEEN.get(value)
    if found is None:
        if len(_JSON_SEEN) >= 4096:
            _JSON_SEEN.clear()
        found = _JSON_SEEN[value] = merkle.CANONICAL.encode(json.loads(value))
    return found


def _consent_canonical(table: Table) -> Callable[[Sequence[Any], str], bytes]:
    at = {column.name: index for index, column in enumerate(table.columns)}
    action, banner, categories, consent, gpc, ip, locale, page, version, site, texts, agent, until, visitor = (
        at[name] for name in ("action", "banner_hash", "categories", "consent_id", "gpc", "ip", "locale", "page",
                              "policy_version", "site", "texts_hash", "user_agent", "valid_until", "visitor_id"))
    value, as_json = _value, _json

    def canonical(r: Sequence[Any], recorded_at: str) -> bytes:
        return (f'{{"action":{value(r[action])},"banner_hash":{value(r[banner])},'
                f'"categories":{as_json(r[categories])},"consent_id":{value(r[consent])},'
                f'"gpc":{"true" if r[gpc] else "false"},"ip":{value(r[ip])},"locale":{value(r[locale])},'
                f'"page":{value(r[page])},"policy_version":{value(r[version])},"recorded_at":"{recorded_at}",'
                f'"site":{value(r[site])},"texts_hash":{value(r[texts])},"user_agent":{value(r[agent])},'
                f'"valid_until":"{utc_text(r[until])}","visitor_id":{value(r[visitor])}}}').encode()

    return canonical


def _preference_canonical(table: Table) -> Callable[[Sequence[Any], str], bytes]:
    at = {column.name: index for index, column in enumerate(table.columns)}
    account, actor, actor_name, after, asked, before, change, channel, change_id, note = (
        at[name] for name in ("account_id", "actor", "actor_name", "after", "asked", "before", "change",
                              "channel", "id", "note"))
    value, as_json = _value, _json

    def canonical(r: Sequence[Any], recorded_at: str) -> bytes:
        return (f'{{"account_id":{value(r[account])},"actor":{value(r[actor])},'
                f'"actor_name":{value(r[actor_name])},"after":{as_json(r[after])},"asked":{as_json(r[asked])},'
                f'"before":{as_json(r[before])},"change":{value(r[change])},"change_id":{value(r[change_id])},'
                f'"channel":{value(r[channel])},"note":{value(r[note])},"recorded_at":"{recorded_at}"}}').encode()

    return canonical


CONSENTS = Source("consent", ConsentRecord.__table__, ConsentRecord.__table__.c.consent_id,
                  ConsentRecord.__table__.c.recorded_at, consent_fields,
                  _consent_canonical(ConsentRecord.__table__))
PREFERENCES = Source("preference", PreferenceChange.__table__, PreferenceChange.__table__.c.id,
                     PreferenceChange.__table__.c.recorded_at, preference_fields,
                     _preference_canonical(PreferenceChange.__table__))


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
    return leaf_bytes(kind, record_id, at, digest).hex()


def leaf_bytes(kind: str, record_id: str, recorded_at: str, digest: str) -> bytes:
    """``leaf_of``'s digest as bytes, the time given as RFC 3339 text."""
    plain = record_id.isascii() and record_id.isalnum()  # ids and kinds: nothing to escape
    quoted = f'"{record_id}"' if plain else json.dumps(record_id, ensure_ascii=False)
    text = f'{{"id":{quoted},"kind":"{kind}","record":"{digest}","recorded_at":"{recorded_at}"}}'
    return hashlib.sha256(merkle.LEAF + text.encode()).digest()
