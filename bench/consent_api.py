#!/usr/bin/env python3
"""Benchmark of the consent API's hot paths against two ceilings measured in the same run.

Starts, on 127.0.0.1 only, against a scratch PostgreSQL database it creates and drops:

1. the service under gunicorn (``CONSENT_RATE_LIMIT=off``, schema by ``flask db upgrade``,
   the demo site by ``flask demo``);
2. a bare Flask app answering 204: the framework's ceiling (``bench/ceilings.py``);
3. one SQLAlchemy Core INSERT + COMMIT per request into a table shaped like
   ``consent_records`` (``LIKE … INCLUDING ALL``): the database's ceiling.

All three run with the same ``gunicorn.conf.py`` (and the same ``--workers``). Each scenario
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
"""
from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import json
import os
import platform
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
LUA = BENCH / "wrk_report.lua"
RESULTS = BENCH / "results" / "consent_api.md"
GUNICORN_CONF = ROOT / "gunicorn.conf.py"
HOST = "127.0.0.1"
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


class BenchError(RuntimeError):
    pass


# --- tools ------------------------------------------------------------------------------


def ensure_wrk() -> str:
    found = shutil.which("wrk")
    if found:
        return found
    if os.geteuid() == 0 and shutil.which("apt-get"):
        print("wrk is missing: installing it with apt-get …", flush=True)
        subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=False, stdout=subprocess.DEVNULL)
        if not shutil.which("wrk"):
            subprocess.run(["apt-get", "update", "-qq"], check=False)
            subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=True, stdout=subprocess.DEVNULL)
        found = shutil.which("wrk")
        if found:
            return found
    raise BenchError("wrk is not installed: run `sudo apt-get install -y wrk` (Debian/Ubuntu) and try again.")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


# --- the scratch database -----------------------------------------------------------------


class ScratchDatabase:
    def __init__(self, admin_url: str, name: str):
        import sqlalchemy as sa

        self.sa = sa
        self.name = name
        admin = sa.engine.make_url(admin_url)
        if admin.drivername in {"postgresql", "postgres"}:
            admin = admin.set(drivername="postgresql+psycopg")
        if admin.host not in {HOST, "localhost", None}:
            raise BenchError("the benchmark runs on 127.0.0.1 only: point BENCH_PG_URL at a local server")
        self.admin = sa.create_engine(admin, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
        self.url = admin.set(database=name)
        self.created = False

    @property
    def env_url(self) -> str:
        """DATABASE_URL as a user would write it (the service maps it to psycopg)."""
        return self.url.set(drivername="postgresql").render_as_string(hide_password=False)

    def create(self) -> None:
        self.drop()
        with self.admin.connect() as conn:
            conn.execute(self.sa.text(f'CREATE DATABASE "{self.name}"'))
        self.created = True
        self.engine = self.sa.create_engine(self.url, poolclass=self.sa.pool.NullPool)

    def execute(self, sql: str):
        with self.engine.begin() as conn:
            return conn.execute(self.sa.text(sql)).fetchall() if sql.lstrip().upper().startswith("SELECT") \
                else conn.execute(self.sa.text(sql))

    def backend_pids(self, application_name: str) -> list[int]:
        with self.admin.connect() as conn:
            return list(conn.execute(self.sa.text(
                "SELECT pid FROM pg_stat_activity WHERE datname = :d AND application_name = :a"),
                {"d": self.name, "a": application_name}).scalars())

    def count(self, table: str) -> int:
        with self.engine.connect() as conn:
            return conn.execute(self.sa.text(f"SELECT count(*) FROM {table}")).scalar_one()

    def setting(self, name: str) -> str:
        with self.engine.connect() as conn:
            return conn.execute(self.sa.text(f"SHOW {name}")).scalar_one()

    def drop(self) -> None:
        with self.admin.connect() as conn:
            conn.execute(self.sa.text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n AND pid <> pg_backend_pid()"
            ), {"n": self.name})
            conn.execute(self.sa.text(f'DROP DATABASE IF EXISTS "{self.name}"'))
        self.created = False


# --- servers ------------------------------------------------------------------------------


@dataclasses.dataclass
class Server:
    label: str
    app: str
    port: int
    env: dict
    log: Path
    pythonpath: str | None = None
    process: subprocess.Popen | None = None

    @property
    def tag(self) -> str:
        """Its PostgreSQL application_name."""
        return "bench-" + self.label.replace(" ", "-")

    @property
    def base(self) -> str:
        return f"http://{HOST}:{self.port}"

    def start(self, workers: int) -> None:
        command = [sys.executable, "-m", "gunicorn", "--config", str(GUNICORN_CONF),
                   "--bind", f"{HOST}:{self.port}", "--workers", str(workers), "--log-level", "warning"]
        if self.pythonpath:
            command += ["--pythonpath", self.pythonpath]
        command.append(self.app)
        handle = self.log.open("wb")
        # A session of its own: Ctrl-C in the terminal reaches this script, which stops the
        # server itself (and only it) in its cleanup.
        env = {**self.env, "DATABASE_URL": f"{self.env['DATABASE_URL']}?application_name={self.tag}"}
        self.process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=handle, stderr=subprocess.STDOUT,
                                        start_new_session=True)

    def wait_ready(self, path: str, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise BenchError(f"{self.label} exited at start:\n{self.log.read_text()[-3000:]}")
            try:
                urllib.request.urlopen(self.base + path, timeout=2).close()
                return
            except urllib.error.HTTPError:
                return
            except OSError:
                time.sleep(0.2)
        raise BenchError(f"{self.label} did not answer within {timeout:.0f}s:\n{self.log.read_text()[-3000:]}")

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=15)
        except (ProcessLookupError, PermissionError):
            pass
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=5)


# --- CPU accounting -----------------------------------------------------------------------
# Throughput on a shared machine moves with whatever else runs; the CPU time a request costs
# (server workers, their PostgreSQL backends, wrk) moves much less, so it is reported beside.

CLK_TCK = os.sysconf("SC_CLK_TCK")


def _proc_cpu(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLK_TCK  # utime + stime
    except (OSError, IndexError, ValueError):
        return 0.0


def cpu_snapshot(server: Server, db: ScratchDatabase) -> dict[int, float]:
    pids = [server.process.pid]
    try:
        pids += [int(p) for p in Path(f"/proc/{pids[0]}/task/{pids[0]}/children").read_text().split()]
    except OSError:
        pass
    pids += db.backend_pids(server.tag)
    return {pid: _proc_cpu(pid) for pid in pids}


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


# --- load ---------------------------------------------------------------------------------


@dataclasses.dataclass
class Scenario:
    key: str
    label: str
    server: Server
    method: str
    path: str
    expect: int
    headers: dict
    bodies: list = dataclasses.field(default_factory=list)
    ceiling: str | None = None  # key of the scenario it is compared with
    target: float | None = None
    table: str | None = None  # rows counted before/after (writes)


@dataclasses.dataclass
class Result:
    scenario: Scenario
    rps: float
    p50_ms: float
    p99_ms: float
    statuses: dict
    errors: dict
    requests: int
    rows_added: int | None = None
    ratio: float | None = None
    round_ratios: list = dataclasses.field(default_factory=list)
    cpu_ms: float = 0.0
    cpu_ratio: float | None = None
    all_committed: bool = True

    @property
    def expected_count(self) -> int:
        return self.statuses.get(str(self.scenario.expect), 0)

    @property
    def unexpected(self) -> dict:
        return {k: v for k, v in self.statuses.items() if k != str(self.scenario.expect)}


def run_wrk(wrk: str, scenario: Scenario, seconds: float, connections: int, threads: int) -> dict:
    env = dict(os.environ)
    env["BENCH_METHOD"] = scenario.method
    env["BENCH_BODIES"] = "\n".join(json.dumps(b, separators=(",", ":")) for b in scenario.bodies)
    env["BENCH_HEADERS"] = "\n".join(f"{k}: {v}" for k, v in scenario.headers.items())
    command = [wrk, f"-t{threads}", f"-c{connections}", f"-d{max(1, round(seconds))}s", "--timeout", "5s",
               "-s", str(LUA), scenario.server.base + scenario.path]
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    for line in done.stdout.splitlines():
        if line.startswith("BENCH_JSON "):
            return json.loads(line[len("BENCH_JSON "):])
    raise BenchError(f"wrk gave no result for {scenario.label}:\n{done.stdout}\n{done.stderr}")


def measure(wrk: str, scenario: Scenario, args, db: ScratchDatabase) -> Result:
    if args.warmup > 0:
        run_wrk(wrk, scenario, args.warmup, args.connections, args.threads)
        time.sleep(0.5)  # let the warm-up's last requests finish before rows are counted
    before = db.count(scenario.table) if scenario.table else None
    cpu_before, wrk_before = cpu_snapshot(scenario.server, db), _children_cpu()
    raw = run_wrk(wrk, scenario, args.duration, args.connections, args.threads)
    wrk_cpu = _children_cpu() - wrk_before
    cpu_after = cpu_snapshot(scenario.server, db)
    cpu = wrk_cpu + sum(t - cpu_before.get(pid, 0.0) for pid, t in cpu_after.items())
    rows_added = None
    if scenario.table:
        time.sleep(0.5)  # requests in flight when wrk stopped finish (and commit) on their own
        rows_added = db.count(scenario.table) - before
    seconds = raw["duration_us"] / 1e6
    result = Result(scenario, rps=raw["requests"] / seconds, p50_ms=raw["p50_us"] / 1000,
                    p99_ms=raw["p99_us"] / 1000, statuses=raw["status"], errors=raw["errors"],
                    requests=raw["requests"], rows_added=rows_added,
                    cpu_ms=1000 * cpu / raw["requests"] if raw["requests"] else 0.0)
    print(f"  {scenario.label:<46} {result.rps:9.0f} req/s  p50 {result.p50_ms:6.2f} ms  "
          f"p99 {result.p99_ms:6.2f} ms  CPU {result.cpu_ms:5.2f} ms/req  statuses {result.statuses}", flush=True)
    return result


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


# --- report -------------------------------------------------------------------------------


def summarise(runs: dict[str, list[Result]], scenarios: list[Scenario]) -> dict[str, Result]:
    """One Result per scenario: its median run; each ratio is the median of the ratios of
    runs made in the same round (side by side in time, so other load on the machine
    weighs on both alike); rows and 201s are added up over all rounds."""
    results = {}
    for s in scenarios:
        found = runs[s.key]
        median = sorted(found, key=lambda r: r.rps)[len(found) // 2]
        result = dataclasses.replace(median)
        if s.ceiling:
            result.round_ratios = [r.rps / c.rps for r, c in zip(found, runs[s.ceiling], strict=False) if c.rps]
            ratios = sorted(result.round_ratios)
            result.ratio = ratios[len(ratios) // 2] if ratios else 0.0
            cpu_ratios = sorted(c.cpu_ms / r.cpu_ms for r, c in zip(found, runs[s.ceiling], strict=False) if r.cpu_ms)
            result.cpu_ratio = cpu_ratios[len(cpu_ratios) // 2] if cpu_ratios else None
        result.cpu_ms = sorted(r.cpu_ms for r in found)[len(found) // 2]
        result.statuses, result.errors = {}, {}
        for r in found:
            for key, n in r.statuses.items():
                result.statuses[key] = result.statuses.get(key, 0) + n
            for key, n in r.errors.items():
                result.errors[key] = result.errors.get(key, 0) + n
        if s.table:
            result.rows_added = sum(r.rows_added for r in found)
            result.all_committed = all(_committed(r) for r in found)
        results[s.key] = result
    return results


def render(results: dict[str, Result], args, context: dict) -> str:
    lines = [
        "| Scenario | req/s | p50 ms | p99 ms | CPU ms/req | Compared with | Ratio | CPU ratio | Target | Met |",
        "|---|---:|---:|---:|---:|---|---:|---:|---|:-:|",
    ]
    verdicts = []
    for result in results.values():
        s = result.scenario
        ratio_text = compared = target_text = met_text = "—"
        if s.ceiling:
            ceiling = results[s.ceiling]
            ratio = result.ratio if result.ratio is not None else (result.rps / ceiling.rps if ceiling.rps else 0.0)
            ratio_text = f"{ratio:.2f}×"
            compared = ceiling.scenario.label
            if s.target is not None:
                ok = ratio >= s.target and result.p99_ms < args.p99_ms and not result.unexpected \
                    and _committed(result)
                target_text = f"≥ {s.target:g}×, p99 < {args.p99_ms:.0f} ms"
                if s.table:
                    target_text += ", every 201 committed"
                met_text = "yes" if ok else "**no**"
                verdicts.append((s.label, ok))
        cpu_ratio = f"{result.cpu_ratio:.2f}×" if result.cpu_ratio else "—"
        lines.append(f"| {s.label} | {result.rps:,.0f} | {result.p50_ms:.2f} | {result.p99_ms:.2f} | "
                     f"{result.cpu_ms:.2f} | {compared} | {ratio_text} | {cpu_ratio} | {target_text} | {met_text} |")
    notes = []
    if args.rounds > 1:
        notes.append("- Ratios in each round: " + "; ".join(
            f"{r.scenario.label} " + ", ".join(f"{x:.2f}" for x in r.round_ratios)
            for r in results.values() if r.scenario.target is not None) + ".")
    for result in results.values():
        if result.rows_added is not None:
            extra = result.rows_added - result.expected_count
            notes.append(f"- {result.scenario.label}: {result.expected_count:,} × 201 reported by wrk, "
                         f"{result.rows_added:,} rows added: "
                         + ("every 201 committed" if _committed(result) else "**ROWS MISSING**")
                         + (f"; the {extra:,} extra rows are requests in flight when wrk stopped "
                            f"(at most {args.connections} per run)." if extra > 0 else "."))
        if result.unexpected or any(result.errors.values()):
            notes.append(f"- {result.scenario.label}: unexpected statuses {result.unexpected}, "
                         f"wrk errors {result.errors}.")
    header = (
        f"Measured {context['when']} on {context['cpus']} CPU(s), {context['python']}, PostgreSQL "
        f"{context['pg']} on 127.0.0.1 (synchronous_commit={context['sync']}, fsync={context['fsync']}). "
        f"gunicorn: {args.workers} workers, worker_class={context['worker_class']}, threads={context['threads']} "
        f"(gunicorn.conf.py, the same for the service and both ceilings). Load: wrk, {args.connections} "
        f"connections, {args.threads} threads, {args.warmup:g} s warm-up then {args.duration:g} s per scenario"
        + (f"; {args.rounds} interleaved rounds: median run, median of same-round ratios, 201s and rows "
           "summed" if args.rounds > 1 else "")
        + f". Load average (1 min): {context['load']}."
    )
    notes.append("- CPU ms/req: CPU time of the server's processes, of their PostgreSQL backends and of wrk, "
                 "per request; CPU ratio: the ceiling's over the scenario's (median of the rounds). It moves "
                 "far less than req/s with other load on the machine; the targets are on req/s.")
    summary = ", ".join(f"{label}: {'met' if ok else 'missed'}" for label, ok in verdicts)
    return "\n".join([header, "", *lines, "", *notes, "", f"Targets — {summary}.", ""])


def _committed(result: Result) -> bool:
    return result.all_committed and (result.rows_added is None or result.rows_added >= result.expected_count)


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
        servers = [app, bare, insert]
        for server in servers:
            server.start(args.workers)
        app.wait_ready("/healthz")
        bare.wait_ready("/")
        insert.wait_ready("/")  # a GET does not write

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
            Scenario("consents", "POST …/consents → 201", app, "POST", f"/v1/sites/{SITE}/consents", 201,
                     POST_HEADERS, POST_BODIES, ceiling="insert", target=0.9, table="consent_records"),
            Scenario("state", "GET …/consent-state → 200", app, "GET", f"/v1/sites/{SITE}/consent-state", 200,
                     {"User-Agent": USER_AGENT, "Cookie": cookie}, ceiling="bare", target=0.85),
            Scenario("policy", "GET …/policy → 200", app, "GET", policy, 200, BROWSER_HEADERS, ceiling="bare"),
            Scenario("policy304", "GET …/policy, If-None-Match → 304", app, "GET", policy, 304,
                     {**BROWSER_HEADERS, "If-None-Match": etag}, ceiling="bare", target=1.0),
        ]
        if args.only:
            wanted = set(args.only.split(",")) | {"bare", "insert"}
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
