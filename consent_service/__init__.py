"""The consent service: cookie consent with proof, data-subject rights, provable purges."""
from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from types import ModuleType
from typing import Any

from flask import Flask, Response, jsonify
from sqlalchemy import text
from werkzeug.middleware.proxy_fix import ProxyFix

from . import (
    cli,
    config,
    errors,
    hooks,
    input_guard,
    log_redaction,
    logs,
    mail,
    metrics,
    ratelimit,
    request_id,
    security_headers,
)
from .extensions import LazySessionInterface, api, cached_ensure_sync, db, limiter, migrate


def create_app(config_overrides: Mapping[str, Any] | None = None, environ: Mapping[str, str] | None = None) -> Flask:
    """Build the application from ``environ`` (default: the process environment);
    ``config_overrides`` wins over both."""
    app = Flask(__name__, instance_relative_config=True)
    app.session_interface = LazySessionInterface()
    app.ensure_sync = cached_ensure_sync(app.ensure_sync)  # type: ignore[method-assign, assignment]
    settings = config.load(environ, config_overrides, app.instance_path)  # SettingsError names each bad variable
    app.config.update(config.defaults())
    app.config.update(settings.config)
    app.config.update(config_overrides or {})
    app.extensions["settings"] = settings
    app.json.sort_keys = False  # type: ignore[attr-defined]  # the default provider has it
    logs.configure(app.config["LOG_FORMAT"])
    log_redaction.install()  # libraries that log request data (the rate limiter's key) are redacted

    hops = app.config["TRUSTED_PROXY_HOPS"]
    if hops:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)  # type: ignore[method-assign]

    request_id.init_app(app)  # first: every other hook's log lines carry the id
    db.init_app(app)
    migrate.init_app(app, db, directory=str(_migrations_dir()))
    limiter.init_app(app)
    ratelimit.init_app(app)
    api.init_app(app)
    api.spec.components.security_scheme("bearerAuth", {"type": "http", "scheme": "bearer"})
    errors.init_app(app)
    input_guard.init_app(app)  # before any blueprint: its integer converter must exist when routes compile
    security_headers.init_app(app)
    cli.init_app(app)
    _health(app)

    for feature in _features():
        feature.init_app(app)
    mail.init_app(app)  # last: a worker pass sends the mail its other jobs queued
    hooks.check(app)  # a required hook nobody registered stops the start here
    request_id.install(app)  # around the hot handlers too: their log lines carry the answer's id
    metrics.init_app(app)  # last: its timer wraps every handler, the hot ones included
    return app


def _features() -> tuple[ModuleType, ...]:
    """The feature packages, in the order they register (imported here: each imports the core)."""
    import backoffice
    import cookies
    import datamap
    import dsar
    import preferences
    import proofs

    return cookies, dsar, datamap, backoffice, proofs, preferences


def _migrations_dir() -> Path:
    """The Alembic history shipped inside the package (in a checkout, a link to migrations/)."""
    return Path(__file__).resolve().parent / "migrations"


def _health(app: Flask) -> None:
    @app.get("/healthz")
    def healthz() -> Response:
        return jsonify(status="ok")

    @app.get("/readyz")
    def readyz() -> Response | tuple[Response, int]:
        try:
            db.session.execute(text("SELECT 1"))
        except Exception:
            db.session.rollback()
            return jsonify(status="database unreachable"), 503
        finally:
            db.session.remove()
        return jsonify(status="ready")
