"""Rate limits read from configuration, where ``off`` disables a limit."""
from __future__ import annotations

import functools

from flask import current_app
from flask_limiter.util import get_qualified_name

from .extensions import limiter

_UNUSED_WHEN_OFF = "1000000 per second"  # never applied: exempt_when wins, but Flask-Limiter still parses it


def _is_off(setting: str) -> bool:
    return str(current_app.config.get(setting, "")).strip().lower() == "off"


def limit_from_config(setting: str, **kwargs):
    """A Flask-Limiter decorator whose limit is the config value ``setting`` (or ``off``)."""

    def value() -> str:
        return _UNUSED_WHEN_OFF if _is_off(setting) else current_app.config[setting]

    stock = limiter.limit(value, exempt_when=lambda: _is_off(setting), **kwargs)

    def decorator(view):
        limited = stock(view)
        name = get_qualified_name(view)

        @functools.wraps(limited)
        def wrapper(*args, **kwargs):
            # With ``off``, and no other limit on the view, the view is called directly:
            # Flask-Limiter would still resolve, parse and exempt the limit on every request.
            if _is_off(setting) and _sole_limit(name):
                return view(*args, **kwargs)
            return limited(*args, **kwargs)

        return wrapper

    return decorator


@functools.cache
def _sole_limit(name: str) -> bool:
    """Whether one limit (this one) is declared on the view ``name``: limits are declared at import."""
    return len(limiter.limit_manager.decorated_limits(name)) == 1
