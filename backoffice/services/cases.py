"""Requests (cases): the dashboard, the register, the DPO's actions and intake."""
from __future__ import annotations

from marshmallow import ValidationError
from sqlalchemy.orm.exc import StaleDataError

from consent_service import clock
from consent_service.extensions import db
from dsar import intake as dsar_intake
from dsar import schemas, workflow
from dsar import services as dsar_services
from dsar.models import OPEN_STATUSES, DsarRequest

from .. import paging
from . import Refused


def dashboard() -> dict:
    """Open requests by deadline (soonest first) and the counts by status and by type."""
    open_requests = []
    for status in OPEN_STATUSES:
        open_requests += dsar_services.list_requests(status=status)
    open_requests.sort(key=lambda r: (clock.utc(r.due_at), r.reference))
    by_status = dict(db.session.execute(db.select(DsarRequest.status, db.func.count())
                                        .group_by(DsarRequest.status)).all())
    by_type = dict(db.session.execute(db.select(DsarRequest.type, db.func.count())
                                      .group_by(DsarRequest.type)).all())
    unclassified = by_type.pop(None, 0)
    return {"open": [(r, dsar_services.is_overdue(r)) for r in open_requests],
            "overdue": sum(1 for r in open_requests if dsar_services.is_overdue(r)),
            "by_status": by_status, "by_type": by_type,
            "unclassified": unclassified}


def register_page(number: int, size: int, *, status: str | None = None, type: str | None = None) -> paging.Page:
    """Page ``number`` of the register (``dsar.services.list_requests``, newest first) with the
    register's filters; raises :class:`paging.NoSuchPage` past the last page."""
    total = dsar_services.count_requests(status=status, type=type)
    return paging.paginate(number, size, total, lambda limit, offset: dsar_services.list_requests(
        status=status, type=type, limit=limit, offset=offset))


def _workflow_call(action: str):
    return {
        "classify": lambda ref, d, actor: workflow.classify(ref, d["type"], actor),
        "verify": lambda ref, d, actor: workflow.verify(ref, d["method"], d["note"], actor),
        "extend": lambda ref, d, actor: workflow.extend(ref, d["reason"], actor),
        "execute": lambda ref, d, actor: workflow.execute(ref, d, actor),
        "reject": lambda ref, d, actor: workflow.reject(ref, d["ground"], d["reason"], actor),
        "complete": lambda ref, d, actor: workflow.complete(ref, d["summary"], actor),
        "withdraw": lambda ref, d, actor: workflow.withdraw(ref, d.get("note"), actor),
    }[action]


def _schema(action: str):
    return {"classify": schemas.ClassifyIn, "verify": schemas.VerifyIn, "extend": schemas.ExtendIn,
            "execute": schemas.ExecuteIn, "reject": schemas.RejectIn, "complete": schemas.CompleteIn,
            "withdraw": schemas.WithdrawIn}[action]


ACTIONS = ("classify", "verify", "extend", "execute", "reject", "complete", "withdraw")


def act(action: str, reference: str, body: dict, actor: str):
    """Run one DSAR workflow action as ``actor`` (the signed-in user's e-mail); the body is
    checked by the DSAR API's own schema. Raises :class:`Refused`; the caller commits."""
    try:
        data = _schema(action)().load(body)
    except ValidationError as err:
        raise Refused(None, err.messages, 422) from None
    try:
        return _workflow_call(action)(reference, data, actor)
    except dsar_services.NotFound as err:
        raise Refused(str(err), code=404) from None
    except dsar_services.Invalid as err:
        raise Refused(None, err.errors, 422) from None
    except dsar_services.Conflict as err:
        raise Refused(str(err)) from None
    except dsar_services.ExecutionError as err:
        raise Refused(err.message, err.errors, err.code) from None
    except StaleDataError:
        raise Refused("The request changed at the same time; reload it and try again.") from None


def intake(body: dict, actor: str):
    """Open a request received by post, phone or e-mail, checked by the DSAR API's intake schema."""
    try:
        data = schemas.IntakeIn().load(body)
    except ValidationError as err:
        raise Refused(None, err.messages, 422) from None
    note = data.pop("note", None)
    return dsar_intake.open_request(actor=actor, notify_dpo=False, note=note, **data).request

