"""What the three hot answers are made of, shared by the Flask views and the hot handlers.

The current policy (``ETag``, ``no-cache``, 304 on a matching ``If-None-Match``), the
consent-state (``no-store``) and a recorded decision (its JSON and its two cookies) are built
here and only here, so the Flask answer and the hot one (``cookies/hot.py``) cannot drift.

The decision and state bodies are built by hand, not by dumping ``ConsentOut`` /
``ConsentStateOut``: a dump costs 3.5x for the write's answer (+69 µs) and 3.1x for the
state's (+26 µs, 7 % of an in-process consent-state request): ``bench/answer_dump.py``,
``bench/results/answer_dump.md``. The policy body is built once per cache fill.
"""
from __future__ import annotations

import functools
import json
import re
import time
from collections.abc import Callable
from typing import Any

from flask import Flask
from flask.json.provider import DefaultJSONProvider
from werkzeug.http import dump_cookie, http_date, parse_etags

from consent_service import clock

from . import policies, services
from .services import CONSENT_COOKIE, RCI_COOKIE

JSON = "application/json"
STATE_CACHE_CONTROL = "no-store"
POLICY_CACHE_CONTROL = "no-cache"  # revalidate every time: a new version shows at once


def policy_cache_headers(policy: policies.CurrentPolicy) -> list[tuple[str, str]]:
    return [("ETag", policy.etag), ("Cache-Control", POLICY_CACHE_CONTROL)]


def not_modified(policy: policies.CurrentPolicy, if_none_match: str | None) -> bool:
    """Whether ``If-None-Match`` names the current version (or is ``*``). The comparison is
    weak, as RFC 9110 asks for ``If-None-Match``: a proxy that compresses the answer (nginx
    with ``gzip``) hands browsers ``W/"…"``, which must still revalidate."""
    if not if_none_match:
        return False
    if if_none_match == policy.etag:  # what banner.js sends: no parsing needed
        return True
    etags = parse_etags(if_none_match)
    return etags.star_tag or etags.contains_weak(policy.etag.strip('"'))


def json_body(app: Flask, data: Any) -> bytes:
    """The JSON bytes ``jsonify`` would send for ``data`` (compact, one trailing newline)."""
    provider = app.json
    if not isinstance(provider, DefaultJSONProvider):  # an application's own provider: ask it
        return (provider.dumps(data, separators=(",", ":")) + "\n").encode()
    # Flask's provider builds a json encoder per call; one with its settings, kept, writes the
    # same bytes (a third cheaper: this runs on every consent-state and consent write)
    return (_encoder(provider.ensure_ascii, provider.sort_keys, provider.default).encode(data) + "\n").encode()


@functools.lru_cache(maxsize=8)
def _encoder(ensure_ascii: bool, sort_keys: bool, default: Callable[[Any], Any]) -> json.JSONEncoder:
    return json.JSONEncoder(ensure_ascii=ensure_ascii, sort_keys=sort_keys, default=default, separators=(",", ":"))


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
    expires = http_date(time.time() + decision.max_age)  # what dump_cookie derives from max_age
    secure, max_size = bool(app.config["SECURE_COOKIES"]), app.config["MAX_COOKIE_SIZE"]
    return [("Set-Cookie", cookie_header(name, value, decision.max_age, expires, policy.cookie_domain, secure,
                                         max_size))
            for name, value in ((CONSENT_COOKIE, decision.cookie_consent), (RCI_COOKIE, decision.r_ci))]


_PLAIN_VALUE = re.compile(r"[A-Za-z0-9_.-]*")  # signed tokens: nothing dump_cookie would quote


def cookie_header(name: str, value: str, max_age: int, expires: str, domain: str | None, secure: bool,
                  max_size: int) -> str:
    """Exactly ``dump_cookie(name, value, max_age=…, expires=…, path="/", domain=…, secure=…,
    httponly=False, samesite="Lax", max_size=…)``, at a fraction of its cost on a write: the
    attributes around the value, the expiry and the age come from ``dump_cookie`` itself, once
    per domain and ``secure`` (tests/cookies/test_answers.py compares the two on generated
    input). Anything unusual (a value it would quote, a cookie over the size limit) goes to
    ``dump_cookie``."""
    template = _cookie_template(domain, secure)
    if template is not None and name.isascii() and _PLAIN_VALUE.fullmatch(value):
        head, middle, tail = template
        header = f"{name}={value}{head}{expires}{middle}{max_age}{tail}"
        if not (max_size and len(header) > max_size):
            return header
    return dump_cookie(name, value, max_age=max_age, expires=expires, path="/", domain=domain, secure=secure,
                       httponly=False, samesite="Lax", max_size=max_size)


@functools.lru_cache(maxsize=256)
def _cookie_template(domain: str | None, secure: bool) -> tuple[str, str, str] | None:
    """What ``dump_cookie`` writes between the value and the expiry, between the expiry and
    the age, and after the age, for these settings (found by asking it with markers); None
    if it ever writes them in another order (``cookie_header`` then calls it every time)."""
    probe = dump_cookie("n", "v", max_age="\x01", expires="\x02", path="/",  # type: ignore[arg-type]
                        domain=domain, secure=secure, httponly=False, samesite="Lax", max_size=0)
    before_expiry, _, rest = probe[len("n=v"):].partition("\x02")
    between, _, after_age = rest.partition("\x01")
    if probe.count("\x01") != 1 or probe.count("\x02") != 1:  # a marker in the domain: no template
        return None
    if not probe.startswith("n=v") or "\x01" in before_expiry or not between:
        return None
    return before_expiry, between, after_age
