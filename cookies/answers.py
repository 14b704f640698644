"""What the three hot answers are made of, shared by the Flask views and the hot handlers.

The current policy (``ETag``, ``no-cache``, 304 on a matching ``If-None-Match``), the
consent-state (``no-store``) and a recorded decision (its JSON and its two cookies) are built
here and only here, so the Flask answer and the hot one (``cookies/hot.py``) cannot drift.
"""
from __future__ import annotations

from typing import Any

from flask import Flask
from werkzeug.http import dump_cookie, parse_etags

from consent_service import clock

from . import policies, services
from .services import CONSENT_COOKIE, RCI_COOKIE

JSON = "application/json"
STATE_CACHE_CONTROL = "no-store"
POLICY_CACHE_CONTROL = "no-cache"  # revalidate every time: a new version shows at once


def policy_cache_headers(policy: policies.CurrentPolicy) -> list[tuple[str, str]]:
    return [("ETag", policy.etag), ("Cache-Control", POLICY_CACHE_CONTROL)]


def not_modified(policy: policies.CurrentPolicy, if_none_match: str | None) -> bool:
    """Whether ``If-None-Match`` names the current version (or is ``*``)."""
    if not if_none_match:
        return False
    if if_none_match == policy.etag:  # what banner.js sends: no parsing needed
        return True
    etags = parse_etags(if_none_match)
    return etags.star_tag or etags.contains(policy.etag.strip('"'))


def json_body(app: Flask, data: Any) -> bytes:
    """The JSON bytes ``jsonify`` would send for ``data`` (compact, one trailing newline)."""
    return (app.json.dumps(data, separators=(",", ":")) + "\n").encode()


def state_body(app: Flask, state: services.ConsentState) -> bytes:
    return json_body(app, state.__dict__)


def decision_body(app: Flask, decision: services.Decision) -> bytes:
    record = decision.record
    return json_body(app, {
        "consent_id": record.consent_id, "visitor_id": record.visitor_id, "site": record.site,
        "policy_version": record.policy_version, "action": record.action, "categories": record.categories,
        "recorded_at": clock.rfc3339(record.recorded_at), "valid_until": clock.rfc3339(record.valid_until),
        "cookies": {CONSENT_COOKIE: {"value": decision.cookie_consent, "max_age": decision.max_age},
                    RCI_COOKIE: {"value": decision.r_ci, "max_age": decision.max_age}},
    })


def consent_cookie_headers(app: Flask, decision: services.Decision,
                           policy: policies.CurrentPolicy) -> list[tuple[str, str]]:
    """The two ``Set-Cookie`` headers of a decision (readable by the page's script, Lax)."""
    return [("Set-Cookie", dump_cookie(
        name, value, max_age=decision.max_age, path="/", domain=policy.cookie_domain,
        secure=app.config["SECURE_COOKIES"], httponly=False, samesite="Lax",
        max_size=app.config["MAX_COOKIE_SIZE"],
    )) for name, value in ((CONSENT_COOKIE, decision.cookie_consent), (RCI_COOKIE, decision.r_ci))]
