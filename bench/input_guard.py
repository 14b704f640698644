"""What the hostile-input guard costs per JSON body: ``input_guard.acceptable`` (parse with
bounded numbers, then walk for depth, lone surrogates and U+0000) against the stdlib
``json.loads`` it replaces, on the same bodies in the same run.

    .venv/bin/python bench/input_guard.py [--rounds N]
"""
from __future__ import annotations

import argparse
import json
import sys
import timeit
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from consent_service import input_guard  # noqa: E402
from cookies.demo import DEMO_POLICY  # noqa: E402

CONSENT = json.dumps({"action": "custom", "categories": {"analytics": True, "marketing": False},
                      "visitor_id": "v-0123456789abcdef", "locale": "fr",
                      "page": "https://www.example.fr/espace/mon-compte"}).encode()
POLICY = json.dumps(DEMO_POLICY, ensure_ascii=False).encode()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=20000)
    rounds = parser.parse_args().rounds
    print(f"{'body':<22}{'bytes':>7}{'json.loads µs':>15}{'guard µs':>10}{'ratio':>8}")
    for name, body, n in (("consent decision", CONSENT, rounds), ("policy (demo)", POLICY, max(rounds // 20, 50))):
        assert input_guard.acceptable(body) == json.loads(body)
        baseline = min(timeit.repeat(lambda body=body: json.loads(body), number=n, repeat=5)) / n * 1e6
        guarded = min(timeit.repeat(lambda body=body: input_guard.acceptable(body), number=n, repeat=5)) / n * 1e6
        print(f"{name:<22}{len(body):>7}{baseline:>15.2f}{guarded:>10.2f}{guarded / baseline:>7.2f}x")


if __name__ == "__main__":
    main()
