"""CORS for the public consent endpoints: each site's ``allowed_origins`` only."""
from __future__ import annotations

from flask import Response, current_app, request

from . import services

ALLOWED_METHODS = "GET, POST, OPTIONS"
ALLOWED_HEADERS = "Content-Type"


def origin_allowed(site_key: str, origin: str) -> bool:
    if origin == current_app.config["PUBLIC_BASE_URL"]:
        return True
    try:
        return origin in services.current_policy(site_key).allowed_origins
    except services.NotFound:
        return False


def add_cors_headers(response: Response) -> Response:
    """Applied to the consent blueprint's responses, errors included."""
    origin = request.headers.get("Origin")
    site_key = (request.view_args or {}).get("site")
    _vary_on_origin(response)
    if not origin or not site_key or not origin_allowed(site_key, origin):
        return response
    response.headers["Access-Control-Allow-Origin"] = origin
    response.headers["Access-Control-Allow-Credentials"] = "true"
    if request.method == "OPTIONS":
        response.headers["Access-Control-Allow-Methods"] = ALLOWED_METHODS
        response.headers["Access-Control-Allow-Headers"] = ALLOWED_HEADERS
        response.headers["Access-Control-Max-Age"] = "600"
    else:
        response.headers["Access-Control-Expose-Headers"] = "ETag"
    return response


def _vary_on_origin(response: Response) -> None:
    """``Vary: Origin`` without parsing the header into a set and back (every answer of the
    public API passes here)."""
    vary = response.headers.get("Vary")
    if not vary:
        response.headers["Vary"] = "Origin"
    elif "origin" not in {part.strip().lower() for part in vary.split(",")}:
        response.headers["Vary"] = f"{vary}, Origin"
