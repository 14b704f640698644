"""Security headers on every response."""
from __future__ import annotations

from flask import Flask, current_app, request

API_CSP = "default-src 'none'; frame-ancestors 'none'"
PAGE_CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")


_ALWAYS = (
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "same-origin"),
    ("X-Frame-Options", "DENY"),
    ("Cross-Origin-Opener-Policy", "same-origin"),
)
_HSTS = ("Strict-Transport-Security", "max-age=31536000; includeSubDomains")


def _add_headers(response):
    """Each header unless the response set its own; one pass over the headers (this runs on
    every response, the hot API paths included)."""
    headers = response.headers
    present = {key.lower(): value for key, value in headers.items()}
    missing = [(key, value) for key, value in _ALWAYS if key.lower() not in present]
    if "content-security-policy" not in present:
        mimetype = present.get("content-type", "").partition(";")[0].strip().lower()
        if request.path.startswith("/v1") or mimetype == "application/json":
            missing.append(("Content-Security-Policy", API_CSP))
        elif mimetype == "text/html":
            missing.append(("Content-Security-Policy", PAGE_CSP))
    if current_app.config.get("SECURE_COOKIES") and "strict-transport-security" not in present:
        missing.append(_HSTS)
    if missing:
        headers.extend(missing)
    return response


def init_app(app: Flask) -> None:
    app.after_request(_add_headers)
