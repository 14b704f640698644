"""The three hot paths, answered by explicit handlers in front of Flask's per-request machinery.

Every page view of a portal asks ``GET /v1/sites/{site}/consent-state`` and revalidates
``GET /v1/sites/{site}/policy`` (``If-None-Match`` → 304); every choice is a
``POST /v1/sites/{site}/consents``. This WSGI middleware (right in front of Flask, behind
ProxyFix when there is one) answers them itself, each answer built from the functions the
Flask views and hooks use:

- the body, status and cache headers: ``cookies/answers.py`` (shared with ``views.py``);
- CORS: ``cors.cors_headers``; security headers: ``security_headers.missing_headers``;
  the request id: ``request_id.for_environ``;
- rate limits: the route's ``RouteLimits`` (declared once in ``views.py``), checked through
  Flask-Limiter's public decorator inside a request context whenever one is active, with
  ``ratelimit.limit_headers`` from ``limiter.current_limit``. Request-wide limits
  (default, application or meta limits in the configuration) send everything to Flask.

So a header or a limit added in those places reaches both paths; tests/cookies/test_hot_paths.py
compares every hot answer with Flask's, header by header. Flask answers instead when the
handler cannot: a site whose current policy this process has not cached yet (Flask reads and
caches it), any request a handler would refuse (bad JSON, a validation error, a refused
origin, a 409: Flask renders the error, from the body bytes kept here), debug mode, and the
methods and paths not listed above. A failure once the limit was counted (a 429, the database
down) is rendered by Flask's own error handlers and ``after_request`` hooks in the request's
context, so it is counted once and answered exactly as Flask would.

The handlers do not run Flask's ``before_request``/``after_request`` hooks: a hook that must
see every request belongs in the functions above (or in WSGI middleware around the app).
"""
from __future__ import annotations

import io
import time
from collections.abc import Callable, Iterable
from typing import Any

from flask import Flask
from marshmallow import ValidationError
from werkzeug.http import parse_cookie
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.wrappers import Response

from consent_service import input_guard, request_id, security_headers
from consent_service.extensions import limiter
from consent_service.ratelimit import RouteLimits, limit_headers, request_wide_limits

from . import answers, cors, policies, services, views
from .services import CONSENT_COOKIE, RCI_COOKIE

PREFIX = "/v1/sites/"
StartResponse = Callable[..., Any]
Headers = list[tuple[str, str]]
STATUS = {200: "200 OK", 201: "201 CREATED", 304: "304 NOT MODIFIED"}


def install(app: Flask) -> None:
    """Put the hot handlers right in front of Flask (behind ProxyFix, when there is one)."""
    outer = app.wsgi_app
    if isinstance(outer, ProxyFix):
        outer.app = HotPaths(app, outer.app)
    else:
        app.wsgi_app = HotPaths(app, outer)  # type: ignore[method-assign]


class HotPaths:
    def __init__(self, app: Flask, flask_wsgi: Callable[..., Iterable[bytes]]):
        self.app = app
        self.flask = flask_wsgi
        self.handlers = {
            ("GET", "policy"): (self.policy, views.POLICY_LIMITS),
            ("HEAD", "policy"): (self.policy, views.POLICY_LIMITS),
            ("GET", "consent-state"): (self.consent_state, views.STATE_LIMITS),
            ("HEAD", "consent-state"): (self.consent_state, views.STATE_LIMITS),
            ("POST", "consents"): (self.record_consent, views.WRITE_LIMITS),
        }

    def __call__(self, environ: dict, start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if not path.startswith(PREFIX) or self.app.debug or request_wide_limits(self.app.config):
            return self.flask(environ, start_response)
        site, _, tail = path[len(PREFIX):].partition("/")
        found = self.handlers.get((environ.get("REQUEST_METHOD", ""), tail))
        policy = policies.cached_policy(site) if found is not None and site else None
        if found is None or policy is None:
            return self.flask(environ, start_response)
        handler, limits = found
        return handler(environ, start_response, policy, limits)

    # --- the three handlers ---------------------------------------------------------------

    def policy(self, environ: dict, start_response: StartResponse, policy: policies.CurrentPolicy,
               limits: RouteLimits) -> Iterable[bytes]:
        def answer() -> tuple[int, Headers, bytes]:
            headers = answers.policy_cache_headers(policy)
            if answers.not_modified(policy, environ.get("HTTP_IF_NONE_MATCH")):
                return 304, headers, b""
            return 200, [("Content-Type", answers.JSON), *headers], policy.body

        return self._answer(environ, start_response, policy, limits, answer)

    def consent_state(self, environ: dict, start_response: StartResponse, policy: policies.CurrentPolicy,
                      limits: RouteLimits) -> Iterable[bytes]:
        def answer() -> tuple[int, Headers, bytes]:
            cookies = _cookies(environ)
            state = services.consent_state(policy, cookies.get(CONSENT_COOKIE), cookies.get(RCI_COOKIE),
                                           views.gpc(environ.get("HTTP_SEC_GPC")), self.app)
            return 200, [("Content-Type", answers.JSON), ("Cache-Control", answers.STATE_CACHE_CONTROL)], \
                answers.state_body(self.app, state)

        return self._answer(environ, start_response, policy, limits, answer)

    def record_consent(self, environ: dict, start_response: StartResponse, policy: policies.CurrentPolicy,
                       limits: RouteLimits) -> Iterable[bytes]:
        body = _read_body(environ, self.app.config["MAX_CONTENT_LENGTH"])
        data = self._valid_decision(environ, policy, body)
        if data is None:  # Flask refuses it, with the error and status its views give
            if body is not None:
                environ["wsgi.input"] = io.BytesIO(body)
            return self.flask(environ, start_response)

        def answer() -> tuple[int, Headers, bytes]:
            with self.app.app_context():  # the 201 below means the proof is committed
                decision = views.record(policy, data, environ.get("REMOTE_ADDR"),
                                        environ.get("HTTP_USER_AGENT"), environ.get("HTTP_SEC_GPC"))
            headers = [("Content-Type", answers.JSON), *answers.consent_cookie_headers(self.app, decision, policy)]
            return 201, headers, answers.decision_body(self.app, decision)

        return self._answer(environ, start_response, policy, limits, answer)

    def _valid_decision(self, environ: dict, policy: policies.CurrentPolicy, body: bytes | None) -> dict | None:
        """The decision when Flask would record it, else None (Flask then answers the error)."""
        if body is None or not _is_json(environ.get("CONTENT_TYPE", "")):
            return None
        origin = environ.get("HTTP_ORIGIN")
        if origin and not cors.origin_allowed_for(policy, origin, self.app.config["PUBLIC_BASE_URL"]):
            return None
        try:
            document = input_guard.acceptable(body)  # hostile JSON: Flask's guard answers it
            if document is None:
                return None
            data = views.CONSENT_IN.load(document)
            if data["locale"] not in policy.texts_hashes:
                return None
            services.decide_categories(policy, data["action"], data.get("categories"),
                                       views.gpc(environ.get("HTTP_SEC_GPC")))
        except (ValueError, ValidationError, services.Conflict, TypeError):
            return None  # ValueError covers malformed JSON and unknown categories
        return data

    # --- what every hot answer shares -----------------------------------------------------

    def _answer(self, environ: dict, start_response: StartResponse, policy: policies.CurrentPolicy,
                limits: RouteLimits, answer: Callable[[], tuple[int, Headers, bytes]]) -> Iterable[bytes]:
        if not limits.active(self.app.config):
            try:
                status, headers, body = answer()
            except Exception as err:  # the database down...: Flask's handlers answer
                with self.app.request_context(environ):
                    return self._flask_error(err)(environ, start_response)
            return self._send(environ, start_response, policy, status, headers, body, [])
        with self.app.request_context(environ):
            try:
                limits.check()
                status, headers, body = answer()
            except Exception as err:  # a 429 too: answered with the limit's headers, as Flask does
                return self._flask_error(err)(environ, start_response)
            counted = limit_headers(limiter.current_limit, time.time())
        return self._send(environ, start_response, policy, status, headers, body, counted)

    def _send(self, environ: dict, start_response: StartResponse, policy: policies.CurrentPolicy, status: int,
              headers: Headers, body: bytes, counted: Headers) -> Iterable[bytes]:
        if status != 304:
            headers.append(("Content-Length", str(len(body))))
        headers.append(("Vary", cors.vary_with_origin(None)))
        origin = environ.get("HTTP_ORIGIN")
        allowed = bool(origin and cors.origin_allowed_for(policy, origin, self.app.config["PUBLIC_BASE_URL"]))
        headers += cors.cors_headers(origin, allowed, environ["REQUEST_METHOD"],
                                     environ.get("PATH_INFO", "").endswith("/policy"))
        headers += counted
        headers += security_headers.missing_headers(
            {name.lower(): value for name, value in headers}, environ.get("PATH_INFO", ""),
            bool(self.app.config.get("SECURE_COOKIES")))
        headers.append((request_id.HEADER, request_id.for_environ(environ)))
        start_response(STATUS[status], headers)
        return [] if environ["REQUEST_METHOD"] == "HEAD" or not body else [body]

    def _flask_error(self, err: Exception) -> Response:
        """The answer Flask gives when a view raises ``err`` (inside the request's context)."""
        try:
            rv = self.app.handle_user_exception(err)
        except Exception as unhandled:  # what Flask turns into a 500
            return self.app.handle_exception(unhandled)
        return self.app.finalize_request(rv)


def _cookies(environ: dict) -> dict[str, str]:
    return parse_cookie(environ.get("HTTP_COOKIE", ""))


def _is_json(content_type: str) -> bool:
    mimetype = content_type.partition(";")[0].strip().lower()
    return mimetype == "application/json" or (mimetype.startswith("application/") and mimetype.endswith("+json"))


def _read_body(environ: dict, limit: int) -> bytes | None:
    """The request body when its length is declared and within ``limit``, else None."""
    try:
        length = int(environ.get("CONTENT_LENGTH") or "")
    except ValueError:
        return None
    if length < 0 or length > limit:
        return None
    return environ["wsgi.input"].read(length) if length else b""
