"""Purge receipts (docs/datamap.md): stores, actions and counts, the subject only as a keyed
hash; what ``GET /v1/purges/{id}`` and the back-office show, as :class:`datamap.schemas.Receipt`
dumps a :class:`~datamap.models.Purge`. Here: which lines a receipt has."""
from __future__ import annotations

import dataclasses
from collections.abc import Iterator

from consent_service.extensions import db

from .engine import BUILTIN_TABLES
from .models import Purge, PurgeStep


@dataclasses.dataclass(frozen=True)
class CountedTable:
    """One table the builtin step counted, read as a receipt line (with the attributes of a
    :class:`PurgeStep` that the receipt reads)."""

    store: str
    table_name: str
    action: str
    rows: int
    legal_basis: str | None
    status: str
    attempts: int | None = None  # never shown: only a data-map step's line says its tries


def lines(steps: list[PurgeStep]) -> Iterator[PurgeStep | CountedTable]:
    """A receipt's lines: a data-map step as itself, the builtin step as the tables it counted
    (a table it retains only when it retained something)."""
    for step in steps:
        if not step.counts:
            yield step
            continue
        for key, (table, action, legal_basis) in BUILTIN_TABLES.items():
            if key in step.counts and (action != "retain" or step.counts[key]):
                yield CountedTable(step.store, table, action, step.counts[key], legal_basis, step.status)


def get_purge(purge_id: str) -> Purge | None:
    return db.session.get(Purge, purge_id)
