"""Every answer carries an X-Request-Id: the caller's when sane, else a new one."""
import re

import pytest
from flask import g

from consent_service import request_id

HEX_ID = re.compile(r"[0-9a-f]{32}")


def test_an_id_is_generated_when_the_request_has_none(client):
    first = client.get("/healthz").headers["X-Request-Id"]
    second = client.get("/healthz").headers["X-Request-Id"]
    assert HEX_ID.fullmatch(first) and HEX_ID.fullmatch(second)
    assert first != second


@pytest.mark.parametrize("sent", ["abc", "0f0e-42_x.y:z+/=@A", "r" * 128])
def test_a_sane_id_from_the_caller_is_kept(client, sent):
    assert client.get("/healthz", headers={"X-Request-Id": sent}).headers["X-Request-Id"] == sent


@pytest.mark.parametrize("sent", ["", "r" * 129, "has space", "semi;colon", "<script>", "é", "a\tb"])
def test_an_insane_id_from_the_caller_is_replaced(client, sent):
    answered = client.get("/healthz", headers={"X-Request-Id": sent}).headers["X-Request-Id"]
    assert HEX_ID.fullmatch(answered)


@pytest.mark.parametrize("path", ["/v1/no-such-thing", "/no-such-page", "/v1/sites/x/policies"])
def test_error_answers_carry_the_id(client, path):
    response = client.get(path, headers={"X-Request-Id": "trace-1"})
    assert response.status_code in {404, 405}
    assert response.headers["X-Request-Id"] == "trace-1"


def test_the_id_is_on_g_and_current_during_the_request(app, client):
    seen = {}

    @app.get("/probe-request-id")
    def probe():
        seen["g"], seen["current"] = g.request_id, request_id.current()
        return ""

    answered = client.get("/probe-request-id", headers={"X-Request-Id": "probe-7"}).headers["X-Request-Id"]
    assert seen == {"g": "probe-7", "current": "probe-7"} and answered == "probe-7"


def test_no_id_outside_a_request(app):
    assert request_id.current() is None


def test_one_id_per_environ_however_often_asked():
    environ: dict = {}
    assert request_id.for_environ(environ) == request_id.for_environ(environ)
    assert request_id.for_environ({"HTTP_X_REQUEST_ID": "x y"}) != "x y"
