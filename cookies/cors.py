"""CORS for the public consent endpoints: each site's ``allowed_origins`` only."""
from __future__ import annotations

from flask import Response, current_app, request

from . import policies, services

ALLOWED_METHODS = "GET, POST, OPTIONS"
ALLOWED_HEADERS = "Content-Type"
EXPOSED_HEADERS = "ETag"
# The current policy is a public document: an origin the site does not allow may read it, and is
# told so, so that banner.js can print how to allow it (docs/banner.md). No credentials.
REFUSED = (("Access-Control-Allow-Origin", "*"), ("Access-Control-Expose-Headers", "Consent-Origin"),
           ("Consent-Origin", "refused"))
POLICY_ENDPOINT = "sites.current_policy"


def origin_allowed_for(policy: policies.CurrentPolicy, origin: str, public_base_url: str) -> bool:
    """Whether ``origin`` may call the site's public API: one of its ``allowed_origins``, or
    the service itself (its own policy page)."""
    return origin == public_base_url or origin in policy.allowed_origins


def origin_allowed(site_key: str, origin: str) -> bool:
    try:
        policy = policies.current_policy(site_key)
    except services.NotFound:
        return origin == current_app.config["PUBLIC_BASE_URL"]
    return origin_allowed_for(policy, origin, current_app.config["PUBLIC_BASE_URL"])


def cors_headers(origin: str | None, allowed: bool, method: str, policy_read: bool = False) -> list[tuple[str, str]]:
    """The CORS headers of an answer to ``origin`` (nothing unless it is allowed, but see
    ``REFUSED``). The Flask hook and the hot-path handlers (``cookies/hot.py``) both build them here."""
    if origin and not allowed and policy_read:
        return list(REFUSED)
    if not origin or not allowed:
        return []
    headers = [("Access-Control-Allow-Origin", origin), ("Access-Control-Allow-Credentials", "true")]
    if method == "OPTIONS":
        headers += [("Access-Control-Allow-Methods", ALLOWED_METHODS),
                    ("Access-Control-Allow-Headers", ALLOWED_HEADERS), ("Access-Control-Max-Age", "600")]
    else:
        headers.append(("Access-Control-Expose-Headers", EXPOSED_HEADERS))
    return headers


def vary_with_origin(vary: str | None) -> str:
    """A ``Vary`` value that includes ``Origin`` (without parsing it into a set and back: every
    answer of the public API passes here)."""
    if not vary:
        return "Origin"
    if "origin" in {part.strip().lower() for part in vary.split(",")}:
        return vary
    return f"{vary}, Origin"


def add_cors_headers(response: Response) -> Response:
    """Applied to the consent blueprint's responses, errors included."""
    origin = request.headers.get("Origin")
    site_key = (request.view_args or {}).get("site")
    response.headers["Vary"] = vary_with_origin(response.headers.get("Vary"))
    allowed = bool(origin and site_key and origin_allowed(site_key, origin))
    policy_read = request.endpoint == POLICY_ENDPOINT and response.status_code in (200, 304)
    for name, value in cors_headers(origin, allowed, request.method, policy_read):
        response.headers[name] = value
    return response
