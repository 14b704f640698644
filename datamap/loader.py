"""The data map (docs/datamap.md): read from YAML, checked against the real stores at start.

Every problem is reported with the file, the store and the field it concerns, all at once,
so that a bad map stops the service at start and never surprises a purge.
"""
from __future__ import annotations

import dataclasses
import os
from pathlib import Path

import sqlalchemy as sa
import yaml

ACTIONS = ("delete", "anonymize", "retain")
INFO_KEYS = ("purpose", "lawful_basis", "recipients", "retention_period", "source")
TOP_KEYS = {"controller", "objection_categories", "stores", "identity"}
IDENTITY_KEYS = {"store", "table", "subject_column", "email_column", "birth_date_column"}
CONTROLLER_KEYS = {"name", "address", "dpo_email"}
SQL_STORE_KEYS = {"name", "kind", "url", "tables", "about"}
FILES_STORE_KEYS = {"name", "kind", "root", "path", "retention", "about"}
TABLE_KEYS = {"name", "subject_column", "on_erasure", "anonymize_columns", "legal_basis", "retention",
              "rectifiable_columns", "about"}
DATE_TYPES = (sa.Date, sa.DateTime)
SUBJECT_PLACEHOLDER = "{account_id}"
BUILTIN_STORE = "consent-service"


class DataMapError(RuntimeError):
    """The data map is unusable; ``problems`` lists each one, naming file, store and field."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("The data map is not valid:\n  " + "\n  ".join(problems))


@dataclasses.dataclass(frozen=True)
class About:
    """What Article 15 requires the subject be told, from the map's ``about`` blocks."""

    purpose: str | None = None
    lawful_basis: str | None = None
    recipients: tuple[str, ...] = ()
    retention_period: str | None = None
    source: str | None = None

    def over(self, parent: "About") -> "About":
        """This block, with the parent's values where this one says nothing."""
        return About(**{key: getattr(self, key) or getattr(parent, key) for key in INFO_KEYS})


@dataclasses.dataclass(frozen=True)
class Retention:
    keep_months: int
    column: str | None = None


@dataclasses.dataclass
class Table:
    name: str
    subject_column: str
    on_erasure: str
    anonymize_columns: tuple[str, ...] = ()
    legal_basis: str | None = None
    retention: Retention | None = None
    rectifiable_columns: tuple[str, ...] = ()
    about: About = About()
    columns: tuple[str, ...] = ()
    primary_key: tuple[str, ...] = ()
    nullable: frozenset = frozenset()
    date_columns: frozenset = frozenset()
    sa_table: sa.Table | None = None


@dataclasses.dataclass
class Store:
    name: str
    kind: str
    about: About = About()
    url: str | None = None
    tables: list[Table] = dataclasses.field(default_factory=list)
    root: Path | None = None
    path: str | None = None
    retention: Retention | None = None
    engine: sa.Engine | None = None

    def table(self, name: str) -> Table | None:
        return next((t for t in self.tables if t.name == name), None)


@dataclasses.dataclass
class Identity:
    """Where an account's e-mail address and birth date live (the map's ``identity`` block):
    what the e-mailed link and the automatic account + birth-date check compare against."""

    store: str
    table: str
    subject_column: str
    email_column: str
    birth_date_column: str | None = None
    sa_table: sa.Table | None = None


@dataclasses.dataclass
class DataMap:
    path: str | None
    stores: list[Store]
    controller: dict
    objection_categories: tuple[str, ...]
    identity: Identity | None = None

    def store(self, name: str) -> Store | None:
        return next((s for s in self.stores if s.name == name), None)

    def sql_tables(self):
        for store in self.stores:
            for table in store.tables:
                yield store, table

    def dispose(self) -> None:
        for store in self.stores:
            if store.engine is not None:
                store.engine.dispose()


EMPTY = DataMap(None, [], {}, ("analytics",))


def load(path: str | os.PathLike | None, *, connect: bool = True) -> DataMap:
    """Read and check the map at ``path`` (None: an empty map). Raises DataMapError."""
    if not path:
        return DataMap(None, [], {}, ("analytics",))
    problems = _Problems(str(path))
    try:
        raw = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DataMapError([f"{path}: the file does not exist (DATAMAP_PATH)"]) from None
    except (OSError, UnicodeDecodeError) as err:
        raise DataMapError([f"{path}: cannot be read ({type(err).__name__})"]) from None
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise DataMapError([f"{path}: not valid YAML{where}"]) from None
    datamap = _parse(raw, problems, Path(path).resolve().parent)
    if connect:  # checked even when other stores are wrong, so every problem shows at once
        for store in datamap.stores:
            if store.kind == "sql" and store.url:
                _reflect(store, problems)
            else:
                _check_folder(store, problems)
        if datamap.identity is not None:
            _reflect_identity(datamap, problems)
    if problems.items:
        datamap.dispose()
        raise DataMapError(problems.items)
    return datamap


class _Problems:
    def __init__(self, filename: str):
        self.filename = filename
        self.items: list[str] = []

    def add(self, where: str, message: str) -> None:
        self.items.append(f"{self.filename}: {where}: {message}" if where else f"{self.filename}: {message}")


def _unknown(mapping: dict, allowed: set, where: str, problems: _Problems) -> None:
    for key in mapping:
        if key not in allowed:
            problems.add(where, f"unknown field '{key}' (allowed: {', '.join(sorted(allowed))})")


def _text(value, where, field, problems, required=False) -> str | None:
    if value is None:
        if required:
            problems.add(where, f"field '{field}' is required")
        return None
    if not isinstance(value, str) or not value.strip():
        problems.add(where, f"field '{field}' must be a non-empty string")
        return None
    return value.strip()


def _names(value, where, field, problems) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        problems.add(where, f"field '{field}' must be a list of names")
        return ()
    return tuple(value)


def _about(value, where, problems) -> About:
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


def _retention(value, where, problems, needs_column: bool) -> Retention | None:
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


def _parse(raw, problems: _Problems, base: Path) -> DataMap:
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


def _parse_identity(value, stores: list[Store], problems: _Problems) -> Identity | None:
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
    if any(fields[key] is None for key in IDENTITY_KEYS - {"birth_date_column"}):
        return None
    store = next((s for s in stores if s.name == fields["store"]), None)
    if store is None or store.kind != "sql":
        problems.add(where, f"field 'store': no sql store named '{fields['store']}' in 'stores'")
        return None
    return Identity(**fields)


def _named_entries(items: list, label: str, problems: _Problems):
    """Each mapping of ``items`` as ``(where, item, name)``: ``where`` names it in errors, by its
    ``name`` once it has one (``label 'x'``), else by its position (``label #2``)."""
    for index, item in enumerate(items):
        where = f"{label} #{index + 1}"
        if not isinstance(item, dict):
            problems.add(where, "must be a mapping")
            continue
        name = _text(item.get("name"), where, "name", problems, required=True)
        yield (f"{label} '{name}'" if name else where), item, name


def _parse_sql(item: dict, name: str, where: str, problems: _Problems) -> Store:
    _unknown(item, SQL_STORE_KEYS, where, problems)
    url = _text(item.get("url"), where, "url", problems, required=True)
    if url:
        try:
            sa.engine.make_url(url)
        except Exception:
            problems.add(where, "field 'url' is not a SQLAlchemy URL")
            url = None
    about = _about(item.get("about"), where, problems)
    store = Store(name=name, kind="sql", about=about, url=url)
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
        ))
    return store


def _parse_files(item: dict, name: str, where: str, problems: _Problems, base: Path) -> Store:
    _unknown(item, FILES_STORE_KEYS, where, problems)
    root = _text(item.get("root"), where, "root", problems, required=True)
    template = _text(item.get("path"), where, "path", problems) or SUBJECT_PLACEHOLDER
    if template.count(SUBJECT_PLACEHOLDER) != 1 or template.startswith("/") or ".." in template.split("/") \
            or template.replace(SUBJECT_PLACEHOLDER, "x").count("{"):
        problems.add(where, "field 'path' must be a relative path holding '{account_id}' exactly once")
    return Store(name=name, kind="files", about=_about(item.get("about"), where, problems),
                 root=(base / root).resolve() if root else None, path=template,
                 retention=_retention(item.get("retention"), where, problems, needs_column=False))


def _safe_url(url: str) -> str:
    return sa.engine.make_url(url).render_as_string(hide_password=True)


def _reflect(store: Store, problems: _Problems) -> None:
    where = f"store '{store.name}'"
    url = sa.engine.make_url(store.url)
    if url.get_backend_name() == "sqlite":
        database = url.database or ""
        if database in ("", ":memory:") or not (database.startswith("file:") or Path(database).is_file()):
            problems.add(where, f"field 'url': the SQLite database {database or '(memory)'} does not exist")
            return
    try:
        engine = sa.create_engine(store.url, **_connect_args(url))
        inspector = sa.inspect(engine)
        present = set(inspector.get_table_names())
    except Exception as err:
        problems.add(where, f"field 'url': cannot connect to {_safe_url(store.url)} ({type(err).__name__})")
        return
    store.engine = engine
    metadata = sa.MetaData()
    for table in store.tables:
        twhere = f"{where}, table '{table.name}'"
        if table.name not in present:
            problems.add(twhere, "field 'name': no such table in the database")
            continue
        reflected = sa.Table(table.name, metadata, autoload_with=engine)
        table.sa_table = reflected
        table.columns = tuple(c.name for c in reflected.columns)
        table.primary_key = tuple(c.name for c in reflected.primary_key.columns)
        table.nullable = frozenset(c.name for c in reflected.columns if c.nullable)
        table.date_columns = frozenset(c.name for c in reflected.columns if isinstance(c.type, DATE_TYPES))

        def need(column: str, field: str, *, nullable=False, date=False):
            if column not in table.columns:
                problems.add(twhere, f"field '{field}': no column '{column}' in the table")
            elif nullable and column not in table.nullable:
                problems.add(twhere, f"field '{field}': column '{column}' is NOT NULL and cannot be anonymized")
            elif date and column not in table.date_columns:
                problems.add(twhere, f"field '{field}': column '{column}' is not a date or timestamp column")

        need(table.subject_column, "subject_column")
        for column in table.anonymize_columns:
            need(column, "anonymize_columns", nullable=True)
        if table.on_erasure == "anonymize" and table.subject_column in table.columns \
                and table.subject_column not in table.nullable \
                and not isinstance(reflected.c[table.subject_column].type, sa.String):
            problems.add(twhere, "field 'subject_column': an anonymized row must lose its subject, so the column "
                                 "must be nullable or textual")
            if column == table.subject_column:
                problems.add(twhere, "field 'anonymize_columns': the subject column is handled by itself")
        if table.retention:
            need(table.retention.column, "retention.column", date=True)
        for column in table.rectifiable_columns:
            need(column, "rectifiable_columns")
            if column == table.subject_column or column in table.primary_key:
                problems.add(twhere, f"field 'rectifiable_columns': '{column}' identifies the row and cannot change")


def _reflect_identity(datamap: DataMap, problems: _Problems) -> None:
    """The identity table, listed in its store or not, and the columns the block names."""
    identity = datamap.identity
    store = datamap.store(identity.store)
    if store is None or store.engine is None:
        return  # the store's own problem is already reported
    where = f"identity, table '{identity.table}'"
    listed = store.table(identity.table)
    try:
        reflected = listed.sa_table if listed is not None and listed.sa_table is not None else \
            sa.Table(identity.table, sa.MetaData(), autoload_with=store.engine)
    except sa.exc.NoSuchTableError:
        problems.add(where, f"field 'table': no such table in store '{store.name}'")
        return
    except Exception as err:
        problems.add(where, f"field 'table': cannot be read ({type(err).__name__})")
        return
    for field in ("subject_column", "email_column", "birth_date_column"):
        column = getattr(identity, field)
        if column is not None and column not in reflected.c:
            problems.add(where, f"field '{field}': no column '{column}' in the table")
    identity.sa_table = reflected


def _connect_args(url) -> dict:
    if url.get_backend_name() == "postgresql":
        return {"connect_args": {"connect_timeout": 5}}
    if url.get_backend_name() == "sqlite":
        return {"connect_args": {"timeout": 15}}
    return {}


def _check_folder(store: Store, problems: _Problems) -> None:
    if store.root is None:
        return
    if not store.root.is_dir():
        problems.add(f"store '{store.name}'", f"field 'root': the folder {store.root} does not exist")


def report(datamap: DataMap) -> list[str]:
    """Lines for ``datamap check``: each store, its tables or folder, and their state."""
    lines = []
    for store in datamap.stores:
        if store.kind == "sql":
            lines.append(f"store {store.name} (sql, {_safe_url(store.url)}): reachable")
            for table in store.tables:
                extra = f", legal basis: {table.legal_basis}" if table.legal_basis else ""
                retention = (f", retention {table.retention.keep_months} months by {table.retention.column}"
                             if table.retention else "")
                lines.append(f"  table {table.name}: exists, subject column {table.subject_column} present, "
                             f"on erasure {table.on_erasure}{extra}{retention}")
        else:
            retention = f", retention {store.retention.keep_months} months by mtime" if store.retention else ""
            lines.append(f"store {store.name} (files): folder {store.root} exists, one folder per account at "
                         f"{store.path}{retention}")
    lines.append(f"store {BUILTIN_STORE} (built in): consent records, visitor links, leases, restrictions "
                 f"and objections, exports")
    return lines
