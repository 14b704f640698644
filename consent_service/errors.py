"""One error shape for ``/v1`` (docs/api.md), HTML error pages elsewhere."""
from __future__ import annotations

import logging
import re
from http import HTTPStatus

from flask import Flask, jsonify, render_template, request
from sqlalchemy.exc import DataError, DBAPIError, OperationalError
from werkzeug.exceptions import BadRequest, HTTPException, InternalServerError, NotFound

from .extensions import db

log = logging.getLogger(__name__)


def wants_json() -> bool:
    """JSON for the API and for clients that do not ask for HTML."""
    if request.path.startswith("/v1") or request.path == "/banner.js":
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json" and not request.accept_mimetypes.accept_html


def _flatten(messages):
    """webargs nests errors by location; callers want them per field."""
    if isinstance(messages, dict) and len(messages) == 1:
        (location, inner), = messages.items()
        if location in {"json", "query", "form", "headers", "cookies", "path", "files"} and isinstance(inner, dict):
            return inner
    return messages


def error_body(code: int, message: str | None = None, errors=None) -> dict:
    body = {"code": code, "status": HTTPStatus(code).phrase}
    if message:
        body["message"] = message
    if errors:
        body["errors"] = errors
    return body


def json_error(code: int, message: str | None = None, errors=None, headers=None):
    response = jsonify(error_body(code, message, errors))
    response.status_code = code
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def _http_error(err: HTTPException):
    code = err.code or 500
    headers = dict(err.get_headers()) if code == 405 or code == 429 else {}
    headers.pop("Content-Type", None)
    if code == 429 and "Retry-After" not in headers:
        headers["Retry-After"] = str(_retry_after(err))
    if code == 401:
        headers["WWW-Authenticate"] = "Bearer"
    if wants_json():
        data = getattr(err, "data", None) or {}
        errors = _flatten(data.get("messages")) if isinstance(data, dict) else None
        message = data.get("message") if isinstance(data, dict) else None
        if message is None:
            message = err.description if code != 500 else None
        return json_error(code, message, errors, headers)
    html = render_template("error.html", code=code, status=HTTPStatus(code).phrase,
                           message=err.description if code < 500 else None)
    return html, code, headers


def _retry_after(err) -> int:
    limit = getattr(err, "limit", None)
    try:
        return int(limit.limit.get_expiry()) if limit is not None else 60
    except Exception:  # an unknown limit shape still deserves a hint
        return 60


def _database_unavailable(err: Exception):
    db.session.rollback()
    log.error("database unavailable: %s", type(err).__name__)
    if wants_json():
        return json_error(503, "The database is unavailable; try again shortly.", headers={"Retry-After": "5"})
    return render_template("error.html", code=503, status="Service Unavailable", message=None), 503


def _unexpected(err: Exception):
    if isinstance(err, HTTPException):
        return _http_error(err)
    if isinstance(err, (OperationalError,)) or (isinstance(err, DBAPIError) and err.connection_invalidated):
        return _database_unavailable(err)
    if isinstance(err, DataError):
        # A value the database refuses that validation let through: the client's input, not a crash.
        db.session.rollback()
        log.warning("database refused a value on %s", request.url_rule or "<no route>")
        return _http_error(BadRequest("A value in the request cannot be stored."))
    db.session.rollback()
    log.exception("unhandled error on %s %s", request.method, request.url_rule or "<no route>")
    return _http_error(InternalServerError())


def _refuse_control_characters_in_paths():
    """A path segment with NUL or control characters names no resource (and PostgreSQL
    refuses NUL in text), so it is answered before any view or query sees it."""
    for value in (request.view_args or {}).values():
        if isinstance(value, str) and _CONTROL.search(value):
            raise NotFound()


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def init_app(app: Flask) -> None:
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _unexpected)
    app.before_request(_refuse_control_characters_in_paths)


def fail(code: int, message: str | None = None, errors: dict | None = None):
    """Abort with the contract's error shape: ``message`` and per-field ``errors``."""
    from flask_smorest import abort as smorest_abort

    kwargs = {}
    if message:
        kwargs["message"] = message
    if errors:
        kwargs["messages"] = errors
    smorest_abort(code, **kwargs)
