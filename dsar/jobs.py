"""Worker jobs of the request workflow: verification reminders and the DPO's daily digest."""
from __future__ import annotations

import datetime as dt
import logging

from flask import current_app
from sqlalchemy.exc import IntegrityError

from consent_service import clock
from consent_service.extensions import db

from . import deadlines, notify
from .intake import send_reminders
from .models import OPEN_STATUSES, DigestRun, DsarRequest

log = logging.getLogger(__name__)

DIGEST_HORIZON_DAYS = 7


def requests_falling_due(today: dt.date) -> list[DsarRequest]:
    """Open requests due within 7 days of ``today`` (a Paris day) or already overdue, soonest first."""
    horizon = deadlines.end_of_day(today + dt.timedelta(days=DIGEST_HORIZON_DAYS))
    return list(db.session.execute(
        db.select(DsarRequest).where(DsarRequest.status.in_(OPEN_STATUSES), DsarRequest.due_at <= horizon)
        .order_by(DsarRequest.due_at, DsarRequest.id)).scalars())


def send_digest() -> int:
    """Worker job: once per Paris day (from ``DSAR_DIGEST_HOUR`` o'clock), queue the digest to
    ``DPO_EMAIL`` when any request falls due; returns 1 when one was queued."""
    now_paris = clock.now().astimezone(deadlines.PARIS)
    if now_paris.hour < current_app.config["DSAR_DIGEST_HOUR"]:
        return 0
    today = now_paris.date()
    if db.session.get(DigestRun, today) is not None:
        return 0
    rows = requests_falling_due(today)
    try:
        with db.session.begin_nested():
            db.session.add(DigestRun(day=today, queued_at=clock.now(), requests=len(rows)))
    except IntegrityError:
        return 0  # another worker took today's digest
    if rows:
        notify.digest(rows, today)
        log.info("dsar digest for %s queued: %s request(s)", today.isoformat(), len(rows))
    db.session.commit()
    return 1 if rows else 0


__all__ = ["send_digest", "send_reminders", "requests_falling_due"]
