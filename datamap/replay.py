"""``flask purges replay``: after a database restore, re-apply the erasures the journal
recorded since the dump (journal.py).

The journal names each subject by its keyed hash only, so the replay computes the keyed hash
of every subject id the restored data holds (the data map's stores, every service table with
an ``account_id``) and runs each matching purge again under its original id, so that its
receipt answers again. A purge the restore already holds as done is left alone: replaying
twice changes nothing the second time.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import distinct, select

from consent_service import clock
from consent_service.extensions import db

from . import connectors, engine, purge_start
from .journal import Entry, JournalError, entries, path
from .models import PURGES, STEPS, Purge, PurgeStep
from .services import datamap, subject_hash

log = logging.getLogger(__name__)


@dataclasses.dataclass
class Replayed:
    """What replaying one entry did (or would do, in a dry run)."""

    entry: Entry
    action: str  # "erased" | "would erase" | "already erased" | "nothing to erase"
    rows: int = 0



def subject_ids() -> Iterator[str]:
    """Every subject id the restored data holds: the data map's stores and every service table
    with an ``account_id`` column (the ids, not yet hashed)."""
    for store in datamap().stores:
        if store.kind == "sql":
            for table in store.tables:
                yield from connectors.subject_ids(store, table)
        else:
            yield from connectors.file_subject_ids(store)
    for own in db.metadata.sorted_tables:
        if "account_id" in own.c and own.name != Purge.__tablename__:
            yield from db.session.execute(select(distinct(own.c.account_id))
                                          .where(own.c.account_id.is_not(None))).scalars()


def replay(since: dt.date, dry_run: bool = False, journal: Path | None = None) -> list[Replayed]:
    """Re-apply the journal's erasures finished since ``since`` to the restored data."""
    journal = journal or path()
    if journal is None:
        raise JournalError("ERASURE_JOURNAL is not set: there is no journal to replay")
    # a purge replayed once is journaled again when it ends: one entry per purge
    wanted = list({entry.purge_id: entry for entry in entries(since, journal)}.values())
    hashes = {entry.subject_hash for entry in wanted}
    found: dict[str, str] = {}
    for account_id in subject_ids():
        digest = subject_hash(str(account_id))
        if digest in hashes:
            found.setdefault(digest, str(account_id))
    done = [_replay_one(entry, found.get(entry.subject_hash), dry_run) for entry in wanted]
    if not dry_run:
        while engine.run_purges():  # the purges replayed, up to their end
            pass
        db.session.expire_all()
        for replayed in done:
            if replayed.action == "erased":
                replayed.rows = db.session.execute(select(db.func.coalesce(db.func.sum(PurgeStep.rows), 0))
                                                   .where(PurgeStep.purge_id == replayed.entry.purge_id)).scalar_one()
    return done


def _replay_one(entry: Entry, account_id: str | None, dry_run: bool) -> Replayed:
    existing = db.session.execute(select(Purge.purge_id, Purge.status)
                                  .where(Purge.subject_hash == entry.subject_hash)).one_or_none()
    if existing is not None and existing.status == "done":
        return Replayed(entry, "already erased")  # what the restore holds was erased already
    if account_id is None:
        return Replayed(entry, "nothing to erase")
    if dry_run:
        return Replayed(entry, "would erase")
    if existing is None:  # the dump predates the purge: start it again under its own id
        purge_start.start_purge(account_id, entry.trigger, purge_id=entry.purge_id, requested_at=entry.requested_at)
    else:  # the dump caught it half-way: every step runs again
        db.session.execute(PURGES.update().where(PURGES.c.purge_id == existing.purge_id)
                           .values(status="pending", finished_at=None, account_id=account_id))
        db.session.execute(STEPS.update().where(STEPS.c.purge_id == existing.purge_id)
                           .values(status="pending", attempts=0, next_attempt_at=clock.now(), error=None,
                                   lease_until=None))
    db.session.commit()
    log.info("erasure journal: purge %s replayed", entry.purge_id)
    return Replayed(entry, "erased")
