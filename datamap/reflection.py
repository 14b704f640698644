"""The data map checked against the real stores at start: each sql store reached and its
tables reflected (columns, keys, types), each folder found; problems go to the parser's list."""
from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from .mapping import DataMap, Store, Table
from .parsing import Problems

DATE_TYPES = (sa.Date, sa.DateTime)


def safe_url(url: str) -> str:
    """The URL with its password hidden, for messages and reports."""
    return sa.engine.make_url(url).render_as_string(hide_password=True)


def reflect(store: Store, problems: Problems) -> None:
    """Connect to the sql ``store`` and check each listed table and the columns the map names."""
    where = f"store '{store.name}'"
    if store.url is None:
        return  # the parser reported it
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
        problems.add(where, f"field 'url': cannot connect to {safe_url(store.url)} ({type(err).__name__})")
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

        need = functools.partial(_need, table, twhere, problems)
        need(table.subject_column, "subject_column")
        for column in table.anonymize_columns:
            need(column, "anonymize_columns", nullable=True)
            if column == table.subject_column:
                problems.add(twhere, "field 'anonymize_columns': the subject column is handled by itself")
        if table.on_erasure == "anonymize" and table.subject_column in table.columns \
                and table.subject_column not in table.nullable \
                and not isinstance(reflected.c[table.subject_column].type, sa.String):
            problems.add(twhere, "field 'subject_column': an anonymized row must lose its subject, so the column "
                                 "must be nullable or textual")
        if table.retention:
            need(table.retention.column, "retention.column", date=True)
        for column in table.rectifiable_columns:
            need(column, "rectifiable_columns")
            if column == table.subject_column or column in table.primary_key:
                problems.add(twhere, f"field 'rectifiable_columns': '{column}' identifies the row and cannot change")
        for column in table.column_labels:
            need(column, "columns")


def _need(table: Table, where: str, problems: Problems, column: str | None, field: str, *,
          nullable: bool = False, date: bool = False) -> None:
    """``column`` (named by the map's ``field``) exists, and is nullable or a date when it must be."""
    if column not in table.columns:
        problems.add(where, f"field '{field}': no column '{column}' in the table")
    elif nullable and column not in table.nullable:
        problems.add(where, f"field '{field}': column '{column}' is NOT NULL and cannot be anonymized")
    elif date and column not in table.date_columns:
        problems.add(where, f"field '{field}': column '{column}' is not a date or timestamp column")


def reflect_identity(datamap: DataMap, problems: Problems) -> None:
    """The identity table, listed in its store or not, and the columns the block names."""
    identity = datamap.identity
    if identity is None:
        return
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


def _connect_args(url: sa.URL) -> dict[str, Any]:
    if url.get_backend_name() == "postgresql":
        return {"connect_args": {"connect_timeout": 5}}
    if url.get_backend_name() == "sqlite":
        return {"connect_args": {"timeout": 15}}
    return {}


def check_folder(store: Store, problems: Problems) -> None:
    if store.root is None:
        return
    if not store.root.is_dir():
        problems.add(f"store '{store.name}'", f"field 'root': the folder {store.root} does not exist")
