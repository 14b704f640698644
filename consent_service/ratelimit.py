"""Rate limits read from configuration, where ``off`` disables a limit."""
from __future__ import annotations

from flask import current_app

from .extensions import limiter

_UNUSED_WHEN_OFF = "1000000 per second"  # never applied: exempt_when wins, but Flask-Limiter still parses it


def _is_off(setting: str) -> bool:
    return str(current_app.config.get(setting, "")).strip().lower() == "off"


def limit_from_config(setting: str, **kwargs):
    """A Flask-Limiter decorator whose limit is the config value ``setting`` (or ``off``)."""

    def value() -> str:
        return _UNUSED_WHEN_OFF if _is_off(setting) else current_app.config[setting]

    return limiter.limit(value, exempt_when=lambda: _is_off(setting), **kwargs)
