"""What the service relies on from Flask-Limiter, Flask-WTF, Flask-Login and Flask's session
interface, each checked on a bare Flask app through the libraries' public APIs: an upgrade that
changes one of these fails here, by name, before it fails somewhere in the service."""
from __future__ import annotations

import flask
import pytest
from flask_limiter import Limiter, RequestLimit
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_wtf.csrf import CSRFProtect

from consent_service.extensions import LazySessionInterface


def bare_app(**config) -> flask.Flask:
    app = flask.Flask(__name__)
    app.config.update(SECRET_KEY="k", TESTING=True, RATELIMIT_STORAGE_URI="memory://", **config)
    return app


def test_limiter_decorated_limits_deduct_when_and_exempt_when_and_current_limit():
    app = bare_app()
    limiter = Limiter(get_remote_address, app=app, headers_enabled=False)
    off = {"value": False}
    seen: list[RequestLimit | None] = []

    @app.post("/form")
    @limiter.limit("2 per minute", exempt_when=lambda: off["value"],
                   deduct_when=lambda response: response.status_code == 202)
    def form():
        return "", 202 if flask.request.args.get("ok") else 422

    @app.after_request
    def remember(response):
        seen.append(limiter.current_limit)
        return response

    client = app.test_client()
    assert [client.post("/form").status_code for _ in range(3)] == [422, 422, 422]  # refused: not counted
    assert [client.post("/form?ok=1").status_code for _ in range(3)] == [202, 202, 429]
    assert seen[-2] is not None and seen[-2].limit.amount == 2 and seen[-2].remaining == 0
    assert isinstance(seen[-2].reset_at, int)
    off["value"] = True
    assert client.post("/form?ok=1").status_code == 202  # exempt_when wins


def test_limiter_without_limits_adds_no_header_when_headers_are_off():
    app = bare_app()
    Limiter(get_remote_address, app=app, headers_enabled=False)
    app.add_url_rule("/plain", "plain", lambda: "ok")
    response = app.test_client().get("/plain")
    assert response.status_code == 200 and not any(h.startswith("X-RateLimit") for h in response.headers.keys())


@pytest.mark.parametrize("check_default, expected", [(False, 200), (True, 400)])
def test_flask_wtf_checks_every_post_only_when_told_to(check_default, expected):
    app = bare_app(WTF_CSRF_CHECK_DEFAULT=check_default)
    CSRFProtect(app)
    app.add_url_rule("/v1/json", "json", lambda: "ok", methods=["POST"])
    assert app.test_client().post("/v1/json", json={}).status_code == expected


def test_flask_wtf_protect_refuses_a_post_without_its_token():
    app = bare_app(WTF_CSRF_CHECK_DEFAULT=False)
    csrf = CSRFProtect(app)

    @app.post("/form")
    def form():
        csrf.protect()
        return "ok"

    assert app.test_client().post("/form", data={}).status_code == 400


def test_flask_login_reads_the_session_after_each_answer_and_the_session_interface_keeps_vary_off():
    """Flask-Login's after-request hook looks at the session (which alone would add
    ``Vary: Cookie``); outside SESSION_COOKIE_PATH our session interface leaves no trace."""
    app = bare_app(SESSION_COOKIE_PATH="/backoffice")
    LoginManager(app)
    app.add_url_rule("/public", "public", lambda: "ok")
    app.add_url_rule("/backoffice/page", "page", lambda: "ok")
    stock = app.test_client().get("/public")
    assert "Cookie" in stock.headers.get("Vary", "")  # the library's behaviour this works around
    app.session_interface = LazySessionInterface()
    assert "Cookie" not in app.test_client().get("/public").headers.get("Vary", "")
    assert "Cookie" in app.test_client().get("/backoffice/page").headers.get("Vary", "")
