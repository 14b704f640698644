#!/usr/bin/env python3
"""Sealing and verification cost, each beside a plain SHA-256 over the same rows, same run.

1. ``--rows`` consent records (default 1,000,000) are loaded into a scratch PostgreSQL
   database (or SQLite with ``--sqlite``).
2. Baseline: read every record (streamed) and take one SHA-256 of each row's canonical JSON.
3. Sealing: one sealer pass over all of them (seals of 65,536 records, leaves written, seals
   chained). Target: under 60 s for 1,000,000.
4. Verification: ``proofs verify`` over all of them (seal by seal, records joined, roots
   recomputed). Target: under 120 s for 1,000,000. Peak memory is printed: it must not grow
   with the number of records.
5. The consent write path: ``POST /v1/sites/{site}/consents`` without and with the ``banner``
   field (the bundle look-up is the only thing proofs add to a write), alternating rounds.

6. With ``--write-ratio``, only this: the hot path's write benchmark, ``bench/consent_api.py
   --only consents`` as it is (``POST …/consents`` over the minimal durable insert, in the
   same round), its rounds alternating without and with the worker's seal job sealing what
   it writes every ``--seal-every`` seconds (5 by default: twelve times the default
   ``SEAL_INTERVAL_SECONDS``), in ABBA order. Target: the two medians within 3%.

Usage: ``.venv/bin/python bench/seal.py [--rows 1000000] [--writes 2000] [--sqlite]``, or
``.venv/bin/python bench/seal.py --write-ratio [--rounds 8] [--duration 5] [--seal-every 5]``;
PostgreSQL at ``BENCH_PG_URL`` (default ``postgresql+psycopg://postgres@127.0.0.1:5432/postgres``).
"""
from __future__ import annotations

import argparse
import hashlib
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import sqlalchemy as sa
from datamap_setup import PG_URL, scratch_database

SITE = "espace-locataire"
USER_AGENT = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36"
LOAD_SQL = (
    "INSERT INTO consent_records (consent_id, site, policy_version, texts_hash, action, categories, recorded_at, "
    "valid_until, visitor_id, ip, user_agent, page, gpc, locale, banner_hash) "
    "SELECT md5(i::text), :site, 1, md5('texts'), CASE WHEN i % 3 = 0 THEN 'refuse_all' ELSE 'accept_all' END, "
    "CASE WHEN i % 3 = 0 THEN '{\"analytics\": false, \"functional\": true}'::json "
    "ELSE '{\"analytics\": true, \"functional\": true}'::json END, "
    "timestamptz '2027-01-01' + i * interval '1 second', timestamptz '2028-02-01' + i * interval '1 second', "
    "md5((i % 200000)::text), '192.0.2.0', :ua, 'https://www.example.fr/mon-compte', false, 'fr', "
    "md5('bundle') FROM generate_series(1, :rows) AS i")


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def load(app, rows: int) -> None:
    from consent_service.extensions import db

    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as conn:
                conn.execute(sa.text(LOAD_SQL), {"site": SITE, "ua": USER_AGENT, "rows": rows})
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(sa.text("VACUUM ANALYZE consent_records"))
            return
        import datetime as dt

        from cookies.models import ConsentRecord

        start = dt.datetime(2027, 1, 1, tzinfo=dt.UTC)
        chunk = []
        with db.engine.begin() as conn:
            for i in range(1, rows + 1):
                chunk.append({
                    "consent_id": hashlib.md5(str(i).encode()).hexdigest(), "site": SITE, "policy_version": 1,
                    "texts_hash": "t" * 64, "action": "accept_all",
                    "categories": {"analytics": True, "functional": True},
                    "recorded_at": start + dt.timedelta(seconds=i), "valid_until": start + dt.timedelta(days=400 + i),
                    "visitor_id": str(i % 200000), "ip": "192.0.2.0", "user_agent": USER_AGENT,
                    "page": "https://www.example.fr/mon-compte", "gpc": False, "locale": "fr", "banner_hash": None})
                if len(chunk) == 20000:
                    conn.execute(ConsentRecord.__table__.insert(), chunk)
                    chunk = []
            if chunk:
                conn.execute(ConsentRecord.__table__.insert(), chunk)


def baseline(app) -> tuple[float, int]:
    """Read every record and SHA-256 its canonical JSON: the least any sealing must do."""
    from consent_service.extensions import db
    from proofs.sources import CONSENTS, record_digest

    with app.app_context():
        started, count = time.perf_counter(), 0
        rows = db.session.execute(sa.select(CONSENTS.table).execution_options(yield_per=5000)).mappings()
        for row in rows:
            record_digest(CONSENTS.fields(row))
            count += 1
        db.session.rollback()
        return time.perf_counter() - started, count


def seal(app) -> tuple[float, int]:
    from proofs import sealer

    with app.app_context():
        started = time.perf_counter()
        count = sealer.seal_pending()
        return time.perf_counter() - started, count


def verify(app) -> tuple[float, object]:
    from proofs import verify as verification

    with app.app_context():
        started = time.perf_counter()
        outcome = verification.verify()
        return time.perf_counter() - started, outcome


def writes(app, count: int, rounds: int = 4) -> tuple[float, float]:
    """Median seconds per batch of ``count`` decisions, without and with a known bundle id."""
    from consent_service import apikeys
    from consent_service.extensions import db
    from cookies.demo import DEMO_POLICY
    from cookies.pages import banner_build

    client = app.test_client()
    with app.app_context():
        key = apikeys.create_key("bench-admin", ["sites:admin"])
        db.session.commit()
    admin = {"Authorization": f"Bearer {key}"}
    client.post("/v1/sites", json={"key": "bench", "name": "Bench", "allowed_origins": ["https://www.example.fr"],
                                   "cookie_domain": None}, headers=admin)
    client.post("/v1/sites/bench/policies", json=DEMO_POLICY, headers=admin)
    client.get("/banner.js")
    bundle_id = banner_build().bundle_id
    plain, stamped = {"action": "accept_all", "locale": "fr"}, {"action": "accept_all", "locale": "fr",
                                                               "banner": bundle_id}
    times: dict[str, list[float]] = {"plain": [], "stamped": []}
    for round_ in range(-1, rounds):
        order = (("plain", plain), ("stamped", stamped)) if round_ % 2 else (("stamped", stamped), ("plain", plain))
        for name, body in order:
            started = time.perf_counter()
            for _ in range(count):
                assert client.post("/v1/sites/bench/consents", json=body).status_code == 201
            if round_ >= 0:
                times[name].append(time.perf_counter() - started)
    return statistics.median(times["plain"]), statistics.median(times["stamped"])


def lookup_ns(app, calls: int = 1_000_000) -> float:
    """What proofs add to a write, alone: the bundle id's look-up (warm)."""
    from cookies.pages import banner_build
    from proofs import bundles

    with app.app_context():
        bundle_id = banner_build().bundle_id
        assert bundles.hash_for(bundle_id) is not None
        started = time.perf_counter()
        for _ in range(calls):
            bundles.hash_for(bundle_id)
        return (time.perf_counter() - started) / calls * 1e9


def run(url: str, rows: int, write_count: int) -> None:
    from consent_service import create_app
    from consent_service.extensions import db

    folder = Path(tempfile.mkdtemp(prefix="seal-bench-"))
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "CONSENT_RATE_LIMIT": "off"},
                     environ={"SECRET_KEY": "bench"})
    app.instance_path = str(folder / "instance")
    with app.app_context():
        db.create_all()
    load(app, rows)
    print(f"{rows:,} consent records loaded ({'PostgreSQL' if url.startswith('postgresql') else 'SQLite'}); "
          f"peak memory so far {peak_mb():.0f} MB")
    base_s, counted = baseline(app)
    assert counted == rows, counted
    after_baseline = peak_mb()
    seal_s, sealed = seal(app)
    assert sealed == rows, sealed
    after_seal = peak_mb()
    verify_s, outcome = verify(app)
    assert outcome.passed and outcome.records == rows, outcome
    print(f"baseline (read + SHA-256 of each row): {base_s:.1f} s; peak memory {after_baseline:.0f} MB")
    print(f"sealing {rows:,} records: {seal_s:.1f} s -> {seal_s / base_s:.2f}x baseline "
          f"({'ok' if seal_s < 60 * rows / 1e6 else 'OVER'}, target < 60 s per million); "
          f"{outcome.seals} seals; peak memory {after_seal:.0f} MB")
    print(f"verifying {rows:,} records: {verify_s:.1f} s -> {verify_s / base_s:.2f}x baseline "
          f"({'ok' if verify_s < 120 * rows / 1e6 else 'OVER'}, target < 120 s per million); "
          f"peak memory {peak_mb():.0f} MB")
    if write_count:
        plain_s, stamped_s = writes(app, write_count)
        print(f"consent writes ({write_count} per round, Flask path): without banner id "
              f"{plain_s * 1e6 / write_count:.0f} µs/write, with banner id "
              f"{stamped_s * 1e6 / write_count:.0f} µs/write -> ratio "
              f"{stamped_s / plain_s:.3f} (target within 1.03)")
        lookup = lookup_ns(app)
        print(f"the bundle look-up alone: {lookup:.0f} ns per write = {lookup / (plain_s * 1e9 / write_count):.4%} "
              "of a write measured above")


# --- consent writes while sealing (bench/consent_api.py, run as it is) ----------------------

WRITE_ROW = "POST …/consents → 201"
WRITE_DB = "seal_writes_bench"


def sealing_round(number: int) -> bool:
    """Rounds 1, 4, 5, 8, 9… without sealing, 2, 3, 6, 7… with (ABBA: drift weighs on both)."""
    return number % 4 in (2, 3)


class SealLoop(threading.Thread):
    """The worker's seal job against bench/consent_api.py's scratch database, every ``every``
    seconds while ``active`` is set, until ``halt``."""

    def __init__(self, every: float) -> None:
        super().__init__(daemon=True)
        self.every, self.active, self.halt = every, threading.Event(), threading.Event()
        self.passes = self.sealed = 0
        self.busy_s = 0.0
        self.failure: str | None = None

    def run(self) -> None:
        from consent_service import create_app
        from consent_service.extensions import db
        from proofs import sealer

        url = sa.engine.make_url(PG_URL.replace("postgresql://", "postgresql+psycopg://", 1)).set(database=WRITE_DB)
        app = create_app({"SQLALCHEMY_DATABASE_URI": url.render_as_string(hide_password=False),
                          "SECRET_KEY": "bench"}, environ={"SECRET_KEY": "bench"})
        with app.app_context():
            try:
                while not self.halt.is_set():
                    if not self.active.wait(0.2):
                        continue
                    started = time.perf_counter()
                    self.sealed += sealer.seal_pending()
                    self.busy_s += time.perf_counter() - started
                    self.passes += 1
                    self.halt.wait(self.every)
            except Exception as err:  # noqa: BLE001 - reported with the figures
                if not self.halt.is_set():  # (once the scenarios are over, the database is being dropped)
                    self.failure = f"{type(err).__name__}: {err}"
            finally:
                db.session.remove()
                db.engine.dispose()


def write_ratio(args) -> None:
    """bench/consent_api.py --only consents, once, the seal job on in every other pair of rounds;
    the consents ratio (against the minimal durable insert, same round) without and with."""
    command = [sys.executable, str(Path(__file__).with_name("consent_api.py")), "--only", "consents",
               "--rounds", str(args.rounds), "--duration", str(args.duration), "--database", WRITE_DB]
    loop, lines = SealLoop(args.seal_every), []
    loop.start()
    with subprocess.Popen(command, stdout=subprocess.PIPE, text=True, bufsize=1) as run:
        assert run.stdout is not None
        for line in run.stdout:
            lines.append(line)
            round_no = re.match(r"\s*round (\d+)/", line)
            if round_no and sealing_round(int(round_no.group(1))):
                loop.active.set()
            elif round_no:
                loop.active.clear()
            if line.startswith("| Scenario"):
                loop.halt.set()  # the scenarios are over
    loop.halt.set()
    loop.join()
    text = "".join(lines)
    if run.returncode:
        raise SystemExit(f"bench/consent_api.py failed ({run.returncode}):\n{text[-2000:]}")
    if loop.failure or not loop.passes:
        raise SystemExit(f"the seal job failed: {loop.failure or 'it never ran'}")
    found = re.search(re.escape(WRITE_ROW) + r" ([0-9., ]+?)[;.]\s", text)
    assert found, text
    ratios = [float(x) for x in found.group(1).split(",")]
    without = [r for n, r in enumerate(ratios, 1) if not sealing_round(n)]
    with_ = [r for n, r in enumerate(ratios, 1) if sealing_round(n)]
    print(text[text.index("Measured"):] if "Measured" in text else text)
    change = statistics.median(with_) / statistics.median(without) - 1
    print(f"consent write ratio (bench/consent_api.py --only consents, {args.rounds} rounds of {args.duration:g} s, "
          f"POST …/consents over the minimal durable insert, same round): without sealing "
          f"{statistics.median(without):.3f}x (rounds {', '.join(f'{r:.2f}' for r in without)}), while sealing "
          f"{statistics.median(with_):.3f}x (rounds {', '.join(f'{r:.2f}' for r in with_)}) -> {change:+.1%} "
          f"({'ok' if abs(change) <= 0.03 else 'OVER'}, target within 3%); seal job every {args.seal_every:g} s: "
          f"{loop.passes} passes, {loop.sealed:,} records sealed, busy {loop.busy_s:.1f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--writes", type=int, default=2000)
    parser.add_argument("--sqlite", action="store_true", help="a scratch SQLite file instead of PostgreSQL")
    parser.add_argument("--write-ratio", action="store_true",
                        help="only the consent write ratio of bench/consent_api.py, without and while sealing")
    parser.add_argument("--seal-every", type=float, default=5.0, help="--write-ratio: seconds between seal passes")
    parser.add_argument("--rounds", type=int, default=8, help="--write-ratio: bench/consent_api.py --rounds "
                        "(sealing in rounds 2, 3, 6, 7…)")
    parser.add_argument("--duration", type=float, default=5, help="--write-ratio: bench/consent_api.py --duration")
    args = parser.parse_args()
    if args.write_ratio:
        write_ratio(args)
        return
    if args.sqlite:
        run(f"sqlite:///{tempfile.mkdtemp(prefix='seal-bench-')}/bench.db", args.rows, args.writes)
        return
    with scratch_database("seal_bench") as url:
        run(url, args.rows, args.writes)


if __name__ == "__main__":
    main()
