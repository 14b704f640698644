"""The data map's shape: the stores, tables, retention rules, Article 15 information and
identity block a map declares, as the parser fills them and the engine, the connectors and the
exports read them (docs/datamap.md)."""
from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import sqlalchemy as sa

ACTIONS = ("delete", "anonymize", "retain")
INFO_KEYS = ("purpose", "lawful_basis", "recipients", "retention_period", "source")
SUBJECT_PLACEHOLDER = "{account_id}"
BUILTIN_STORE = "consent-service"


@dataclasses.dataclass(frozen=True)
class About:
    """What Article 15 requires the subject be told, from the map's ``about`` blocks."""

    purpose: str | None = None
    lawful_basis: str | None = None
    recipients: tuple[str, ...] = ()
    retention_period: str | None = None
    source: str | None = None

    def over(self, parent: About) -> About:
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
    # What a tenant reads: the table's name ({"fr", "en"}) and its columns' ({column: {"fr", "en"}}).
    label: dict[str, str] | None = None
    column_labels: dict[str, dict[str, str]] = dataclasses.field(default_factory=dict)
    columns: tuple[str, ...] = ()
    primary_key: tuple[str, ...] = ()
    nullable: frozenset[str] = frozenset()
    date_columns: frozenset[str] = frozenset()
    sa_table: sa.Table | None = None

    @property
    def reflected(self) -> sa.Table:
        """The reflected table (set by ``load``, which connects to every store)."""
        if self.sa_table is None:
            raise RuntimeError(f"table {self.name} was not reflected: the map was loaded without connecting")
        return self.sa_table

    @property
    def retention_rule(self) -> Retention:
        if self.retention is None:
            raise RuntimeError(f"table {self.name} has no retention")
        return self.retention

    @property
    def retention_column(self) -> str:
        column = self.retention_rule.column
        if column is None:  # the parser requires it for a table
            raise RuntimeError(f"table {self.name}: retention has no column")
        return column


@dataclasses.dataclass
class Store:
    name: str
    kind: str
    about: About = About()
    label: dict[str, str] | None = None  # what a tenant reads, {"fr", "en"}
    url: str | None = None
    tables: list[Table] = dataclasses.field(default_factory=list)
    root: Path | None = None
    path: str | None = None
    retention: Retention | None = None
    engine: sa.Engine | None = None

    def table(self, name: str) -> Table | None:
        return next((t for t in self.tables if t.name == name), None)

    @property
    def connected(self) -> sa.Engine:
        """The sql store's engine (set by ``load``)."""
        if self.engine is None:
            raise RuntimeError(f"store {self.name} is not connected: the map was loaded without connecting")
        return self.engine

    @property
    def folder(self) -> Path:
        """The files store's root folder."""
        if self.root is None:
            raise RuntimeError(f"store {self.name} has no root folder")
        return self.root

    @property
    def template(self) -> str:
        """The files store's subject folder, with ``{account_id}``."""
        if self.path is None:
            raise RuntimeError(f"store {self.name} has no path")
        return self.path

    @property
    def retention_rule(self) -> Retention:
        if self.retention is None:
            raise RuntimeError(f"store {self.name} has no retention")
        return self.retention


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
    controller: dict[str, Any]
    objection_categories: tuple[str, ...]
    identity: Identity | None = None

    def store(self, name: str) -> Store | None:
        return next((s for s in self.stores if s.name == name), None)

    def sql_tables(self) -> Iterator[tuple[Store, Table]]:
        for store in self.stores:
            for table in store.tables:
                yield store, table

    def dispose(self) -> None:
        for store in self.stores:
            if store.engine is not None:
                store.engine.dispose()


EMPTY = DataMap(None, [], {}, ("analytics",))
