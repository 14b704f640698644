#!/usr/bin/env python3
"""Benchmark of the consent API's hot paths against ceilings measured in the same run.

Starts, on 127.0.0.1 only, against a scratch PostgreSQL database it creates and drops:

1. the service under gunicorn (``CONSENT_RATE_LIMIT=off``, schema by ``flask db upgrade``,
   the demo site by ``flask demo``);
2. a bare Flask app answering 204: the framework's ceiling (``bench/ceilings.py``);
3. one SQLAlchemy Core INSERT + COMMIT per request into a table shaped like
   ``consent_records`` (``LIKE … INCLUDING ALL``): the database's ceiling, the target's baseline;
4. the same INSERT alone in autocommit (PostgreSQL commits it before answering: one round
   trip instead of three, as the service's proof writer does): shown beside, for comparison.

All four run with the same ``gunicorn.conf.py`` (and the same ``--workers``). Each scenario
gets the same load from ``wrk`` (``bench/wrk_report.lua``): a warm-up, then a measured run.
Writes are compared with the minimal durable insert, reads with the bare app. After each
write scenario the rows in the table are counted and compared with the 201s wrk saw. The
scenarios run in interleaved rounds (3 by default): the table shows each one's median run and
the median of the ratios taken within a round, so that other work on a shared machine weighs
on a scenario and its ceiling alike.

Usage: ``.venv/bin/python bench/consent_api.py [--duration 10] [--warmup 2] [--rounds 3]``
(``make bench``). Needs ``wrk`` (``apt-get install -y wrk``; installed automatically as root)
and PostgreSQL at ``BENCH_PG_URL`` (default ``postgresql://postgres@127.0.0.1:5432/postgres``).
Prints a markdown table and writes it to ``bench/results/consent_api.md``.

The harness lives beside it: ``api_servers.py`` (wrk, the gunicorn servers, the scratch
database), ``api_load.py`` (a scenario's wrk run and the CPU it cost), ``api_report.py``
(rounds summed up, the markdown table).
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import signal
import subprocess
import sys
import tempfile
import urllib.error
import urllib.request
from pathlib import Path

from api_load import Result, Scenario, measure
from api_report import render, summarise
from api_servers import GUNICORN_CONF, HOST, ROOT, BenchError, ScratchDatabase, Server, ensure_wrk, free_port

BENCH = ROOT / "bench"
RESULTS = BENCH / "results" / "consent_api.md"
SITE = "espace-locataire"
ORIGIN = "http://localhost:8000"  # one of the demo site's allowed origins
USER_AGENT = "Mozilla/5.0 (X11; Linux x86_64) consent-bench/1.0"
CEILING_TABLE = "bench_ceiling"

POST_BODIES = [
    {"action": "accept_all", "locale": "fr", "page": "https://localhost:8000/accueil?utm_source=x"},
    {"action": "refuse_all", "locale": "en", "page": "https://localhost:8000/"},
    {"action": "custom", "categories": {"analytics": True}, "locale": "fr",
     "visitor_id": "0123456789abcdef0123456789abcdef", "page": "https://localhost:8000/compte"},
    {"action": "withdraw", "locale": "fr", "visitor_id": "fedcba9876543210fedcba9876543210"},
]
POST_HEADERS = {"Content-Type": "application/json", "Origin": ORIGIN, "User-Agent": USER_AGENT}
BROWSER_HEADERS = {"Origin": ORIGIN, "User-Agent": USER_AGENT}

# --- preparing the requests ---------------------------------------------------------------


def http(method: str, url: str, body: dict | None = None, headers: dict | None = None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=10) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as err:
        return err.code, err.headers, err.read()


def consent_cookies(app: Server) -> str:
    """A real decision's two cookies, as a browser would send them back."""
    status, headers, body = http("POST", f"{app.base}/v1/sites/{SITE}/consents", POST_BODIES[0], POST_HEADERS)
    if status != 201:
        raise BenchError(f"POST consents answered {status}: {body[:300]!r}")
    pairs = [c.split(";", 1)[0] for c in headers.get_all("Set-Cookie") or []]
    cookie = "; ".join(pairs)
    status, _, body = http("GET", f"{app.base}/v1/sites/{SITE}/consent-state", headers={"Cookie": cookie})
    state = json.loads(body)
    if status != 200 or state["show_banner"] is not False or state["categories"].get("analytics") is not True:
        raise BenchError(f"consent-state did not accept the cookies: {status} {state}")
    return cookie


def policy_etag(app: Server) -> str:
    status, headers, body = http("GET", f"{app.base}/v1/sites/{SITE}/policy", headers=BROWSER_HEADERS)
    if status != 200 or not headers.get("ETag"):
        raise BenchError(f"GET policy answered {status} without an ETag")
    etag = headers["ETag"]
    status, _, _ = http("GET", f"{app.base}/v1/sites/{SITE}/policy", headers={**BROWSER_HEADERS,
                                                                             "If-None-Match": etag})
    if status != 304:
        raise BenchError(f"GET policy with If-None-Match answered {status}, not 304")
    return etag


# --- main ---------------------------------------------------------------------------------


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=10, help="measured seconds per scenario")
    parser.add_argument("--warmup", type=float, default=2, help="warm-up seconds per scenario")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--rounds", type=int, default=3, help="measure every scenario this many times, "
                        "interleaved; report the median run and the median same-round ratio "
                        "(other load on the machine)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (all three servers)")
    parser.add_argument("--p99-ms", type=float, default=50.0)
    parser.add_argument("--database", default="consent_bench", help="scratch database (dropped and recreated)")
    parser.add_argument("--only", help="comma-separated scenario keys to run (ceilings always run)")
    parser.add_argument("--no-write", action="store_true", help=f"do not write {RESULTS.relative_to(ROOT)}")
    return parser.parse_args(argv)


def _loadavg() -> str:
    try:
        return Path("/proc/loadavg").read_text().split()[0]
    except OSError:
        return "?"


def _gunicorn_settings(env: dict) -> tuple[str, str]:
    probe = ("import runpy,sys; c=runpy.run_path(sys.argv[1]); "
             "print(c.get('worker_class','sync'), c.get('threads',1))")
    out = subprocess.run([sys.executable, "-c", probe, str(GUNICORN_CONF)], env=env, capture_output=True,
                         text=True, check=True).stdout.split()
    return out[0], out[1]


def main(argv=None) -> int:
    args = parse_args(argv)
    wrk = ensure_wrk()
    admin_url = os.environ.get("BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
    db = ScratchDatabase(admin_url, args.database)
    workdir = Path(tempfile.mkdtemp(prefix="consent_bench_"))
    servers: list[Server] = []

    def on_term(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGINT, signal.default_int_handler)  # also when started with SIGINT ignored (`&`)
    try:
        print(f"scratch database {args.database} …", flush=True)
        db.create()
        base_env = {k: v for k, v in os.environ.items() if not k.startswith(("GUNICORN_CMD_ARGS", "WEB_CONCURRENCY"))}
        base_env.update({
            "DATABASE_URL": db.env_url, "FLASK_APP": "consent_service", "SECRET_KEY": os.urandom(24).hex(),
            "CONSENT_RATE_LIMIT": "off", "RATELIMIT_STORAGE_URI": "memory://", "TRUSTED_PROXY_HOPS": "0",
            "PYTHONDONTWRITEBYTECODE": "1",
        })
        base_env.pop("PORT", None)
        for step in (["db", "upgrade"], ["demo"]):
            done = subprocess.run([sys.executable, "-m", "flask", *step], cwd=ROOT, env=base_env,
                                  capture_output=True, text=True, check=False)
            if done.returncode:
                raise BenchError(f"flask {' '.join(step)} failed:\n{done.stdout}\n{done.stderr}")
        db.execute(f"CREATE TABLE {CEILING_TABLE} (LIKE consent_records INCLUDING ALL)")

        app_port = free_port()
        app_env = {**base_env, "PUBLIC_BASE_URL": f"http://{HOST}:{app_port}"}
        app = Server("service", "consent_service:create_app()", app_port, app_env, workdir / "service.log")
        bare = Server("bare Flask", "ceilings:bare()", free_port(), base_env, workdir / "bare.log", str(BENCH))
        insert = Server("durable insert", "ceilings:durable_insert()", free_port(), base_env,
                        workdir / "insert.log", str(BENCH))
        one = Server("one-statement insert", "ceilings:durable_insert(autocommit=True)", free_port(), base_env,
                     workdir / "one.log", str(BENCH))
        servers = [app, bare, insert, one]
        for server in servers:
            server.start(args.workers)
        app.wait_ready("/healthz")
        bare.wait_ready("/")
        insert.wait_ready("/")  # a GET does not write
        one.wait_ready("/")

        cookie = consent_cookies(app)
        etag = policy_etag(app)
        worker_class, threads = _gunicorn_settings(base_env)
        context = {
            "when": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"), "cpus": os.cpu_count(),
            "python": f"Python {platform.python_version()}", "pg": db.setting("server_version").split()[0],
            "sync": db.setting("synchronous_commit"), "fsync": db.setting("fsync"),
            "worker_class": worker_class, "threads": threads,
        }
        policy = f"/v1/sites/{SITE}/policy"
        scenarios = [
            Scenario("bare", "Bare Flask app, GET → 204", bare, "GET", "/", 204, BROWSER_HEADERS),
            Scenario("insert", "Minimal durable insert, POST → 201", insert, "POST", "/", 201, POST_HEADERS,
                     POST_BODIES, ceiling="bare", table=CEILING_TABLE),
            Scenario("insert1", "One-statement durable insert (autocommit), POST → 201", one, "POST", "/", 201,
                     POST_HEADERS, POST_BODIES, ceiling="bare", table=CEILING_TABLE),
            Scenario("consents", "POST …/consents → 201", app, "POST", f"/v1/sites/{SITE}/consents", 201,
                     POST_HEADERS, POST_BODIES, ceiling="insert", target=0.9, table="consent_records",
                     also="insert1"),
            Scenario("state", "GET …/consent-state → 200", app, "GET", f"/v1/sites/{SITE}/consent-state", 200,
                     {"User-Agent": USER_AGENT, "Cookie": cookie}, ceiling="bare", target=0.85),
            Scenario("policy", "GET …/policy → 200", app, "GET", policy, 200, BROWSER_HEADERS, ceiling="bare"),
            Scenario("policy304", "GET …/policy, If-None-Match → 304", app, "GET", policy, 304,
                     {**BROWSER_HEADERS, "If-None-Match": etag}, ceiling="bare", target=1.0),
        ]
        if args.only:
            wanted = set(args.only.split(",")) | {"bare", "insert", "insert1"}
            scenarios = [s for s in scenarios if s.key in wanted]
        print(f"running {len(scenarios)} scenarios ({args.warmup:g} s warm-up + {args.duration:g} s each) …",
              flush=True)
        load_before = _loadavg()
        runs: dict[str, list[Result]] = {s.key: [] for s in scenarios}
        for round_no in range(args.rounds):
            if args.rounds > 1:
                print(f" round {round_no + 1}/{args.rounds}", flush=True)
            for s in scenarios:
                runs[s.key].append(measure(wrk, s, args, db))
        results = summarise(runs, scenarios)
        context["load"] = f"{load_before} before, {_loadavg()} after"
        for server in servers:
            if server.process.poll() is not None:
                raise BenchError(f"{server.label} died during the run:\n{server.log.read_text()[-3000:]}")
        report = render(results, args, context)
        print()
        print(report)
        if not args.no_write and not args.only:
            RESULTS.parent.mkdir(parents=True, exist_ok=True)
            RESULTS.write_text("# Consent API benchmark (bench/consent_api.py)\n\n" + report)
            print(f"written to {RESULTS.relative_to(ROOT)}")
        return 0
    except BenchError as err:
        print(f"benchmark failed: {err}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted: cleaning up", file=sys.stderr)
        return 130
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not skip the cleanup
        for server in servers:
            server.stop()
        if db.created:
            try:
                db.drop()
            except Exception as err:  # the report says so; the next run drops it first anyway
                print(f"could not drop {args.database}: {type(err).__name__}: {err}", file=sys.stderr)
        shutil.rmtree(workdir, ignore_errors=True)
        signal.signal(signal.SIGINT, signal.SIG_DFL)


if __name__ == "__main__":
    sys.exit(main())
