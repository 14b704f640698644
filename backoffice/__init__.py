"""The DPO back-office: server-rendered pages under ``/backoffice/`` (docs/backoffice.md)."""
from __future__ import annotations

from flask import Flask
from flask_login import LoginManager
from flask_wtf.csrf import CSRFProtect

login_manager = LoginManager()
csrf = CSRFProtect()


def init_app(app: Flask) -> None:
    """Sessions, CSRF, the pages, the guard in front of every back-office path, the CLI."""
    from consent_service.cli import register_demo_loader

    from . import cli, demo, models, services, views  # noqa: F401  (models: tables for create_all)
    from .services import users

    # The Flask session only serves the back-office: scope it there and harden its cookie.
    app.config.update(SESSION_COOKIE_NAME="backoffice_session", SESSION_COOKIE_PATH="/backoffice",
                      SESSION_COOKIE_HTTPONLY=True, SESSION_COOKIE_SAMESITE="Strict",
                      SESSION_COOKIE_SECURE=bool(app.config.get("SECURE_COOKIES")),
                      REMEMBER_COOKIE_SECURE=bool(app.config.get("SECURE_COOKIES")),
                      REMEMBER_COOKIE_HTTPONLY=True, REMEMBER_COOKIE_SAMESITE="Strict")
    # CSRF is checked by the back-office's own hook (views.base._check_csrf, csrf.protect()),
    # never on the JSON API's POSTs: Flask-WTF's documented switch turns its app-wide check off.
    app.config.setdefault("WTF_CSRF_CHECK_DEFAULT", False)
    csrf.init_app(app)
    # Flask-Login looks at the session after every answer; the session interface keeps that
    # from adding Vary: Cookie outside /backoffice (consent_service.extensions.LazySessionInterface).
    login_manager.init_app(app, add_context_processor=False)
    login_manager.session_protection = "strong"
    login_manager.user_loader(users.get_user)
    app.before_request(views.guard)
    app.register_blueprint(views.bp)
    app.cli.add_command(cli.dpo_cli)
    register_demo_loader(app, "backoffice", demo.load_demo_users)
