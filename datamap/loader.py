"""The data map (docs/datamap.md): read from YAML (parsing.py), checked against the real stores
at start (reflection.py).

Every problem is reported with the file, the store and the field it concerns, all at once,
so that a bad map stops the service at start and never surprises a purge.
"""
from __future__ import annotations

import os
from pathlib import Path

import yaml

from .mapping import BUILTIN_STORE, DataMap
from .parsing import Problems, parse
from .reflection import check_folder, reflect, reflect_identity, safe_url


class DataMapError(RuntimeError):
    """The data map is unusable; ``problems`` lists each one, naming file, store and field."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("The data map is not valid:\n  " + "\n  ".join(problems))


def load(path: str | os.PathLike[str] | None, *, connect: bool = True) -> DataMap:
    """Read and check the map at ``path`` (None: an empty map). Raises DataMapError."""
    if not path:
        return DataMap(None, [], {}, ("analytics",))
    problems = Problems(str(path))
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
    datamap = parse(raw, problems, Path(path).resolve().parent)
    if connect:  # checked even when other stores are wrong, so every problem shows at once
        for store in datamap.stores:
            if store.kind == "sql" and store.url:
                reflect(store, problems)
            else:
                check_folder(store, problems)
        if datamap.identity is not None:
            reflect_identity(datamap, problems)
    if problems.items:
        datamap.dispose()
        raise DataMapError(problems.items)
    return datamap


def report(datamap: DataMap) -> list[str]:
    """Lines for ``datamap check``: each store, its tables or folder, and their state."""
    lines = []
    for store in datamap.stores:
        if store.kind == "sql":
            lines.append(f"store {store.name} (sql, {safe_url(store.url or '')}): reachable")
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
