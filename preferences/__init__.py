"""« Mes préférences »: notification themes, the e-mail channel, direct debit and paperless rent
notices, with the history that proves every choice (docs/preferences.md)."""
from __future__ import annotations

from flask import Flask

from consent_service.cli import register_demo_loader
from consent_service.extensions import api

from . import catalogue, cli, demo, models, views  # noqa: F401  (models: tables for create_all)


def init_app(app: Flask) -> None:
    """Load and check the catalogue (a bad one stops the app here), register the API, the CLI and
    the demo."""
    app.extensions["preferences_catalogue"] = catalogue.load(app.config.get("PREFERENCES_PATH"))
    api.register_blueprint(views.blp)
    app.cli.add_command(cli.preferences_cli)
    register_demo_loader(app, "preferences", demo.load_demo_preferences)
