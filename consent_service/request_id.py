"""``X-Request-Id``: one id per request, taken from the caller when sane, else generated.

A proxy or a portal backend may send its own ``X-Request-Id`` so that one id follows a
request through every log; a value that is too long or holds anything but letters, digits
and ``-_.:+/=@`` is replaced (it would otherwise reach log lines and answers verbatim).

The id is computed once per request and kept in the WSGI environ, so the Flask hooks, the
hot-path handlers (``cookies/hot.py``, which answer without Flask's hooks) and the log
formatter all see the same value: ``for_environ`` is the one function they call. Inside a
Flask request it is also ``flask.g.request_id``; ``current()`` reads it for log lines.

:class:`CurrentId` (a WSGI layer ``create_app`` puts around the hot handlers and Flask) makes
that id current for the whole call, so a line logged where no Flask request context exists (a
hot handler recording a consent, which opens an application context only) carries it too. It
is a context variable, set from ``for_environ`` and reset when the call returns, so a thread's
next request or a worker never sees a stale id.
"""
from __future__ import annotations

import re
import secrets
from collections.abc import Callable, Iterable, MutableMapping
from contextvars import ContextVar
from typing import Any

from flask import Flask, Response, g, has_request_context, request

HEADER = "X-Request-Id"
ENVIRON_KEY = "consent_service.request_id"
MAX_LENGTH = 128
_INCOMING = "HTTP_X_REQUEST_ID"
_SANE = re.compile(rf"[A-Za-z0-9\-_.:+/=@]{{1,{MAX_LENGTH}}}")
_CURRENT: ContextVar[str | None] = ContextVar("consent_service_request_id", default=None)


def is_sane(value: str | None) -> bool:
    """Whether a caller's id may be kept: 1 to 128 characters from a safe set."""
    return value is not None and _SANE.fullmatch(value) is not None


def generate() -> str:
    """A new id: 128 random bits in hexadecimal."""
    return secrets.token_hex(16)


def for_environ(environ: MutableMapping[str, Any]) -> str:
    """The request's id: the caller's when sane, else a new one; the same on every call."""
    found: str | None = environ.get(ENVIRON_KEY)
    if found is None:
        incoming = environ.get(_INCOMING)
        found = incoming if incoming is not None and is_sane(incoming) else generate()
        environ[ENVIRON_KEY] = found
    return found


def current() -> str | None:
    """The id of the request being served, or None outside a request (e.g. in the worker)."""
    if has_request_context():
        return for_environ(request.environ)
    return _CURRENT.get()


class CurrentId:
    """WSGI layer: the request's id is ``current()`` while the wrapped app answers the call."""

    def __init__(self, wsgi_app: Callable[..., Iterable[bytes]]):
        self.wsgi_app = wsgi_app

    def __call__(self, environ: MutableMapping[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        token = _CURRENT.set(for_environ(environ))
        try:
            return self.wsgi_app(environ, start_response)
        finally:
            _CURRENT.reset(token)


def _assign() -> None:
    g.request_id = for_environ(request.environ)


def _answer(response: Response) -> Response:
    response.headers[HEADER] = for_environ(request.environ)
    return response


def init_app(app: Flask) -> None:
    """Give every request an id (before any other hook, so a hook that fails early still
    has one) and return it on every answer, errors included."""
    app.before_request_funcs.setdefault(None, []).insert(0, _assign)
    app.after_request(_answer)


def install(app: Flask) -> None:
    """Make the id current around everything that answers (the hot handlers, ProxyFix, Flask):
    called by ``create_app`` once the features have put their WSGI layers in place."""
    app.wsgi_app = CurrentId(app.wsgi_app)  # type: ignore[method-assign]
