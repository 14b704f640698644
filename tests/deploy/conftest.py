"""Tests that run the service as it is deployed: real processes, from an installed wheel."""
from __future__ import annotations

import os
import socket
import time
import urllib.error
import urllib.request

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
