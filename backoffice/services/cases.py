"""Requests (cases): the dashboard, the register, the DPO's actions and intake."""
from __future__ import annotations

import dataclasses
import datetime as dt

from marshmallow import ValidationError

from consent_service import clock, hooks
from consent_service.errors import ServiceError
from consent_service.extensions import db
from dsar import actions as dsar_actions
from dsar import deadlines, schemas, workflow
from dsar import intake as dsar_intake
from dsar import services as dsar_services
from dsar.models import OPEN_STATUSES, DsarRequest

from .. import paging
from . import Refused


@dataclasses.dataclass(frozen=True)
class Counts:
    """The dashboard's figures, each counted by the database over every request."""

    open: int
    overdue: int
    due_this_week: int  # open, not yet overdue, due by the end of this week (Sunday, Paris)
    week_ends_on: dt.date
    by_status: dict[str, int]
    by_type: dict[str, int]
    unclassified: int


def counts() -> Counts:
    """Open, overdue and due-this-week requests, and the counts by status and by type, in SQL."""
    now = clock.now()
    today = deadlines.paris_day(now)
    sunday = today + dt.timedelta(days=6 - today.weekday())
    is_open = DsarRequest.status.in_(OPEN_STATUSES)
    late = db.and_(is_open, DsarRequest.due_at < now)
    this_week = db.and_(is_open, DsarRequest.due_at >= now, DsarRequest.due_on <= sunday)
    row = db.session.execute(db.select(
        db.func.count().filter(is_open), db.func.count().filter(late), db.func.count().filter(this_week),
    ).select_from(DsarRequest)).one()
    by_status = dict(db.session.execute(db.select(DsarRequest.status, db.func.count())
                                        .group_by(DsarRequest.status)).tuples().all())
    by_type = dict(db.session.execute(db.select(DsarRequest.type, db.func.count())
                                      .group_by(DsarRequest.type)).tuples().all())
    unclassified = by_type.pop(None, 0)
    return Counts(row[0], row[1], row[2], sunday, by_status, by_type, unclassified)


def open_cases(limit: int, offset: int) -> list[DsarRequest]:
    """Open requests, soonest deadline first (then by reference: a total order for paging)."""
    return list(db.session.execute(
        db.select(DsarRequest).where(DsarRequest.status.in_(OPEN_STATUSES))
        .order_by(DsarRequest.due_at, DsarRequest.reference).limit(limit).offset(offset)).scalars())


def open_cases_page(number: int, size: int) -> paging.Page[DsarRequest]:
    """Page ``number`` of every open request, soonest deadline first; raises
    :class:`paging.NoSuchPage` past the last page."""
    total = db.session.execute(db.select(db.func.count()).select_from(DsarRequest)
                               .where(DsarRequest.status.in_(OPEN_STATUSES))).scalar_one()
    return paging.paginate(number, size, total, open_cases)


def register_page(number: int, size: int, **filters) -> paging.Page:
    """Page ``number`` of the register (``dsar.services.list_requests``, newest first) with the
    register's filters (status, type, overdue); raises :class:`paging.NoSuchPage` past the last page."""
    total = dsar_services.count_requests(**filters)
    return paging.paginate(number, size, total, lambda limit, offset: dsar_services.list_requests(
        **filters, limit=limit, offset=offset))


ACTIONS = tuple(dsar_actions.ACTIONS)


def offered_actions(dsar_request: DsarRequest) -> frozenset[str]:
    """The actions the workflow would accept on this request now, so a page offers no other:
    no « Prolonger » once extended or past the first deadline, no execution without a type or
    an executor for it, nothing on a closed request."""
    if dsar_request.status not in OPEN_STATUSES:
        return frozenset()
    allowed = workflow.TRANSITIONS[dsar_request.status]
    offered = {"classify", "withdraw"} if "withdrawn" in allowed else {"classify"}
    if "verified" in allowed:
        offered.add("verify")
    if not dsar_request.extended and clock.now() <= clock.utc(dsar_request.first_due_at):
        offered.add("extend")
    if dsar_request.type and "in_progress" in allowed and hooks.DSAR_EXECUTORS.get(dsar_request.type):
        offered.add("execute")
    if "completed" in allowed:
        offered.add("complete")
    if "rejected" in allowed:
        offered.add("reject")
    return frozenset(offered)


def act(action: str, reference: str, body: dict, actor: str) -> DsarRequest:
    """Run one DSAR workflow action as ``actor`` (the signed-in user's e-mail) through the
    actions table the API uses (its schemas, its workflow calls). Raises :class:`Refused`;
    the caller commits."""
    try:
        return dsar_actions.run(action, reference, body, actor)
    except ServiceError as err:
        # The page shows the current status itself; the rest is the reason, per field or not.
        errors = {name: value for name, value in err.errors.items() if name != "current_status"}
        raise Refused(err.message, errors, err.code) from None


def intake(body: dict, actor: str):
    """Open a request received by post, phone or e-mail, checked by the DSAR API's intake schema."""
    try:
        data = schemas.IntakeIn().load(body)
    except ValidationError as err:
        raise Refused(None, err.normalized_messages(), 422) from None
    note = data.pop("note", None)
    return dsar_intake.open_request(actor=actor, notify_dpo=False, note=note, **data).request

