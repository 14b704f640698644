"""Log lines carry the request id; LOG_FORMAT=json writes one object per line."""
from __future__ import annotations

import io
import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

from consent_service import logs

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def captured(app):
    """Lines the app's loggers write, through the service's handler, in the given format."""
    streams = []

    def attach(log_format: str) -> io.StringIO:
        stream = io.StringIO()
        handler = logs.handler(log_format, stream)
        logging.getLogger().addHandler(handler)
        streams.append(handler)
        return stream

    @app.get("/test-logs")
    def logging_view():
        logging.getLogger("consent_service.test").warning("request %s seen", 42)
        return "ok"

    yield attach
    for handler in streams:
        logging.getLogger().removeHandler(handler)


def test_json_lines_carry_the_request_id_of_the_answer(app, captured):
    stream = captured("json")
    response = app.test_client().get("/test-logs", headers={"X-Request-Id": "portal-abc-123"})
    assert response.headers["X-Request-Id"] == "portal-abc-123"
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    mine = [line for line in lines if line["logger"] == "consent_service.test"]
    assert mine == [{"time": mine[0]["time"], "level": "WARNING", "logger": "consent_service.test",
                     "message": "request 42 seen", "request_id": "portal-abc-123"}]


def test_a_generated_request_id_is_the_one_logged(app, captured):
    stream = captured("json")
    response = app.test_client().get("/test-logs")
    logged = [json.loads(line) for line in stream.getvalue().splitlines()][-1]
    assert logged["request_id"] == response.headers["X-Request-Id"] and len(logged["request_id"]) == 32


def test_text_lines_carry_the_request_id_too(app, captured):
    stream = captured("text")
    app.test_client().get("/test-logs", headers={"X-Request-Id": "trace-7"})
    assert "WARNING consent_service.test [trace-7] request 42 seen" in stream.getvalue()


def test_outside_a_request_the_id_is_a_dash(app, captured):
    stream = captured("json")
    logging.getLogger("consent_service.worker").info("worker pass")
    logging.getLogger("consent_service.worker").warning("worker pass")
    assert json.loads(stream.getvalue().splitlines()[-1])["request_id"] == "-"


def test_an_exception_stays_on_one_json_line(app, captured):
    stream = captured("json")
    try:
        raise ValueError("boom")
    except ValueError:
        logging.getLogger("consent_service.test").exception("failed")
    line, = stream.getvalue().splitlines()
    assert "ValueError: boom" in json.loads(line)["exception"]


def test_log_format_json_from_the_environment_configures_the_process(tmp_path):
    script = ("import logging; from consent_service import create_app; "
              "create_app(environ={'SECRET_KEY': 'k', 'LOG_FORMAT': 'json', "
              f"'DATABASE_URL': 'sqlite:///{tmp_path}/x.db'}}); logging.getLogger('probe').warning('hello')")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60, cwd=ROOT,
                          env={k: v for k, v in os.environ.items() if k in ("PATH", "HOME")})
    assert done.returncode == 0, done.stderr
    last = json.loads(done.stderr.strip().splitlines()[-1])
    assert last["message"] == "hello" and last["request_id"] == "-" and last["logger"] == "probe"
