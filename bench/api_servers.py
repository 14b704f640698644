"""Processes and the scratch database of bench/consent_api.py: wrk, the gunicorn servers
(the service and the two ceilings of ``bench/ceilings.py``), a PostgreSQL database made and
dropped for the run."""
from __future__ import annotations

import dataclasses
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GUNICORN_CONF = ROOT / "gunicorn.conf.py"
HOST = "127.0.0.1"


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
