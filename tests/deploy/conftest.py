"""Tests that run the service as it is deployed: real processes, from an installed wheel."""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from ..conftest import _PG, scratch_postgres

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(url: str, timeout: float = 60.0, status: int = 200) -> None:
    """Poll ``url`` until it answers ``status``."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == status:
                    return
        except urllib.error.HTTPError as err:
            last = err.code
            if err.code == status:
                return
        except OSError as err:
            last = err
        time.sleep(0.2)
    raise AssertionError(f"{url} did not answer {status} in {timeout} s (last: {last})")


@pytest.fixture
def fresh_postgres():
    """An empty PostgreSQL database (its URL); dropped afterwards."""
    if not _PG:
        pytest.skip("needs PostgreSQL")
    with scratch_postgres("consent_deploy") as url:
        yield url


def run(*args: str, env: dict, cwd: Path, timeout: float = 600) -> str:
    done = subprocess.run(args, env=env, cwd=cwd, capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, f"{' '.join(args)}\n{done.stdout[-2000:]}\n{done.stderr[-4000:]}"
    return done.stdout


@pytest.fixture(scope="session")
def installed(tmp_path_factory) -> Path:
    """The README's install steps: the wheel built from the checkout (``pip wheel --no-deps
    --wheel-dir dist .``) and installed into a new virtualenv outside it; the packaging test
    and the deployment test both run the service from there. Its ``dist/`` and ``venv/``."""
    if os.environ.get("TEST_SKIP_PACKAGING") == "1":
        pytest.skip("TEST_SKIP_PACKAGING=1")
    work = tmp_path_factory.mktemp("package")
    env = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "PIP_INDEX_URL", "PIP_CACHE_DIR")}
    shutil.rmtree(Path(ROOT) / "build", ignore_errors=True)  # setuptools' staging area: never reuse a stale one
    run(sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--wheel-dir", str(work / "dist"), ROOT,
        env=env, cwd=work)
    shutil.rmtree(Path(ROOT) / "build", ignore_errors=True)
    wheel, = (work / "dist").glob("consent_service-*.whl")
    run(sys.executable, "-m", "venv", str(work / "venv"), env=env, cwd=work)
    run(str(work / "venv/bin/python"), "-m", "pip", "install", "--quiet", str(wheel), env=env, cwd=work)
    return work
