"""Rate limits read from configuration, where ``off`` disables a limit."""
from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any, ParamSpec, TypeVar

from flask import Flask, Response, current_app
from flask_limiter import RequestLimit, RouteLimit

from .extensions import limiter

P = ParamSpec("P")
R = TypeVar("R")
_UNUSED_WHEN_OFF = "1000000 per second"  # never applied: exempt_when wins, but Flask-Limiter still parses it


def _is_off(setting: str) -> bool:
    return str(current_app.config.get(setting, "")).strip().lower() == "off"


def limit_from_config(setting: str, **kwargs: Any) -> RouteLimit:
    """A Flask-Limiter decorator whose limit is the config value ``setting`` (or ``off``)."""

    def value() -> str:
        return _UNUSED_WHEN_OFF if _is_off(setting) else current_app.config[setting]

    return limiter.limit(value, exempt_when=lambda: _is_off(setting), **kwargs)


def shared_limit_from_config(setting: str, scope: str, **kwargs: Any) -> RouteLimit:
    """:func:`limit_from_config` with one set of counters (``scope``) for every route it decorates:
    the rights API and the rights form count a client's (or an address's) requests together."""

    def value() -> str:
        return _UNUSED_WHEN_OFF if _is_off(setting) else current_app.config[setting]

    return limiter.shared_limit(value, scope, exempt_when=lambda: _is_off(setting), **kwargs)


class RouteLimits:
    """The configured limits of one route, declared once for its two paths: ``decorate`` puts
    them on the Flask view, ``check`` applies them to a hot handler's request (cookies/hot.py),
    both through Flask-Limiter's public ``limit`` decorator, so both paths share counters (the
    scope is the route's endpoint) and headers (``limit_headers``)."""

    def __init__(self, endpoint: str, *settings: str) -> None:
        self.endpoint = endpoint
        self.settings = settings
        self._decorators = [limit_from_config(setting) for setting in settings]

        def gate() -> None:
            return None

        # Flask-Limiter files decorated limits under the callable's qualified name.
        gate.__qualname__ = gate.__name__ = f"hot_gate_{endpoint.replace('.', '_')}"
        self._gate = self.decorate(gate)

    def decorate(self, view: Callable[P, R]) -> Callable[P, R]:
        for decorator in reversed(self._decorators):
            view = decorator(view)
        return view

    def active(self, config: Mapping[str, Any]) -> bool:
        """Whether any of the route's limits applies under ``config``."""
        return any(str(config.get(setting, "")).strip().lower() != "off" for setting in self.settings)

    def check(self) -> None:
        """Count this request against the route's limits (inside its request context); raises
        ``RateLimitExceeded`` beyond one."""
        self._gate()


def request_wide_limits(config: Mapping[str, Any]) -> bool:
    """Whether the configuration declares default, application or meta limits (this service
    declares none: its limits are per route)."""
    return any(config.get(name) for name in ("RATELIMIT_DEFAULT", "RATELIMIT_APPLICATION", "RATELIMIT_META"))


def limit_headers(limit: RequestLimit | None, now: float, retry_after: str | None = None) -> list[tuple[str, str]]:
    """``X-RateLimit-Limit``/``-Remaining``/``-Reset`` and ``Retry-After`` for the request's
    most relevant limit (``limiter.current_limit``), for the Flask hook and the hot handlers
    alike. ``retry_after`` is the answer's own (a 429 says when to come back): the later of
    the two is kept."""
    if limit is None:
        return []
    reset_at = limit.reset_at
    if retry_after is not None and retry_after.isdigit():
        reset_at = max(int(now + int(retry_after)), reset_at)
    return [("X-RateLimit-Limit", str(limit.limit.amount)), ("X-RateLimit-Remaining", str(limit.remaining)),
            ("X-RateLimit-Reset", str(limit.reset_at)), ("Retry-After", str(int(reset_at - now)))]


def _add_limit_headers(response: Response) -> Response:
    headers = limit_headers(limiter.current_limit, time.time(), response.headers.get("Retry-After"))
    for name, value in headers:
        response.headers[name] = value
    return response


def init_app(app: Flask) -> None:
    """The rate-limit headers of every answer a limit was evaluated for."""
    app.after_request(_add_limit_headers)
