"""One error vocabulary: the exceptions services raise, and the one handler that renders
them (and every HTTP error) as the API's JSON shape under ``/v1`` (docs/api.md) or as the
HTML error page elsewhere.

Services raise :class:`NotFound`, :class:`Conflict`, :class:`Invalid`... with a message and
per-field errors; views let them through; :func:`commit` turns a stale write into
:class:`Conflict`. The session is rolled back before any error is rendered."""
from __future__ import annotations

import logging
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from http import HTTPStatus
from typing import Any, ClassVar

from flask import Flask, Response, jsonify, render_template, request
from sqlalchemy.exc import DataError, DBAPIError, OperationalError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug import exceptions as http

from .extensions import db

log = logging.getLogger(__name__)

FieldErrors = Mapping[str, Any]  # field -> list of messages (or nested, as marshmallow gives)
STALE_WRITE = "The request changed at the same time; reload it and try again."


class ServiceError(Exception):
    """A request the service refuses: the HTTP ``code``, a ``message`` for the client (no
    personal data) and per-field ``errors``. Raise a subclass; the handler renders it."""

    code: ClassVar[int] = 400

    def __init__(self, message: str | None = None, errors: FieldErrors | None = None) -> None:
        super().__init__(message or HTTPStatus(self.code).phrase)
        self.message = message
        self.errors: dict[str, Any] = dict(errors or {})


class BadRequest(ServiceError):
    code = 400


class Unauthorized(ServiceError):
    code = 401


class Forbidden(ServiceError):
    code = 403


class NotFound(ServiceError):
    code = 404


class Conflict(ServiceError):
    code = 409


class Gone(ServiceError):
    code = 410


class PayloadTooLarge(ServiceError):
    code = 413


class UnsupportedMediaType(ServiceError):
    code = 415


class Invalid(ServiceError):
    """Well-formed but wrong for this request (422): say which fields, and why."""

    code = 422


class Unavailable(ServiceError):
    code = 503


_BY_CODE: dict[int, type[ServiceError]] = {cls.code: cls for cls in (
    BadRequest, Unauthorized, Forbidden, NotFound, Conflict, Gone, PayloadTooLarge,
    UnsupportedMediaType, Invalid, Unavailable)}


def error_for(code: int, message: str | None = None, errors: FieldErrors | None = None) -> ServiceError:
    """The family's exception for an HTTP ``code`` (an executor or a hook may choose it)."""
    cls = _BY_CODE.get(code)
    if cls is None:
        raise ValueError(f"no service error for HTTP {code}")
    return cls(message, errors)


@contextmanager
def stale_write_is_conflict(message: str = STALE_WRITE) -> Iterator[None]:
    """A stale write inside the block (a versioned row another request changed first) is
    rolled back and becomes :class:`Conflict`: the client reloads and tries again."""
    try:
        yield
    except StaleDataError:
        db.session.rollback()
        raise Conflict(message) from None


def commit(stale_message: str = STALE_WRITE) -> None:
    """Commit the session; a stale write becomes :class:`Conflict` (409)."""
    with stale_write_is_conflict(stale_message):
        db.session.commit()


def wants_json() -> bool:
    """JSON for the API and for clients that do not ask for HTML."""
    if request.path.startswith("/v1") or request.path == "/banner.js":
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json" and not request.accept_mimetypes.accept_html


def _flatten(messages: Any) -> Any:
    """webargs nests errors by location; callers want them per field."""
    if isinstance(messages, dict) and len(messages) == 1:
        (location, inner), = messages.items()
        if location in {"json", "query", "form", "headers", "cookies", "path", "files"} and isinstance(inner, dict):
            return inner
    return messages


def error_body(code: int, message: str | None = None, errors: Any = None) -> dict[str, Any]:
    body: dict[str, Any] = {"code": code, "status": HTTPStatus(code).phrase}
    if message:
        body["message"] = message
    if errors:
        body["errors"] = errors
    return body


def json_error(code: int, message: str | None = None, errors: Any = None,
               headers: Mapping[str, str] | None = None) -> Response:
    response = jsonify(error_body(code, message, errors))
    response.status_code = code
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def _http_error(err: http.HTTPException) -> Response | tuple[str, int, dict[str, str]]:
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


def _service_error(err: ServiceError) -> Response | tuple[str, int, dict[str, str]]:
    db.session.rollback()
    default = http.default_exceptions[err.code].description
    headers = {"WWW-Authenticate": "Bearer"} if err.code == 401 else {}
    if wants_json():
        return json_error(err.code, err.message or default, _flatten(err.errors) or None, headers)
    html = render_template("error.html", code=err.code, status=HTTPStatus(err.code).phrase,
                           message=err.message or default)
    return html, err.code, headers


def _retry_after(err: http.HTTPException) -> int:
    limit = getattr(err, "limit", None)
    try:
        return int(limit.limit.get_expiry()) if limit is not None else 60
    except Exception:  # an unknown limit shape still deserves a hint
        return 60


def _database_unavailable(err: Exception) -> Response | tuple[str, int]:
    db.session.rollback()
    log.error("database unavailable: %s", type(err).__name__)
    if wants_json():
        return json_error(503, "The database is unavailable; try again shortly.", headers={"Retry-After": "5"})
    return render_template("error.html", code=503, status="Service Unavailable", message=None), 503


def _unexpected(err: Exception) -> Response | tuple[str, int] | tuple[str, int, dict[str, str]]:
    if isinstance(err, http.HTTPException):
        return _http_error(err)
    if isinstance(err, (OperationalError,)) or (isinstance(err, DBAPIError) and err.connection_invalidated):
        return _database_unavailable(err)
    if isinstance(err, DataError):
        # A value the database refuses that validation let through: the client's input, not a crash.
        db.session.rollback()
        log.warning("database refused a value on %s", request.url_rule or "<no route>")
        return _http_error(http.BadRequest("A value in the request cannot be stored."))
    db.session.rollback()
    log.exception("unhandled error on %s %s", request.method, request.url_rule or "<no route>")
    return _http_error(http.InternalServerError())


def _refuse_control_characters_in_paths() -> None:
    """A path segment with NUL or control characters names no resource (and PostgreSQL
    refuses NUL in text), so it is answered before any view or query sees it."""
    for value in (request.view_args or {}).values():
        if isinstance(value, str) and _CONTROL.search(value):
            raise http.NotFound()


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def init_app(app: Flask) -> None:
    app.register_error_handler(ServiceError, _service_error)
    app.register_error_handler(http.HTTPException, _http_error)
    app.register_error_handler(Exception, _unexpected)
    app.before_request(_refuse_control_characters_in_paths)
