"""``SEAL_JOURNAL``: every seal, one JSON line each, appended to a file outside the database.

Whoever can rewrite the database can rebuild a whole chain of seals; they cannot take back
the hashes already written elsewhere (this file, a copy sent to a third party)."""
from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterator
from typing import Any

from flask import current_app

log = logging.getLogger(__name__)


def path() -> str | None:
    return current_app.config["SEAL_JOURNAL"] or None


def append(seal: dict[str, Any]) -> None:
    """Append the seal (its fields and hash); a failure is logged, the seal stays valid."""
    target = path()
    if not target:
        return
    line = json.dumps(seal, sort_keys=True, separators=(",", ":")) + "\n"
    try:
        fd = os.open(target, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
        try:
            os.write(fd, line.encode())
            os.fsync(fd)
        finally:
            os.close(fd)
    except OSError as err:
        log.error("seal %s could not be written to SEAL_JOURNAL: %s", seal.get("number"), err.strerror)


def entries() -> Iterator[dict[str, Any]]:
    """The journal's seals in file order (a line that is not a seal is skipped with a warning)."""
    target = path()
    if not target or not os.path.exists(target):
        return
    with open(target, encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            try:
                entry = json.loads(line)
                if isinstance(entry, dict) and isinstance(entry.get("number"), int) \
                        and isinstance(entry.get("hash"), str):
                    yield entry
                    continue
            except ValueError:
                pass
            log.warning("SEAL_JOURNAL line %s is not a seal; skipped", number)


class Lookahead:
    """The journal's hash for seal ``n``, read in step with seals taken in order: entries are
    read ahead a little (two sealers may append out of order), never the whole file at once."""

    SLACK = 64

    def __init__(self) -> None:
        self._entries = entries()
        self._pending: dict[int, str] = {}
        self._exhausted = False

    def hash_of(self, number: int) -> str | None:
        while not self._exhausted and (not self._pending or max(self._pending) < number + self.SLACK):
            entry = next(self._entries, None)
            if entry is None:
                self._exhausted = True
                break
            self._pending[entry["number"]] = entry["hash"]
        for seen in [n for n in self._pending if n < number]:
            del self._pending[seen]
        return self._pending.get(number)

    def beyond(self, number: int) -> int | None:
        """The first journal seal after ``number`` (the database's last): a seal the database lost."""
        later = [n for n in self._pending if n > number]
        for entry in self._entries:
            if entry["number"] > number:
                later.append(entry["number"])
                break
        return min(later) if later else None
