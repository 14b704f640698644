"""What can be done to one store of the data map: read a subject's rows or files, erase them
in bounded batches, sweep what is past its retention, find residue.

``sql`` stores are any SQLAlchemy database (tables reflected at start); ``files`` stores are a
folder per subject below a root. Each batch is its own short transaction in the store.
"""
from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from consent_service import clock
from consent_service.fields import account_id_is_valid

from .mapping import SUBJECT_PLACEHOLDER, Store, Table

FETCH_CHUNK = 1000


class BadAccountId(ValueError):
    """The account id cannot name a folder or a row safely."""


# --- sql --------------------------------------------------------------------------------


def subject_value(table: Table, account_id: str):
    """The account id as the subject column stores it (an integer column takes digits only)."""
    column = table.reflected.c[table.subject_column]
    try:
        python_type = column.type.python_type
    except NotImplementedError:
        python_type = str
    if python_type is int:
        return int(account_id) if account_id.isdigit() else None
    return account_id


def _subject_filter(table: Table, account_id: str):
    value = subject_value(table, account_id)
    column = table.reflected.c[table.subject_column]
    return column == value if value is not None else sa.false()


def _batch_of(store: Store, table: Table, condition, batch: int):
    """A condition matching at most ``batch`` rows of those matching ``condition``."""
    t = table.reflected
    if store.connected.dialect.name == "postgresql":
        # ctid = ANY(ARRAY(page)): the page is read once through the index, then each row is
        # reached by its physical address (a TID scan); "IN (page)" lets the planner pick a hash
        # join over the whole table. A row moved meanwhile is simply caught by the next batch.
        ctid: sa.ColumnClause[Any] = sa.literal_column("ctid")
        page = sa.select(ctid).select_from(t).where(condition).limit(batch)
        return ctid == sa.any_(sa.func.array(page.scalar_subquery()))
    if not table.primary_key:
        return condition  # no key to page by: one statement
    keys = [t.c[name] for name in table.primary_key]
    page = sa.select(*keys).where(condition).limit(batch)
    if len(keys) > 1:
        return sa.tuple_(*keys).in_(page)
    return keys[0].in_(page.scalar_subquery())


def count_rows(store: Store, table: Table, account_id: str) -> int:
    with store.connected.connect() as conn:
        return conn.execute(sa.select(sa.func.count()).select_from(table.reflected)
                            .where(_subject_filter(table, account_id))).scalar_one()


def erase_batch(store: Store, table: Table, account_id: str, batch: int, pseudonym: str) -> int:
    """Apply the table's ``on_erasure`` to at most ``batch`` of the subject's rows (all of them
    when ``batch`` is 0); returns how many changed. ``retain`` changes nothing."""
    condition = _subject_filter(table, account_id)
    target = _batch_of(store, table, condition, batch) if batch else condition
    t = table.reflected
    with store.connected.begin() as conn:
        if table.on_erasure == "delete":
            return conn.execute(sa.delete(t).where(target)).rowcount
        if table.on_erasure == "anonymize":
            # The subject column goes too, or the "anonymized" row would still name its account.
            subject = None if table.subject_column in table.nullable else pseudonym
            values: dict[str, str | None] = {name: None for name in table.anonymize_columns}
            values[table.subject_column] = subject
            return conn.execute(sa.update(t).where(target).values(**values)).rowcount
    return 0


def plan_cursors_for_every_row(conn: sa.Connection) -> None:
    """For the rest of ``conn``'s transaction, plan streamed reads for reading every row.

    PostgreSQL plans a cursor for its first tenth of rows: for a subject's rows in key order
    that means walking the table's whole primary key instead of the subject's index.
    """
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql("SET LOCAL cursor_tuple_fraction = 1.0")


def rows_of(store: Store, table: Table, account_id: str) -> Iterator[dict]:
    """The subject's rows, read in chunks so memory stays bounded."""
    t = table.reflected
    query = sa.select(t).where(_subject_filter(table, account_id))
    if table.primary_key:
        query = query.order_by(*[t.c[name] for name in table.primary_key])
    with store.connected.connect() as conn:
        plan_cursors_for_every_row(conn)
        result = conn.execution_options(stream_results=True, yield_per=FETCH_CHUNK).execute(query)
        keys = list(result.keys())
        for row in result:
            yield dict(zip(keys, row, strict=True))


def update_columns(store: Store, table: Table, account_id: str, values: dict) -> int:
    with store.connected.begin() as conn:
        return conn.execute(sa.update(table.reflected).where(_subject_filter(table, account_id))
                            .values(**values)).rowcount


def retention_cutoff(table: Table, now: dt.datetime):
    """Rows whose date column is before this are past their retention."""
    moment = clock.add_months(now, -table.retention_rule.keep_months)
    column = table.reflected.c[table.retention_column]
    if isinstance(column.type, sa.DateTime):
        return moment if column.type.timezone else moment.replace(tzinfo=None)
    return moment.date()


def sweep_batch(store: Store, table: Table, cutoff, batch: int) -> int:
    """Delete at most ``batch`` rows past their retention; one short transaction."""
    column = table.reflected.c[table.retention_column]
    with store.connected.begin() as conn:
        return conn.execute(sa.delete(table.reflected).where(_batch_of(store, table, column < cutoff, batch))).rowcount


def table_contains(store: Store, table: Table, needles: list[str]) -> list[str]:
    """Columns of the table where any needle appears in any row (a residue scan, for checks)."""
    t = table.reflected
    found = []
    with store.connected.connect() as conn:
        for column in t.columns:
            text = sa.cast(column, sa.String)
            condition = sa.or_(*[text.contains(needle, autoescape=True) for needle in needles])
            if conn.execute(sa.select(sa.func.count()).select_from(t).where(condition)).scalar_one():
                found.append(column.name)
    return found


# --- files ------------------------------------------------------------------------------


def subject_folder(store: Store, account_id: str) -> Path:
    """The subject's folder below the store's root; refuses any id that could leave it."""
    if not isinstance(account_id, str) or not account_id_is_valid(account_id) or "/" in account_id \
            or "\\" in account_id or account_id in {".", ".."}:
        raise BadAccountId("Not a valid account id.")
    root = store.folder.resolve()
    target = (root / store.template.replace(SUBJECT_PLACEHOLDER, account_id)).resolve()
    if target == root or not target.is_relative_to(root):
        raise BadAccountId("Not a valid account id.")
    return target


def _walk_files(folder: Path) -> Iterator[Path]:
    """Every file (or link) below ``folder``, never following links out of it."""
    for directory, dirnames, filenames in os.walk(folder, followlinks=False):
        dirnames.sort()
        for name in sorted(filenames):
            yield Path(directory) / name
        for name in dirnames:
            path = Path(directory) / name
            if path.is_symlink():
                yield path


def files_of(store: Store, account_id: str) -> Iterator[tuple[Path, str, os.stat_result]]:
    """``(path, relative name, stat)`` of each of the subject's files."""
    folder = subject_folder(store, account_id)
    if not folder.is_dir():
        return
    for path in _walk_files(folder):
        if path.is_symlink():
            continue  # a link is not the subject's document; it is erased, not exported
        yield path, path.relative_to(folder).as_posix(), path.stat()


def count_files(store: Store, account_id: str) -> int:
    """The subject's files, as :func:`erase_files` would remove them."""
    folder = subject_folder(store, account_id)
    if not folder.exists() and not folder.is_symlink():
        return 0
    if folder.is_symlink() or not folder.is_dir():
        return 1
    return sum(1 for _path in _walk_files(folder))


def erase_files(store: Store, account_id: str, batch: int) -> int:
    """Remove at most ``batch`` of the subject's files (all when 0); the folder goes with the last."""
    limit = batch or float("inf")
    folder = subject_folder(store, account_id)
    if not folder.exists() and not folder.is_symlink():
        return 0
    if folder.is_symlink() or not folder.is_dir():
        folder.unlink()
        return 1
    removed = 0
    for path in _walk_files(folder):
        path.unlink()
        removed += 1
        if removed >= limit:
            return removed
    _remove_empty_dirs(folder, keep=None)
    return removed


def _remove_empty_dirs(top: Path, keep: Path | None) -> None:
    for directory, _dirs, _files in sorted(os.walk(top, followlinks=False), key=lambda w: -len(w[0])):
        path = Path(directory)
        if path != keep:
            try:
                path.rmdir()
            except OSError:
                pass  # not empty: something newer stays


def sweep_files(store: Store, now: dt.datetime, batch: int) -> int:
    """Remove at most ``batch`` files modified before the store's retention cut-off."""
    cutoff = clock.add_months(now, -store.retention_rule.keep_months).timestamp()
    root = store.folder.resolve()
    removed = 0
    for path in _walk_files(root):
        if path.lstat().st_mtime < cutoff:
            path.unlink()
            removed += 1
            if removed >= batch:
                break
    if removed:
        _remove_empty_dirs(root, keep=root)
    return removed


def folder_contains(store: Store, needles: list[str]) -> list[str]:
    """Paths below the root whose name or text holds a needle (a residue scan, for checks)."""
    found = []
    encoded = [n.encode() for n in needles]
    for directory, dirnames, filenames in os.walk(store.folder, followlinks=False):
        for name in [*dirnames, *filenames]:
            path = Path(directory) / name
            if any(n in name for n in needles):
                found.append(str(path))
            elif path.is_file() and not path.is_symlink():
                data = path.read_bytes()
                if any(n in data for n in encoded):
                    found.append(str(path))
    return found


# --- every subject id a store holds (the erasure journal's replay) -----------------------------


def subject_ids(store: Store, table: Table) -> Iterator[str]:
    """The distinct subject ids of ``table``, as text."""
    column = table.reflected.c[table.subject_column]
    with store.connected.connect() as conn:
        for value in conn.execute(sa.select(sa.distinct(column)).where(column.is_not(None))).scalars():
            yield str(value)


def file_subject_ids(store: Store) -> Iterator[str]:
    """The ids named by the store's subject folders (the ``{account_id}`` part of its path)."""
    parts = Path(store.template).parts
    index = next(i for i, part in enumerate(parts) if SUBJECT_PLACEHOLDER in part)
    prefix, _, suffix = parts[index].partition(SUBJECT_PLACEHOLDER)
    parent = store.folder.joinpath(*parts[:index])
    if not parent.is_dir():
        return
    for entry in sorted(os.listdir(parent)):
        if entry.startswith(prefix) and entry.endswith(suffix) and len(entry) > len(prefix) + len(suffix):
            yield entry[len(prefix):len(entry) - len(suffix)]
