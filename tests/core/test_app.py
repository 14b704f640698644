"""The application shell: health, error shape, limits, headers, configuration."""
import logging

from sqlalchemy.exc import OperationalError

from consent_service import create_app


def test_healthz_answers_without_the_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.get_json() == {"status": "ok"}


def test_readyz_is_200_when_the_database_answers(client):
    assert client.get("/readyz").status_code == 200


def test_readyz_is_503_when_the_database_is_unreachable(tmp_path):
    app = create_app({"TESTING": True, "SECRET_KEY": "k",
                      "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://nobody@127.0.0.1:1/none"},
                     environ={"SECRET_KEY": "k"})
    response = app.test_client().get("/readyz")
    assert response.status_code == 503


def test_api_answers_503_in_the_error_shape_when_the_database_is_down():
    app = create_app({"TESTING": True, "SECRET_KEY": "k",
                      "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://nobody@127.0.0.1:1/none"},
                     environ={"SECRET_KEY": "k"})
    response = app.test_client().post("/v1/sites/espace-locataire/consents", json={"action": "accept_all"})
    assert response.status_code == 503
    assert response.get_json()["code"] == 503 and response.get_json()["status"] == "Service Unavailable"
    assert response.headers["Retry-After"]


def test_unknown_api_route_is_a_json_404(client):
    response = client.get("/v1/nothing-here")
    assert response.status_code == 404
    assert response.get_json() == {"code": 404, "status": "Not Found", "message": response.get_json()["message"]}


def test_wrong_method_is_a_json_405_with_allow(client):
    response = client.delete("/v1/sites")
    assert response.status_code == 405
    assert response.get_json()["code"] == 405
    assert "POST" in response.headers["Allow"]


def test_unknown_html_route_is_an_html_404(client):
    response = client.get("/no-such-page", headers={"Accept": "text/html"})
    assert response.status_code == 404
    assert response.mimetype == "text/html" and b"404" in response.data


def test_body_over_64_kib_is_413(client):
    response = client.post("/v1/sites/espace-locataire/consents", data=b"{" + b" " * 70_000 + b"}",
                           content_type="application/json")
    assert response.status_code == 413
    assert response.get_json()["status"] == "Request Entity Too Large"


def test_missing_credential_is_401_with_bearer_challenge(client):
    response = client.post("/v1/sites", json={})
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"


def test_an_unexpected_error_is_a_json_500_without_details(app, client, caplog):
    @app.get("/v1/boom")
    def boom():
        raise RuntimeError("secret detail jean.dupont@example.fr")

    with caplog.at_level(logging.ERROR):
        response = client.get("/v1/boom")
    assert response.status_code == 500
    assert response.get_json() == {"code": 500, "status": "Internal Server Error"}
    assert b"secret" not in response.data


def test_operational_errors_become_503(app, client):
    @app.get("/v1/db-gone")
    def gone():
        raise OperationalError("SELECT 1", {}, Exception("connection refused"))

    assert client.get("/v1/db-gone").status_code == 503


def test_security_headers_on_every_response(client):
    for path in ("/healthz", "/v1/openapi.json", "/missing"):
        headers = client.get(path).headers
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["X-Frame-Options"] == "DENY"
        assert headers["Referrer-Policy"] == "same-origin"
        assert "Content-Security-Policy" in headers
        assert "unsafe-inline" not in headers["Content-Security-Policy"]


def test_hsts_only_when_served_over_https(make_app):
    plain = make_app()
    assert "Strict-Transport-Security" not in plain.test_client().get("/healthz").headers
    secure = make_app(SECURE_COOKIES=True)
    assert "max-age" in secure.test_client().get("/healthz").headers["Strict-Transport-Security"]


def test_openapi_lists_every_v1_endpoint(client):
    spec = client.get("/v1/openapi.json").get_json()
    assert spec["openapi"].startswith("3.")
    for path in ("/v1/sites", "/v1/sites/{site}/policies", "/v1/sites/{site}/policy",
                 "/v1/sites/{site}/policies/{version}", "/v1/sites/{site}/policy/lint",
                 "/v1/sites/{site}/consents", "/v1/sites/{site}/consent-state", "/v1/consents/{consent_id}",
                 "/v1/consents", "/v1/accounts/{account_id}/visitors"):
        assert path in spec["paths"], path
    assert spec["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"


def test_proxy_hops_decide_the_client_address():
    from flask import request
    from werkzeug.middleware.proxy_fix import ProxyFix

    for hops, expected in ((0, "127.0.0.1"), (1, "198.51.100.7")):
        application = create_app({"TESTING": True, "SECRET_KEY": "k", "SQLALCHEMY_DATABASE_URI": "sqlite://"},
                                 environ={"SECRET_KEY": "k", "TRUSTED_PROXY_HOPS": str(hops)})
        # inside the metrics timer and the layer that makes the request id current
        assert isinstance(application.wsgi_app.wsgi_app.wsgi_app, ProxyFix) == bool(hops)

        @application.get("/whoami")
        def whoami():
            return request.remote_addr

        response = application.test_client().get("/whoami", headers={"X-Forwarded-For": "198.51.100.7"})
        assert response.get_data(as_text=True) == expected
