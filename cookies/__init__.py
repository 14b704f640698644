"""Cookie consent: sites, versioned policies, proof of consent, signed cookies, the banner."""
from __future__ import annotations

import datetime as dt

from flask import Flask

from consent_service.cli import register_demo_loader
from consent_service.extensions import PING_AFTER_IDLE_SECONDS, api, db
from consent_service.worker import register_job

from . import cli, demo, examples, hot, integration, pages, partitions, views
from .group_commit import GroupCommit


def init_app(app: Flask) -> None:
    api.register_blueprint(views.sites_blp)
    api.register_blueprint(views.consent_blp)
    app.register_blueprint(pages.pages_blp)
    app.register_blueprint(integration.kit_blp)
    app.register_blueprint(examples.examples_blp)
    app.cli.add_command(cli.policy_cli)
    app.cli.add_command(cli.sites_cli)
    hot.install(app)
    register_demo_loader(app, "cookies", demo.load_demo_site)
    register_job(app, "proof_partitions", partitions.ensure_months, every=dt.timedelta(hours=1))
    # Each batch of proofs is one INSERT in autocommit: committed (durably) when it returns.
    app.extensions["proof_writer"] = GroupCommit(
        lambda: db.engine.connect().execution_options(isolation_level="AUTOCOMMIT"),
        ping_after=PING_AFTER_IDLE_SECONDS)
