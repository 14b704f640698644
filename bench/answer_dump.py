"""What a marshmallow dump would cost the hot consent answers, against the dicts cookies/answers.py builds.

    .venv/bin/python bench/answer_dump.py [--answers 20000] [--requests 3000] [--rounds 5]

Every other JSON answer of the API is its response schema's dump of the model (issue 16). The
consent write and consent-state answers are written by hand in cookies/answers.py, in front of
Flask; this measures what that saves. In one process, on the same objects: the consent-state
and consent-write answers built by hand (the baseline) and by a schema dump
(``cookies.schemas.ConsentStateOut``; for the write, a schema reading the Decision with the same
fields as ``ConsentOut``), both checked to give the same bytes first; then, for scale, a whole
``GET …/consent-state`` through the WSGI stack (the hot handler, SQLite, no consent cookie).
Rounds alternate which goes first; the tables give the median round.
"""
from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import time
import types
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from marshmallow import Schema, fields  # noqa: E402

from consent_service import create_app  # noqa: E402
from consent_service.extensions import db  # noqa: E402
from consent_service.fields import Rfc3339  # noqa: E402
from cookies import answers, demo, services  # noqa: E402
from cookies.schemas import ConsentStateOut  # noqa: E402


class CookieValue(Schema):
    value = fields.String()
    max_age = fields.Integer()


class DecisionOut(Schema):
    """``ConsentOut``'s fields read from a ``services.Decision``."""

    consent_id = fields.String(attribute="record.consent_id")
    visitor_id = fields.String(attribute="record.visitor_id")
    site = fields.String(attribute="record.site")
    policy_version = fields.Integer(attribute="record.policy_version")
    action = fields.String(attribute="record.action")
    categories = fields.Dict(keys=fields.String(), values=fields.Boolean(), attribute="record.categories")
    recorded_at = Rfc3339(attribute="record.recorded_at")
    valid_until = Rfc3339(attribute="record.valid_until")
    cookies = fields.Method("_cookies")

    def _cookies(self, decision):
        return {services.CONSENT_COOKIE: COOKIE.dump({"value": decision.cookie_consent, "max_age": decision.max_age}),
                services.RCI_COOKIE: COOKIE.dump({"value": decision.r_ci, "max_age": decision.max_age})}


COOKIE = CookieValue()


def per_call(fn: Callable[[], object], calls: int) -> float:
    start = time.perf_counter()
    for _ in range(calls):
        fn()
    return (time.perf_counter() - start) / calls * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--answers", type=int, default=20000)
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    app = create_app({"SECRET_KEY": "bench", "SQLALCHEMY_DATABASE_URI": "sqlite://", "RATELIMIT_ENABLED": False},
                     environ={"SECRET_KEY": "bench"})
    with app.app_context():
        db.create_all()
        demo.load_demo_site()
        db.session.commit()
    client = app.test_client()
    state_url = f"/v1/sites/{demo.DEMO_SITE}/consent-state"
    assert client.get(state_url).status_code == 200

    now = dt.datetime(2027, 1, 1, 9, tzinfo=dt.UTC)
    record = types.SimpleNamespace(
        consent_id="0" * 32, visitor_id="v" * 22, site=demo.DEMO_SITE, policy_version=3, action="custom",
        categories={"functional": True, "analytics": False, "marketing": True}, recorded_at=now, valid_until=now)
    decision = services.Decision(record=record, cookie_consent="c" * 180, r_ci="r" * 60, max_age=34214400)
    state = services.ConsentState(show_banner=False, reason=None, categories={"functional": True, "analytics": False},
                                  consent_id="0" * 32, policy_version=3, valid_until="2027-01-01T09:00:00Z")
    decision_out, state_out = DecisionOut(), ConsentStateOut()
    cases = {
        "consent write answer": (lambda: answers.decision_body(app, decision),
                                 lambda: answers.json_body(app, decision_out.dump(decision))),
        "consent-state answer": (lambda: answers.state_body(app, state),
                                 lambda: answers.json_body(app, state_out.dump(state))),
    }
    for name, (by_hand, dumped) in cases.items():
        assert by_hand() == dumped(), name  # the same bytes

    def whole_request() -> None:
        assert client.get(state_url).status_code == 200

    results: dict[str, list[float]] = {}
    per_call(whole_request, 200)  # warm-up
    for round_ in range(args.rounds):
        for name, (by_hand, dumped) in cases.items():
            pair = [("hand", by_hand), ("dump", dumped)]
            for kind, fn in pair if round_ % 2 == 0 else reversed(pair):
                results.setdefault(f"{name}|{kind}", []).append(per_call(fn, args.answers))
        results.setdefault("request", []).append(per_call(whole_request, args.requests))
    median = {key: statistics.median(values) for key, values in results.items()}
    request = median["request"]
    print(f"{args.rounds} rounds (median round, µs per call); a whole GET …/consent-state in process: {request:.1f} µs")
    print("| answer | by hand (baseline) µs | schema dump µs | ratio | added per request "
          "| share of a consent-state request |")
    print("|---|---:|---:|---:|---:|---:|")
    for name in cases:
        hand, dump = median[f"{name}|hand"], median[f"{name}|dump"]
        print(f"| {name} | {hand:.1f} | {dump:.1f} | {dump / hand:.2f}× | +{dump - hand:.1f} µs | "
              f"{(dump - hand) / request:.0%} |")


if __name__ == "__main__":
    main()
