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
    # CSRF is checked by the back-office's own hook (views.base._check_csrf), never on the JSON
    # API's POSTs: Flask-WTF's app-wide hook is switched off and taken out of every request.
    app.config.setdefault("WTF_CSRF_CHECK_DEFAULT", False)
    csrf.init_app(app)
    before = app.before_request_funcs.setdefault(None, [])
    before[:] = [f for f in before if getattr(f, "__name__", "") != "csrf_protect"]
    login_manager.init_app(app, add_context_processor=False)
    _only_on_backoffice_paths(app, login_manager._update_remember_cookie)
    login_manager.session_protection = "strong"
    login_manager.user_loader(users.get_user)
    app.before_request(views.guard)
    app.register_blueprint(views.bp)
    app.cli.add_command(cli.dpo_cli)
    register_demo_loader(app, "backoffice", demo.load_demo_users)


def _only_on_backoffice_paths(app: Flask, hook) -> None:
    """Flask-Login reads the session after every response; reading it makes Flask add
    ``Vary: Cookie``, which would stop shared caches from keeping the public policy and
    banner.js. Outside the back-office there is no session to look at."""
    from flask import request

    after = app.after_request_funcs.setdefault(None, [])

    def on_backoffice_only(response):
        if request.path == "/backoffice" or request.path.startswith("/backoffice/"):
            return hook(response)
        return response

    after[:] = [on_backoffice_only if f == hook else f for f in after]
