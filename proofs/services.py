"""Seals and inclusion paths as the API gives them; verification runs. Flush, never commit."""
from __future__ import annotations

import datetime as dt
from typing import Any, cast

from sqlalchemy import CursorResult, Row, insert, or_, select, update

from consent_service import clock
from consent_service.errors import Conflict, NotFound
from consent_service.extensions import db

from . import merkle, verify
from .models import BannerBundle, ProofVerification, Seal, SealLeaf
from .sources import CONSENTS, leaf_of

SEALS, LEAVES, RUNS = Seal.__table__, SealLeaf.__table__, ProofVerification.__table__
ABANDONED_AFTER = dt.timedelta(minutes=30)


def list_seals(since: dt.datetime | None = None, before: int | None = None, limit: int = 100) -> list[Row[Any]]:
    """Seals, newest first: sealed at or after ``since``, numbered below ``before`` (rows that
    :class:`proofs.schemas.SealOut` dumps)."""
    query = select(SEALS)
    if since is not None:
        query = query.where(SEALS.c.sealed_at >= since)
    if before is not None:
        query = query.where(SEALS.c.number < before)
    return list(db.session.execute(query.order_by(SEALS.c.number.desc()).limit(limit)))


def recent_seals(limit: int) -> list[Seal]:
    return list(db.session.execute(select(Seal).order_by(Seal.number.desc()).limit(limit)).scalars())


def latest_seal() -> Row[Any] | None:
    seals = list_seals(limit=1)
    return seals[0] if seals else None


def bundle(banner_hash: str) -> BannerBundle:
    """A served banner.js bundle, by the hash a proof names."""
    found = db.session.get(BannerBundle, banner_hash)
    if found is None:
        raise NotFound("No banner bundle with that hash was served.")
    return found


def inclusion(consent_id: str) -> dict[str, Any]:
    """A consent proof's sealed fields, its Merkle path and its seal (docs/proofs.md)."""
    record = db.session.execute(select(CONSENTS.table).where(CONSENTS.key == consent_id)).mappings().first()
    if record is None:
        raise NotFound("No such consent record.")
    leaf = db.session.execute(select(LEAVES).where(LEAVES.c.kind == CONSENTS.kind,
                                                   LEAVES.c.recorded_at == record["recorded_at"],
                                                   LEAVES.c.record_id == consent_id)).first()
    if leaf is None:
        raise Conflict("This record is not sealed yet: it will be at the next seal (within a minute or two).")
    seal = db.session.execute(select(SEALS).where(SEALS.c.number == leaf.seal_number)).one()
    siblings = [leaf_of(row.kind, row.record_id, row.recorded_at, row.digest) for row in db.session.execute(
        select(LEAVES.c.kind, LEAVES.c.record_id, LEAVES.c.recorded_at, LEAVES.c.digest)
        .where(LEAVES.c.seal_number == seal.number).order_by(LEAVES.c.position))]
    return {"consent_id": consent_id, "record": CONSENTS.fields(record), "record_digest": leaf.digest,
            "leaf_hash": siblings[leaf.position], "position": leaf.position,
            "path": merkle.path(siblings, leaf.position), "seal": seal}


# --- verification runs -------------------------------------------------------------------


def request_verification(requested_by: str | None) -> int:
    """Queue a verification for the worker (one at a time: an open one is returned instead)."""
    open_run = db.session.execute(select(RUNS.c.id).where(RUNS.c.status.in_(("pending", "running")))
                                  .order_by(RUNS.c.id.desc()).limit(1)).scalar_one_or_none()
    if open_run is not None:
        return open_run
    return db.session.execute(insert(RUNS).values(status="pending", requested_by=requested_by,
                                                  requested_at=clock.now(), seals=0, records=0)
                              .returning(RUNS.c.id)).scalar_one()


def claim_verification() -> ProofVerification | None:
    """The oldest queued run (or one a dead worker left running), now marked running."""
    now = clock.now()
    abandoned = (RUNS.c.status == "running") & (RUNS.c.started_at < now - ABANDONED_AFTER)
    waiting = or_(RUNS.c.status == "pending", abandoned)
    run_id = db.session.execute(select(RUNS.c.id).where(waiting).order_by(RUNS.c.id).limit(1)).scalar_one_or_none()
    if run_id is None:
        return None
    claimed = cast(CursorResult[Any], db.session.execute(update(RUNS).where(RUNS.c.id == run_id, waiting)
                                                         .values(status="running", started_at=now)))
    return db.session.get(ProofVerification, run_id) if claimed.rowcount else None


def run_verification(run: ProofVerification) -> verify.Outcome:
    outcome = verify.verify(run.since)
    run.status = "passed" if outcome.passed else "failed"
    run.finished_at = clock.now()
    run.seals, run.records = outcome.seals, outcome.records
    run.problem, run.subject, run.detail = outcome.problem, outcome.subject, outcome.describe("en") or None
    db.session.flush()
    return outcome


def record_cli_run(since: dt.date | None, started_at: dt.datetime, outcome: verify.Outcome) -> None:
    db.session.add(ProofVerification(
        status="passed" if outcome.passed else "failed", since=since, requested_by=None, requested_at=started_at,
        started_at=started_at, finished_at=clock.now(), seals=outcome.seals, records=outcome.records,
        problem=outcome.problem, subject=outcome.subject, detail=outcome.describe("en") or None))
    db.session.flush()


def latest_verifications() -> tuple[ProofVerification | None, ProofVerification | None]:
    """The last finished run, and the run queued or under way (if any)."""
    finished = db.session.execute(select(ProofVerification).where(ProofVerification.status.in_(("passed", "failed")))
                                  .order_by(ProofVerification.finished_at.desc(), ProofVerification.id.desc())
                                  .limit(1)).scalar_one_or_none()
    waiting = db.session.execute(select(ProofVerification).where(
        ProofVerification.status.in_(("pending", "running"))).order_by(ProofVerification.id.desc())
        .limit(1)).scalar_one_or_none()
    return finished, waiting
