"""The data map's YAML, parsed into :mod:`datamap.mapping` objects: every problem is collected
with the file, the store and the field it concerns, so that all show at once."""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from .mapping import (
    ACTIONS,
    BUILTIN_STORE,
    INFO_KEYS,
    SUBJECT_PLACEHOLDER,
    About,
    DataMap,
    Identity,
    Retention,
    Store,
    Table,
)

TOP_KEYS = {"controller", "objection_categories", "stores", "identity"}
IDENTITY_KEYS = {"store", "table", "subject_column", "email_column", "birth_date_column"}
CONTROLLER_KEYS = {"name", "address", "dpo_email"}
SQL_STORE_KEYS = {"name", "kind", "url", "tables", "about", "label"}
FILES_STORE_KEYS = {"name", "kind", "root", "path", "retention", "about", "label"}
TABLE_KEYS = {"name", "subject_column", "on_erasure", "anonymize_columns", "legal_basis", "retention",
              "rectifiable_columns", "about", "label", "columns"}


class Problems:
    """The problems found so far, each naming the file and where in it."""

    def __init__(self, filename: str):
        self.filename = filename
        self.items: list[str] = []

    def add(self, where: str, message: str) -> None:
        self.items.append(f"{self.filename}: {where}: {message}" if where else f"{self.filename}: {message}")


def _unknown(mapping: dict[str, Any], allowed: set[str], where: str, problems: Problems) -> None:
    for key in mapping:
        if key not in allowed:
            problems.add(where, f"unknown field '{key}' (allowed: {', '.join(sorted(allowed))})")


def _text(value: Any, where: str, field: str, problems: Problems, required: bool = False) -> str | None:
    if value is None:
        if required:
            problems.add(where, f"field '{field}' is required")
        return None
    if not isinstance(value, str) or not value.strip():
        problems.add(where, f"field '{field}' must be a non-empty string")
        return None
    return value.strip()


def _names(value: Any, where: str, field: str, problems: Problems) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        problems.add(where, f"field '{field}' must be a list of names")
        return ()
    return tuple(value)


def _label(value: Any, where: str, field: str, problems: Problems) -> dict[str, str] | None:
    """A reader's word: one string (both languages) or ``{fr: …, en: …}``."""
    if value is None:
        return None
    if isinstance(value, str) and value.strip():
        return {"fr": value.strip(), "en": value.strip()}
    if isinstance(value, dict) and value and set(value) <= {"fr", "en"} \
            and all(isinstance(v, str) and v.strip() for v in value.values()):
        return {lang: str(value.get(lang) or value.get("fr") or value.get("en")).strip() for lang in ("fr", "en")}
    problems.add(where, f"field '{field}' must be a string or a mapping of 'fr' and 'en' strings")
    return None


def _column_labels(value: Any, where: str, problems: Problems) -> dict[str, dict[str, str]]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        problems.add(where, "field 'columns' must map column names to labels")
        return {}
    labels = {}
    for column, word in value.items():
        found = _label(word, where, f"columns: {column}", problems)
        if found:
            labels[str(column)] = found
    return labels


def _about(value: Any, where: str, problems: Problems) -> About:
    if value is None:
        return About()
    if not isinstance(value, dict):
        problems.add(where, "field 'about' must be a mapping")
        return About()
    _unknown(value, set(INFO_KEYS), f"{where}, about", problems)
    recipients = value.get("recipients") or []
    if isinstance(recipients, str):
        recipients = [recipients]
    if not isinstance(recipients, list) or not all(isinstance(r, str) for r in recipients):
        problems.add(f"{where}, about", "field 'recipients' must be a list of strings")
        recipients = []
    texts = {key: _text(value.get(key), f"{where}, about", key, problems) for key in INFO_KEYS if key != "recipients"}
    return About(recipients=tuple(recipients), **texts)


def _retention(value: Any, where: str, problems: Problems, needs_column: bool) -> Retention | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        problems.add(where, "field 'retention' must be a mapping")
        return None
    allowed = {"column", "keep_months"} if needs_column else {"keep_months"}
    _unknown(value, allowed, f"{where}, retention", problems)
    months = value.get("keep_months")
    if isinstance(months, bool) or not isinstance(months, int) or not 1 <= months <= 1200:
        problems.add(f"{where}, retention", "field 'keep_months' must be a whole number of months from 1 to 1200")
        return None
    column = None
    if needs_column:
        column = _text(value.get("column"), f"{where}, retention", "column", problems, required=True)
        if column is None:
            return None
    return Retention(months, column)


def parse(raw: Any, problems: Problems, base: Path) -> DataMap:
    """The map ``raw`` (the YAML document), its relative paths taken from ``base``."""
    if not isinstance(raw, dict):
        problems.add("", "the top level must be a mapping with a 'stores' list")
        return DataMap(problems.filename, [], {}, ())
    _unknown(raw, TOP_KEYS, "top level", problems)
    controller = raw.get("controller") or {}
    if not isinstance(controller, dict):
        problems.add("controller", "must be a mapping")
        controller = {}
    _unknown(controller, CONTROLLER_KEYS, "controller", problems)
    controller = {k: _text(v, "controller", k, problems) for k, v in controller.items() if k in CONTROLLER_KEYS}
    objections = _names(raw.get("objection_categories", ["analytics"]), "top level", "objection_categories",
                        problems)
    stores_raw = raw.get("stores")
    if not isinstance(stores_raw, list):
        problems.add("top level", "field 'stores' is required and must be a list")
        stores_raw = []
    stores: list[Store] = []
    seen: set[str] = set()
    for where, item, name in _named_entries(stores_raw, "store", problems):
        if name:
            if name in seen or name == BUILTIN_STORE:
                problems.add(where, "field 'name': this name is already used" +
                             (" by the service's own data" if name == BUILTIN_STORE else ""))
            seen.add(name)
        kind = item.get("kind")
        if kind == "sql":
            stores.append(_parse_sql(item, name or "?", where, problems))
        elif kind == "files":
            stores.append(_parse_files(item, name or "?", where, problems, base))
        else:
            problems.add(where, "field 'kind' must be 'sql' or 'files'")
    return DataMap(problems.filename, stores, controller, objections,
                   _parse_identity(raw.get("identity"), stores, problems))


def _parse_identity(value: Any, stores: list[Store], problems: Problems) -> Identity | None:
    if value is None:
        return None
    where = "identity"
    if not isinstance(value, dict):
        problems.add(where, "must be a mapping like {store: portal, table: tenants, subject_column: account_id, "
                            "email_column: email, birth_date_column: birth_date}")
        return None
    _unknown(value, IDENTITY_KEYS, where, problems)
    fields = {key: _text(value.get(key), where, key, problems, required=key != "birth_date_column")
              for key in sorted(IDENTITY_KEYS)}
    store_name, table, subject, email = (fields[k] for k in ("store", "table", "subject_column", "email_column"))
    if store_name is None or table is None or subject is None or email is None:
        return None
    store = next((s for s in stores if s.name == store_name), None)
    if store is None or store.kind != "sql":
        problems.add(where, f"field 'store': no sql store named '{store_name}' in 'stores'")
        return None
    return Identity(store_name, table, subject, email, fields["birth_date_column"])


def _named_entries(items: list[Any], label: str, problems: Problems
                   ) -> Iterator[tuple[str, dict[str, Any], str | None]]:
    """Each mapping of ``items`` as ``(where, item, name)``: ``where`` names it in errors, by its
    ``name`` once it has one (``label 'x'``), else by its position (``label #2``)."""
    for index, item in enumerate(items):
        where = f"{label} #{index + 1}"
        if not isinstance(item, dict):
            problems.add(where, "must be a mapping")
            continue
        name = _text(item.get("name"), where, "name", problems, required=True)
        yield (f"{label} '{name}'" if name else where), item, name


def _parse_sql(item: dict[str, Any], name: str, where: str, problems: Problems) -> Store:
    _unknown(item, SQL_STORE_KEYS, where, problems)
    url = _text(item.get("url"), where, "url", problems, required=True)
    if url:
        try:
            sa.engine.make_url(url)
        except Exception:
            problems.add(where, "field 'url' is not a SQLAlchemy URL")
            url = None
    about = _about(item.get("about"), where, problems)
    store = Store(name=name, kind="sql", about=about, url=url,
                  label=_label(item.get("label"), where, "label", problems))
    tables_raw = item.get("tables")
    if not isinstance(tables_raw, list) or not tables_raw:
        problems.add(where, "field 'tables' is required and must be a non-empty list")
        return store
    for twhere, entry, tname in _named_entries(tables_raw, f"{where}, table", problems):
        if tname and store.table(tname):
            problems.add(twhere, "field 'name': this table is listed twice")
        if "identity_columns" in entry:
            problems.add(twhere, "field 'identity_columns' is replaced by the top-level 'identity' block "
                                 "(identity: {store, table, subject_column, email_column, birth_date_column})")
        _unknown({k: v for k, v in entry.items() if k != "identity_columns"}, TABLE_KEYS, twhere, problems)
        action = entry.get("on_erasure")
        if action not in ACTIONS:
            problems.add(twhere, f"field 'on_erasure' must be one of {', '.join(ACTIONS)}")
        anonymize = _names(entry.get("anonymize_columns"), twhere, "anonymize_columns", problems)
        if action == "anonymize" and not anonymize:
            problems.add(twhere, "field 'anonymize_columns' is required when on_erasure is anonymize")
        if action != "anonymize" and anonymize:
            problems.add(twhere, "field 'anonymize_columns' only applies when on_erasure is anonymize")
        legal_basis = _text(entry.get("legal_basis"), twhere, "legal_basis", problems, required=action == "retain")
        if action != "retain" and legal_basis:
            problems.add(twhere, "field 'legal_basis' only applies when on_erasure is retain "
                                 "(describe the processing's basis under 'about: lawful_basis')")
        store.tables.append(Table(
            name=tname or "?",
            subject_column=_text(entry.get("subject_column"), twhere, "subject_column", problems, required=True) or "?",
            on_erasure=action if action in ACTIONS else "retain",
            anonymize_columns=anonymize, legal_basis=legal_basis,
            retention=_retention(entry.get("retention"), twhere, problems, needs_column=True),
            rectifiable_columns=_names(entry.get("rectifiable_columns"), twhere, "rectifiable_columns", problems),
            about=_about(entry.get("about"), twhere, problems).over(about),
            label=_label(entry.get("label"), twhere, "label", problems),
            column_labels=_column_labels(entry.get("columns"), twhere, problems),
        ))
    return store


def _parse_files(item: dict[str, Any], name: str, where: str, problems: Problems, base: Path) -> Store:
    _unknown(item, FILES_STORE_KEYS, where, problems)
    root = _text(item.get("root"), where, "root", problems, required=True)
    template = _text(item.get("path"), where, "path", problems) or SUBJECT_PLACEHOLDER
    if template.count(SUBJECT_PLACEHOLDER) != 1 or template.startswith("/") or ".." in template.split("/") \
            or template.replace(SUBJECT_PLACEHOLDER, "x").count("{"):
        problems.add(where, "field 'path' must be a relative path holding '{account_id}' exactly once")
    return Store(name=name, kind="files", about=_about(item.get("about"), where, problems),
                 label=_label(item.get("label"), where, "label", problems),
                 root=(base / root).resolve() if root else None, path=template,
                 retention=_retention(item.get("retention"), where, problems, needs_column=False))
