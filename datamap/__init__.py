"""The data map: where hosted data about a person lives, access exports, and the one erasure
engine behind account deletions, lease ends, DSAR erasures and retention sweeps."""
from __future__ import annotations

import datetime as dt

from flask import Flask

from consent_service import hooks
from consent_service.cli import register_demo_loader
from consent_service.extensions import api
from consent_service.metrics import register_gauges
from consent_service.worker import register_job

from . import cli, demo, engine, executors, identity, loader, metrics, purge_start, services, sweeps, views


def init_app(app: Flask) -> None:
    """Load and check the data map (a bad one stops the app here), register the API, the
    export download, the CLI, the worker jobs, the demo and the hooks the DSAR workflow and the
    consent state read."""
    app.extensions["datamap"] = loader.load(app.config.get("DATAMAP_PATH"))

    api.register_blueprint(views.accounts_blp)
    api.register_blueprint(views.purges_blp)
    app.register_blueprint(views.exports_bp)
    app.cli.add_command(cli.datamap_cli)
    app.cli.add_command(cli.purges_cli)

    register_job(app, "datamap_due_leases", purge_start.start_due_lease_purges, every=dt.timedelta(hours=1))
    register_job(app, "datamap_purges", engine.run_purges)
    register_job(app, "datamap_retention", sweeps.run_retention, every=dt.timedelta(hours=1))
    register_gauges(app, "datamap", metrics.gauges)
    register_demo_loader(app, "datamap", demo.load_demo_portal)

    for type_, executor in executors.EXECUTORS.items():
        hooks.DSAR_EXECUTORS.register(app, type_, executor)
    hooks.IDENTITY_VERIFIER.register(app, identity.verify_identity)
    hooks.ADDRESS_CHECK.register(app, identity.check_address)
    hooks.ACCOUNT_PURGED.register(app, services.account_purged)
    hooks.CONSENT_OBJECTIONS.register(app, services.ObjectionCache(app, app.config["CONSENT_OBJECTIONS_CACHE_SECONDS"]))
