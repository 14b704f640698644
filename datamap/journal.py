"""The erasure journal (``ERASURE_JOURNAL``): backups must not bring erased people back.

Every finished purge of a person (account deletion, lease end, DSAR erasure) appends one line
to a file outside the database, and fsyncs it before the purge's end commits:

    {"purge_id": "…", "subject_hash": "…", "trigger": "account_deleted",
     "requested_at": "2027-03-01T08:00:00Z", "finished_at": "2027-03-01T08:00:04Z"}

No account id: the keyed hash (the pseudonym key's, kept in the database and in its dumps, or
``PSEUDONYM_KEY``) stands for it. ``replay.py`` re-applies the lines after a restore.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
from collections.abc import Iterator
from pathlib import Path

from flask import current_app
from sqlalchemy import select

from consent_service import clock
from consent_service.extensions import db

from .models import Purge


class JournalError(RuntimeError):
    pass


@dataclasses.dataclass(frozen=True)
class Entry:
    purge_id: str
    subject_hash: str
    trigger: str
    requested_at: dt.datetime
    finished_at: dt.datetime


def path() -> Path | None:
    configured = current_app.config["ERASURE_JOURNAL"]
    return Path(configured) if configured else None


def record(purge_id: str) -> None:
    """Append the finished purge ``purge_id`` to the journal and fsync it (no-op when unset).
    Raises when the journal cannot be written: the purge's end then rolls back and its last
    step is tried again, rather than an erasure that a restore could undo unseen."""
    target = path()
    if target is None:
        return
    purge = db.session.execute(select(Purge.purge_id, Purge.subject_hash, Purge.trigger, Purge.requested_at)
                               .where(Purge.purge_id == purge_id)).one()
    if purge.subject_hash is None or purge.trigger == "retention":
        return  # sweeps are by date: they run again by themselves after a restore
    line = json.dumps({"purge_id": purge.purge_id, "subject_hash": purge.subject_hash, "trigger": purge.trigger,
                       "requested_at": clock.rfc3339(purge.requested_at), "finished_at": clock.rfc3339(clock.now())})
    created = not target.exists()
    fd = os.open(target, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, (line + "\n").encode())  # one write: lines from several processes never interleave
        os.fsync(fd)
    finally:
        os.close(fd)
    if created:  # the new file's name must survive a crash too
        directory = os.open(target.parent, os.O_RDONLY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)


def entries(since: dt.date, journal: Path) -> Iterator[Entry]:
    """The journal's entries finished on or after ``since`` (UTC), in the order written."""
    try:
        handle = journal.open(encoding="utf-8")
    except OSError as err:
        raise JournalError(f"cannot read the erasure journal {journal}: {err.strerror}") from None
    start = dt.datetime.combine(since, dt.time(), dt.UTC)
    with handle:
        for number, text in enumerate(handle, 1):
            if not text.strip():
                continue
            try:
                raw = json.loads(text)
                entry = Entry(raw["purge_id"], raw["subject_hash"], raw["trigger"],
                              dt.datetime.fromisoformat(raw["requested_at"].replace("Z", "+00:00")),
                              dt.datetime.fromisoformat(raw["finished_at"].replace("Z", "+00:00")))
            except (ValueError, KeyError, TypeError, AttributeError):
                raise JournalError(f"line {number} of {journal} is not a journal entry") from None
            if entry.finished_at >= start:
                yield entry
