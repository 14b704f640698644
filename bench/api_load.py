"""Load and measurement for bench/consent_api.py: a scenario, one wrk run of it
(``bench/wrk_report.lua``), the CPU time it cost, and its result."""
from __future__ import annotations

import dataclasses
import json
import os
import resource
import subprocess
import time
from pathlib import Path

from api_servers import BenchError, ScratchDatabase, Server

LUA = Path(__file__).resolve().parent / "wrk_report.lua"


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
    also: str | None = None  # key of a second scenario it is compared with, in a note
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
    also_ratios: list = dataclasses.field(default_factory=list)
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

