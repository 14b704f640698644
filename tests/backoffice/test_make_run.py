"""`make run` points e-mailed links (and banner.js) at the address the demo listens on: its
PUBLIC_BASE_URL comes from HOST and PORT unless it is set. `flask` and `gunicorn` are stand-ins
that print what they were given, so nothing is installed, migrated or served."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="make is missing")


def make_run(tmp_path: Path, **env: str) -> str:
    """What `make run` prints with ``env``; the stand-ins print their arguments and PUBLIC_BASE_URL."""
    folder = tmp_path / "bin"
    folder.mkdir()
    for name in ("flask", "gunicorn"):
        script = folder / name
        script.write_text(f'#!/bin/sh\necho "{name} $* PUBLIC_BASE_URL=$PUBLIC_BASE_URL"\n')
        script.chmod(0o755)
    stamp = tmp_path / "installed"
    stamp.touch()  # newer than setup.cfg: the install step has nothing to do
    clean = {key: value for key, value in os.environ.items() if key not in ("PUBLIC_BASE_URL", "HOST", "PORT")}
    # The recipe ends with `kill 0` on exit: its own process group, never the test's.
    done = subprocess.run(["make", "-s", "-C", str(ROOT), "run", f"BIN={folder}", f"STAMP={stamp}"],
                          env={**clean, **env}, capture_output=True, text=True, timeout=60, start_new_session=True)
    assert "gunicorn" in done.stdout, done.stdout + done.stderr
    return done.stdout


def _bases(output: str) -> set[str]:
    return set(re.findall(r"PUBLIC_BASE_URL=(\S+)", output))


def test_the_default_is_port_8000(tmp_path):
    output = make_run(tmp_path)
    assert _bases(output) == {"http://127.0.0.1:8000"}
    assert "--bind 127.0.0.1:8000" in output


def test_another_port_and_host_move_the_links_with_them(tmp_path):
    output = make_run(tmp_path, PORT="8100", HOST="localhost")
    assert _bases(output) == {"http://localhost:8100"}
    assert "--bind localhost:8100" in output and "e-mailed links use   http://localhost:8100" in output


def test_a_public_base_url_that_is_set_is_kept(tmp_path):
    output = make_run(tmp_path, PORT="8100", PUBLIC_BASE_URL="https://rgpd.bailleur.example.fr")
    assert _bases(output) == {"https://rgpd.bailleur.example.fr"} and "--bind 127.0.0.1:8100" in output
