"""What Flask-Limiter's per-request hooks cost a Flask route that has no limit of its own.

    .venv/bin/python bench/limiter_overhead.py [--requests 3000] [--rounds 5]

Two applications built in the same process from the same code, one with the limiter on
(``RATELIMIT_ENABLED`` true: its before-request check, its after-request deductions and
headers, its teardown) and one with it off (the baseline). Each round times ``--requests``
``GET /healthz`` through the WSGI test client on each application, alternating which goes
first; the table gives the median round. The consent API's hot routes (cookies/hot.py) answer
in front of Flask and do not pay this; every other route does.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from consent_service import create_app  # noqa: E402


def build(enabled: bool):
    app = create_app({"SECRET_KEY": "bench", "SQLALCHEMY_DATABASE_URI": "sqlite://", "RATELIMIT_ENABLED": enabled,
                      "RATELIMIT_STORAGE_URI": "memory://"}, environ={"SECRET_KEY": "bench"})
    return app.test_client()


def timed(client, requests: int) -> float:
    start = time.perf_counter()
    for _ in range(requests):
        response = client.get("/healthz")
        assert response.status_code == 200
    return (time.perf_counter() - start) / requests * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    on, off = build(True), build(False)
    timed(on, 200), timed(off, 200)  # warm-up
    with_hooks, without = [], []
    for round_ in range(args.rounds):
        pair = [(on, with_hooks), (off, without)]
        for client, results in pair if round_ % 2 == 0 else reversed(pair):
            results.append(timed(client, args.requests))
    a, b = statistics.median(with_hooks), statistics.median(without)
    print(f"GET /healthz, {args.rounds} rounds of {args.requests} requests (median round, µs per request)")
    print("| | µs/request | ratio |")
    print("|---|---:|---:|")
    print(f"| limiter off (baseline) | {b:.1f} | 1.00 |")
    print(f"| limiter on, no limit on the route | {a:.1f} | {a / b:.2f} |")
    print(f"hooks' cost: {a - b:.1f} µs per request")


if __name__ == "__main__":
    main()
