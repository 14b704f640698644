"""Security headers on every response."""
from __future__ import annotations

from collections.abc import Mapping

from flask import Flask, Response, current_app, request

API_CSP = "default-src 'none'; frame-ancestors 'none'"
PAGE_CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")


_ALWAYS = (
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "same-origin"),
    ("X-Frame-Options", "DENY"),
    ("Cross-Origin-Opener-Policy", "same-origin"),
)
_ALWAYS_NAMED = tuple((key, key.lower(), value) for key, value in _ALWAYS)
_HSTS = ("Strict-Transport-Security", "max-age=31536000; includeSubDomains")


def missing_headers(present: Mapping[str, str], path: str, secure: bool) -> list[tuple[str, str]]:
    """The security headers an answer lacks, each unless the answer set its own. ``present``
    maps the answer's lower-cased header names to their values. The Flask hook and the hot-path
    handlers (``cookies/hot.py``) both call this: a header added here reaches every answer."""
    missing = [(key, value) for key, lower, value in _ALWAYS_NAMED if lower not in present]
    if "content-security-policy" not in present:
        mimetype = present.get("content-type", "").partition(";")[0].strip().lower()
        if path.startswith("/v1") or mimetype == "application/json":
            missing.append(("Content-Security-Policy", API_CSP))
        elif mimetype == "text/html":
            missing.append(("Content-Security-Policy", PAGE_CSP))
    if secure and "strict-transport-security" not in present:
        missing.append(_HSTS)
    return missing


def _add_headers(response: Response) -> Response:
    headers = response.headers
    present = {key.lower(): value for key, value in headers.items()}
    missing = missing_headers(present, request.path, bool(current_app.config.get("SECURE_COOKIES")))
    if missing:
        headers.extend(missing)
    return response


def init_app(app: Flask) -> None:
    app.after_request(_add_headers)
