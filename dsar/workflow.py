"""The DPO's actions on a request: the state machine, each step an event, each notice queued.

Every function checks the current status against :data:`TRANSITIONS` and raises
:class:`~consent_service.errors.Conflict` (409, with ``errors.current_status``) otherwise;
body errors (:class:`~consent_service.errors.Invalid`, 422) are raised before any status check.
"""
from __future__ import annotations

from consent_service import clock, hooks
from consent_service.errors import Conflict, Invalid

from . import deadlines, notify, retention
from .intake import identity_blocker, mark_verified
from .models import OPEN_STATUSES, DsarRequest
from .services import SYSTEM, add_event, get_request

# from-status -> the statuses it may move to; terminal statuses have none.
TRANSITIONS: dict[str, frozenset[str]] = {
    "awaiting_verification": frozenset({"verified", "rejected", "withdrawn"}),
    "verified": frozenset({"in_progress", "completed", "rejected", "withdrawn"}),
    "in_progress": frozenset({"in_progress", "completed", "rejected", "withdrawn"}),
    "completed": frozenset(),
    "rejected": frozenset(),
    "withdrawn": frozenset(),
}


def _conflict(message: str, dsar_request: DsarRequest) -> Conflict:
    return Conflict(message, {"current_status": [dsar_request.status]})


def _require(dsar_request: DsarRequest, to_status: str, action: str) -> None:
    if to_status not in TRANSITIONS[dsar_request.status]:
        raise _conflict(f"This request is {dsar_request.status}: it cannot be {action}.", dsar_request)


def _require_open(dsar_request: DsarRequest, action: str) -> None:
    if dsar_request.status not in OPEN_STATUSES:
        raise _conflict(f"This request is {dsar_request.status}: it cannot be {action}.", dsar_request)


def _close(dsar_request: DsarRequest) -> None:
    dsar_request.closed_at = clock.now()
    dsar_request.birth_date = None


def _closed(dsar_request: DsarRequest) -> DsarRequest:
    """The last step of closing, after the closing e-mail is queued (it needs the address):
    a request whose account was purged while it was open keeps nothing identifying."""
    retention.minimise_if_purged(dsar_request)
    return dsar_request


def _withheld_unless(queued, dsar_request: DsarRequest) -> None:
    """An answer the subject's unconfirmed address did not get is on the timeline, for the DPO."""
    if queued is None and dsar_request.email and not notify.address_deliverable(dsar_request):
        add_event(dsar_request, "answer_withheld", SYSTEM,
                  note="Not e-mailed: nobody confirmed this address. Answer the subject by another channel.")


def classify(reference: str, type_: str, actor: str) -> DsarRequest:
    """Set the request's type (an inbound e-mail may arrive unclassified)."""
    dsar_request = get_request(reference, for_update=True)
    _require_open(dsar_request, "reclassified")
    if dsar_request.type != type_:
        previous = dsar_request.type or "unclassified"
        dsar_request.type = type_
        add_event(dsar_request, "classified", actor, note=f"Type set to {type_} (was {previous}).")
    return dsar_request


def verify(reference: str, method: str, note: str | None, actor: str) -> DsarRequest:
    """The DPO confirms the subject's identity by another means (document, in person…)."""
    dsar_request = get_request(reference, for_update=True)
    _require(dsar_request, "verified", "verified")
    mark_verified(dsar_request, method, actor, note)
    return dsar_request


def extend(reference: str, reason: str, actor: str) -> DsarRequest:
    """Move the deadline to three months after receipt: once, before the first deadline passes."""
    dsar_request = get_request(reference, for_update=True)
    _require_open(dsar_request, "extended")
    if dsar_request.extended:
        raise _conflict("The deadline has already been extended once.", dsar_request)
    if clock.now() > clock.utc(dsar_request.first_due_at):
        raise _conflict("The first deadline has passed: it can no longer be extended.", dsar_request)
    dsar_request.due_on, dsar_request.due_at = deadlines.deadline(dsar_request.received_at,
                                                                  deadlines.EXTENDED_MONTHS)
    dsar_request.extended = True
    dsar_request.extension_reason = reason
    add_event(dsar_request, "extended", actor, note=f"Deadline moved to {dsar_request.due_on.isoformat()}: {reason}")
    _withheld_unless(notify.extension(dsar_request), dsar_request)
    return dsar_request


def _check_changes(dsar_request: DsarRequest, changes: dict | None) -> None:
    if dsar_request.type == "rectification":
        if not changes:
            raise Invalid(errors={"changes": ["A rectification lists the changes to make."]})
    elif changes is not None:
        raise Invalid(errors={"changes": ["Only a rectification takes changes."]})


def execute(reference: str, body: dict, actor: str) -> DsarRequest:
    """Run the executor registered for the request's type (:data:`hooks.DSAR_EXECUTORS`); it
    returns ``{"note", "export_url", "purge_id"}`` or raises a service error."""
    dsar_request = get_request(reference, for_update=True)
    if dsar_request.type is None:
        raise _conflict("Set the request's type first.", dsar_request)
    _check_changes(dsar_request, body.get("changes"))
    blocker = identity_blocker(dsar_request)
    if blocker:
        raise _conflict(blocker, dsar_request)
    _require(dsar_request, "in_progress", "executed")
    executor = hooks.DSAR_EXECUTORS.get(dsar_request.type)
    if executor is None:
        raise _conflict(f"No automatic execution is available for {dsar_request.type} requests: "
                        "act by hand, then complete the request.", dsar_request)
    result = executor(dsar_request, dict(body)) or {}
    if not isinstance(result, dict):
        raise TypeError(f"the {dsar_request.type} executor returned {type(result).__name__}, not a dict")
    if result.get("export_url"):
        dsar_request.export_url = str(result["export_url"])
    if result.get("purge_id"):
        dsar_request.purge_id = str(result["purge_id"])
    add_event(dsar_request, "executed", actor, to_status="in_progress",
              note=str(result.get("note") or f"{dsar_request.type} executed."))
    return dsar_request


def reject(reference: str, ground: str, reason: str, actor: str) -> DsarRequest:
    """Refuse the request; the subject is told the reason and their right to complain."""
    dsar_request = get_request(reference, for_update=True)
    _require(dsar_request, "rejected", "rejected")
    dsar_request.rejection_ground = ground
    dsar_request.outcome = reason
    _close(dsar_request)
    add_event(dsar_request, "rejected", actor, to_status="rejected", note=f"{ground}: {reason}")
    _withheld_unless(notify.rejection(dsar_request, ground, reason), dsar_request)
    return _closed(dsar_request)


def complete(reference: str, summary: str, actor: str) -> DsarRequest:
    """Close a handled request; the subject gets the summary (and the export link, if any)."""
    dsar_request = get_request(reference, for_update=True)
    _require(dsar_request, "completed", "completed")
    dsar_request.outcome = summary
    _close(dsar_request)
    add_event(dsar_request, "completed", actor, to_status="completed", note=summary)
    _withheld_unless(notify.completion(dsar_request, summary), dsar_request)
    return _closed(dsar_request)


def withdraw(reference: str, note: str | None, actor: str) -> DsarRequest:
    """Record that the subject withdrew the request (no e-mail: they asked for it)."""
    dsar_request = get_request(reference, for_update=True)
    _require(dsar_request, "withdrawn", "withdrawn")
    _close(dsar_request)
    add_event(dsar_request, "withdrawn", actor, to_status="withdrawn", note=note or "Withdrawn by the subject.")
    return _closed(dsar_request)
