"""What the DSAR workflow calls when the DPO executes a request (``app.extensions`` hooks).

Each executor returns ``{"note", "export_url", "purge_id"}``; notes carry ids and counts only.
"""
from __future__ import annotations

from . import engine, exports, services


class ExecutionError(Exception):
    """Stands in for ``dsar.services.ExecutionError`` when the DSAR package is not installed."""

    def __init__(self, code: int, message: str, errors: dict | None = None):
        super().__init__(message)
        self.code, self.message, self.errors = code, message, errors


def _error(code: int, message: str, errors: dict | None = None) -> Exception:
    try:
        from dsar.services import ExecutionError as DsarExecutionError
    except ImportError:
        return ExecutionError(code, message, errors)
    return DsarExecutionError(code, message, errors)


def _account_of(dsar_request) -> str:
    account_id = getattr(dsar_request, "account_id", None)
    if not account_id:
        raise _error(409, "The request names no account: there is no hosted data to act on.")
    if not services.valid_account_id(account_id):
        raise _error(422, "The request's account id is not valid.", {"account_id": ["Not a valid account id."]})
    return account_id


def _result(note: str, export_url: str | None = None, purge_id: str | None = None) -> dict:
    return {"note": note, "export_url": export_url, "purge_id": purge_id}


def execute_access(dsar_request, body: dict) -> dict:
    """Access and portability: the ZIP export and its signed link (valid 7 days)."""
    account_id = _account_of(dsar_request)
    export, url = exports.build(account_id, getattr(dsar_request, "reference", None),
                                getattr(dsar_request, "locale", None))
    return _result(f"Export {export.export_id} built ({export.size} bytes); its link is valid "
                   f"{exports.EXPORT_DAYS} days.", export_url=url)


def execute_erasure(dsar_request, body: dict) -> dict:
    account_id = _account_of(dsar_request)
    purge = engine.start_purge(account_id, "dsar_erasure")
    return _result(f"Purge {purge.purge_id} {purge.status}.", purge_id=purge.purge_id)


def execute_rectification(dsar_request, body: dict) -> dict:
    account_id = _account_of(dsar_request)
    changes = (body or {}).get("changes")
    try:
        done = services.rectify(account_id, changes)
    except services.NotRectifiable as err:
        raise _error(422, "Some fields cannot be rectified.", {"changes": err.errors}) from None
    rows = sum(done.values())
    if not rows:
        raise _error(409, "No mapped row of this account holds those fields.")
    fields = ", ".join(sorted(changes))
    return _result(f"Rectified {fields} in {rows} row(s) of {', '.join(sorted(done))}.")


def execute_restriction(dsar_request, body: dict) -> dict:
    services.restrict(_account_of(dsar_request))
    return _result("Processing restricted: GET /v1/accounts/{id}/processing now answers restricted.")


def execute_objection(dsar_request, body: dict) -> dict:
    account_id = _account_of(dsar_request)
    categories = (body or {}).get("categories") or list(services.datamap().objection_categories)
    if not isinstance(categories, list) or not all(isinstance(c, str) and c.isidentifier() for c in categories):
        raise _error(422, "Objections are a list of category keys.", {"categories": ["Give category keys."]})
    row = services.object_to(account_id, categories)
    return _result(f"Objection recorded to: {', '.join(row.objections)}.")


EXECUTORS = {
    "access": execute_access,
    "portability": execute_access,
    "erasure": execute_erasure,
    "rectification": execute_rectification,
    "restriction": execute_restriction,
    "objection": execute_objection,
}
