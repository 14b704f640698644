"""``summary.html`` in an access export: the tenant's data itself, in tables a person can read
(the data map's labels, amounts in euros, dates in words, codes in words), then the Article 15
information (purposes, legal bases, recipients, retention, source, rights, the CNIL), in the
request's language, readable on a phone.

It is written once the JSON files are in the ZIP, from their first rows (``PREVIEW_ROWS`` per
table; the page says when the JSON file holds more), so memory stays bounded whatever the volume.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import json
import re
import zipfile
from collections.abc import Iterator, Mapping
from typing import IO, Any

from flask import render_template

from consent_service import i18n
from dsar import wording as dsar_wording

from . import wording
from .mapping import BUILTIN_STORE
from .services import datamap

PREVIEW_ROWS = 200
_ISO_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_ISO_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$")
# Codes of the service's own rows, and the kind of label that names them.
_CODES = {"type": "type", "status": "status", "from_status": "status", "to_status": "status", "channel": "channel",
          "verification_method": "method", "rejection_ground": "ground", "locale": "locale", "kind": "event",
          "actor": "actor"}


@dataclasses.dataclass
class Node:
    """A value as the page shows it: ``text``, or ``items`` (a list), or ``pairs`` (label, Node)."""

    text: str | None = None
    items: list[Node] | None = None
    pairs: list[tuple[str, Node]] | None = None


@dataclasses.dataclass
class Block:
    """One table of the tenant's data, as the page shows it."""

    title: str
    columns: list[str]
    rows: list[list[Node]]
    count: int
    file: str
    about: Mapping[str, Any]
    keep_months: int | None
    links: list[str | None] = dataclasses.field(default_factory=list)  # a listed file's place in the ZIP


def _localised(value: Any, lang: str) -> str | None:
    """A ``{"fr": …, "en": …}`` mapping (or one string) in ``lang``."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and value.get(lang):
        return str(value[lang])
    return None


def _humanise(name: str) -> str:
    return name.replace("_", " ").strip().capitalize()


class _Labels:
    """Column labels for one table: the data map's ``columns``, else the service's own words."""

    def __init__(self, lang: str, mapped: dict[str, Any] | None) -> None:
        self.lang, self.mapped = lang, mapped or {}

    def __call__(self, column: str) -> str:
        return (_localised(self.mapped.get(column), self.lang) or wording.FIELDS[self.lang].get(column)
                or _humanise(column))


def _code(column: str, value: str, lang: str) -> str | None:
    if column == "action":
        return wording.CONSENT_ACTIONS[lang].get(value)
    if column in _CODES:
        word = dsar_wording.label(_CODES[column], value, lang)
        return None if word == value else word
    return None


def _size(count: int, lang: str) -> str:
    return i18n.size(str(count), lang)


def _text(column: str, value: Any, lang: str, dates: frozenset[str]) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return ("oui" if value else "non") if lang == "fr" else ("yes" if value else "no")
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if column.endswith("_cents"):
            return i18n.euros(int(value), lang)
        if column == "size":
            return _size(int(value), lang)
        return i18n.number(value, lang, 0 if isinstance(value, int) else 2)
    text = str(value)
    if column in dates or _ISO_DAY.match(text):
        try:
            return i18n.day(dt.date.fromisoformat(text[:10]), lang)
        except ValueError:
            return text
    if _ISO_TIME.match(text):
        try:
            moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00").replace(" ", "T"))
        except ValueError:
            return text
        return i18n.moment(moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC), lang)
    return _code(column, text, lang) or text


def node(column: str, value: Any, lang: str, labels: _Labels, dates: frozenset[str] = frozenset()) -> Node:
    """``value`` of ``column`` as the tenant reads it (nested values become lists and pairs)."""
    localised = _localised(value, lang) if isinstance(value, dict) and set(value) <= {"fr", "en"} else None
    if localised is not None:
        return Node(localised)
    if isinstance(value, dict):
        if "label" in value and "on" in value and set(value) <= {"label", "on", "key"}:
            name = _localised(value["label"], lang) or str(value.get("key"))
            return Node(pairs=[(name, Node(_text("on", value["on"], lang, dates)))])
        return Node(pairs=[(labels(key), node(key, inner, lang, labels, dates)) for key, inner in _shown(value)])
    if isinstance(value, list):
        return Node(items=[node(column, item, lang, labels, dates) for item in value]) if value else Node("—")
    return Node(_text(column, value, lang, dates))


def _shown(row: dict[str, Any]) -> Iterator[tuple[str, Any]]:
    """A row's fields, a code giving way to its ``<code>_label`` when the row carries one."""
    for key, value in row.items():
        if key.endswith("_label"):
            continue
        label = row.get(f"{key}_label")
        yield key, (label if label is not None else value)


def _preview(archive: zipfile.ZipFile, name: str) -> list[dict[str, Any]]:
    """The first ``PREVIEW_ROWS`` rows of a JSON file the export wrote (one row per line)."""
    rows: list[dict[str, Any]] = []
    with archive.open(name) as raw:
        raw.readline()  # the header, up to '"rows": ['
        for line in raw:
            text = line.decode("utf-8").strip().lstrip(",")
            if not text or text.startswith("]"):
                break
            rows.append(json.loads(text))
            if len(rows) >= PREVIEW_ROWS:
                break
    return rows


def _table_of(store_name: str, table_name: str | None):
    for store in datamap().stores:
        if store.name == store_name:
            if table_name is None:
                return store, None
            return store, next((t for t in getattr(store, "tables", ()) if t.name == table_name), None)
    return None, None


def _title(section: dict[str, Any], lang: str) -> str:
    if section["store"] == BUILTIN_STORE:
        return wording.TABLES.get(section["table"], {}).get(lang) or _humanise(section["table"])
    store, table = _table_of(section["store"], section["table"])
    own = _localised(getattr(table if table is not None else store, "label", None), lang)
    if own:
        return own
    about = section["about"]
    return about.get("purpose") or _humanise(section["table"] or section["store"])


def _about(section: dict[str, Any], lang: str) -> Mapping[str, Any]:
    if section["store"] == BUILTIN_STORE and section["table"] in wording.TABLES \
            and section["table"] not in ("account_preferences", "preference_changes"):
        return wording.BUILTIN_ABOUT[lang]
    return section["about"]


def block(archive: zipfile.ZipFile, section: dict[str, Any], lang: str) -> Block:
    """One section of the export as a table: its label, its columns' labels, its first rows."""
    store, table = _table_of(section["store"], section["table"])
    labels = _Labels(lang, getattr(table, "column_labels", None) if table is not None else None)
    dates = frozenset(getattr(table, "date_columns", ()) or ())
    rows = _preview(archive, section["file"])
    columns: list[str] = []
    for row in rows:
        columns += [key for key, _value in _shown(row) if key not in columns]
    if section["table"] is None:  # a files listing: the file's own link says where it is
        columns = [c for c in columns if c != "file"]
    cells = [[node(column, dict(_shown(row)).get(column), lang, labels, dates) for column in columns] for row in rows]
    links = [row.get("file") if section["table"] is None else None for row in rows]
    return Block(_title(section, lang), [labels(c) for c in columns], cells, section["count"], section["file"],
                 _about(section, lang), section["keep_months"], links)


def append_to(archive_file: IO[bytes], sections: list[dict[str, Any]], info: dict[str, Any],
              reference: str | None, locale: str | None) -> None:
    """Write ``summary.html`` into the finished export ZIP (``archive_file``, left at its end)."""
    lang = i18n.locale_of(locale or "fr")
    archive_file.seek(0)
    with zipfile.ZipFile(archive_file, "a", compression=zipfile.ZIP_DEFLATED, compresslevel=1,
                         allowZip64=True) as archive:
        blocks = [block(archive, section, lang) for section in sections]
        archive.writestr("summary.html", render_template(
            "datamap/summary.html", lang=lang, info=info, blocks=blocks, reference=reference,
            generated=i18n.moment(dt.datetime.fromisoformat(info["generated_at"].replace("Z", "+00:00")), lang),
            preview_rows=PREVIEW_ROWS))
    archive_file.seek(0, 2)
