"""The DSAR executors: what the workflow runs when the DPO executes a verified request
(registered as :data:`consent_service.hooks.DSAR_EXECUTORS`, one per request type).

Each returns ``{"note", "export_url", "purge_id"}``; notes carry ids and counts only.
"""
from __future__ import annotations

from typing import Any

from consent_service.errors import Conflict, Invalid
from consent_service.hooks import ExecutableRequest, ExecutionResult, Executor
from preferences import services as preference_services

from . import exports, purge_start, services


def _account_of(dsar_request: ExecutableRequest) -> str:
    account_id = dsar_request.account_id
    if not account_id:
        raise Conflict("The request names no account: there is no hosted data to act on.")
    if not services.valid_account_id(account_id):
        raise Invalid("The request's account id is not valid.", {"account_id": ["Not a valid account id."]})
    return account_id


def _result(note: str, export_url: str | None = None, purge_id: str | None = None) -> ExecutionResult:
    return {"note": note, "export_url": export_url, "purge_id": purge_id}


def execute_access(dsar_request: ExecutableRequest, body: dict[str, Any]) -> ExecutionResult:
    """Access and portability: the ZIP export and its signed link (valid 7 days)."""
    account_id = _account_of(dsar_request)
    export, url = exports.build(account_id, dsar_request.reference, dsar_request.locale)
    return _result(f"Export {export.export_id} built ({export.size} bytes); its link is valid "
                   f"{exports.EXPORT_DAYS} days.", export_url=url)


def execute_erasure(dsar_request: ExecutableRequest, body: dict[str, Any]) -> ExecutionResult:
    account_id = _account_of(dsar_request)
    purge = purge_start.start_purge(account_id, "dsar_erasure")
    return _result(f"Purge {purge.purge_id} {purge.status}.", purge_id=purge.purge_id)


def execute_rectification(dsar_request: ExecutableRequest, body: dict[str, Any]) -> ExecutionResult:
    account_id = _account_of(dsar_request)
    changes: dict[str, Any] = body.get("changes") or {}
    try:
        done = services.rectify(account_id, changes)
    except services.NotRectifiable as err:
        raise Invalid("Some fields cannot be rectified.", {"changes": err.errors}) from None
    rows = sum(done.values())
    if not rows:
        raise Conflict("No mapped row of this account holds those fields.")
    fields = ", ".join(sorted(changes))
    return _result(f"Rectified {fields} in {rows} row(s) of {', '.join(sorted(done))}.")


def execute_restriction(dsar_request: ExecutableRequest, body: dict[str, Any]) -> ExecutionResult:
    services.restrict(_account_of(dsar_request))
    return _result("Processing restricted: GET /v1/accounts/{id}/processing now answers restricted.")


def execute_objection(dsar_request: ExecutableRequest, body: dict[str, Any]) -> ExecutionResult:
    account_id = _account_of(dsar_request)
    categories = (body or {}).get("categories") or list(services.datamap().objection_categories)
    if not isinstance(categories, list) or not all(isinstance(c, str) and c.isidentifier() for c in categories):
        raise Invalid("Objections are a list of category keys.", {"categories": ["Give category keys."]})
    row = services.object_to(account_id, categories)
    themes_off = preference_services.apply_objection(account_id, categories,
                                                     preference_services.Actor.dsar(dsar_request.reference))
    return _result(f"Objection recorded to: {', '.join(row.objections)}."
                   + (f" Notification themes turned off: {', '.join(themes_off)}." if themes_off else ""))


EXECUTORS: dict[str, Executor] = {
    "access": execute_access,
    "portability": execute_access,
    "erasure": execute_erasure,
    "rectification": execute_rectification,
    "restriction": execute_restriction,
    "objection": execute_objection,
}
