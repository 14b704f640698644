"""The data map: where hosted data about a person lives, access exports, and the one erasure
engine behind account deletions, lease ends, DSAR erasures and retention sweeps."""
from __future__ import annotations

import datetime as dt
import os

from flask import Flask

DEFAULTS = {
    # Rows (or files) per batch of a purge step, each its own transaction; 0: one statement per
    # table. Only the subject's own rows are locked, so batches matter only for huge subjects.
    "PURGE_BATCH_SIZE": 0,
    "PURGE_STEP_LEASE_SECONDS": 120,     # a step not renewed for this long was abandoned by a dead worker
    "PURGE_MAX_ATTEMPTS": 5,             # tries of a step before its store is reported failed
    "PURGE_RETRY_SECONDS": 60,           # first retry delay, doubled after each failed try
    "PURGE_STEPS_PER_PASS": 50,
    "PURGE_BATCH_PAUSE_SECONDS": 0.0,     # tests only: a pause between batches
    "RETENTION_BATCH_SIZE": 20000,
    "RETENTION_BATCHES_PER_PASS": 100,
    "CONSENT_PROOF_RETENTION_MONTHS": 60,
    "CONSENT_OBJECTIONS_CACHE_SECONDS": 3.0,
}


def init_app(app: Flask) -> None:
    """Load and check the data map (a bad one stops the app here), register the API, the
    export download, the CLI, the worker jobs, the demo and the hooks the DSAR workflow and the
    consent state read."""
    from consent_service.cli import register_demo_loader
    from consent_service.extensions import api
    from consent_service.metrics import register_gauges
    from consent_service.worker import register_job

    from . import cli, demo, engine, hooks, loader, metrics, services, views

    for name, value in DEFAULTS.items():
        if name not in app.config:
            raw = os.environ.get(name)
            try:
                app.config[name] = type(value)(raw) if raw else value
            except ValueError:
                raise RuntimeError(f"{name} must be a {type(value).__name__}") from None
    app.extensions["datamap"] = loader.load(app.config.get("DATAMAP_PATH"))

    api.register_blueprint(views.accounts_blp)
    api.register_blueprint(views.purges_blp)
    app.register_blueprint(views.exports_bp)
    app.cli.add_command(cli.datamap_cli)

    register_job(app, "datamap_due_leases", engine.start_due_lease_purges, every=dt.timedelta(hours=1))
    register_job(app, "datamap_purges", engine.run_purges)
    register_job(app, "datamap_retention", engine.run_retention, every=dt.timedelta(hours=1))
    register_gauges(app, "datamap", metrics.gauges)
    register_demo_loader(app, "datamap", demo.load_demo_portal)

    app.extensions.setdefault("dsar_executors", {}).update(hooks.EXECUTORS)
    app.extensions["dsar_identity_verifier"] = services.verify_identity
    app.extensions["account_purged"] = services.account_purged
    app.extensions["consent_objections"] = services.ObjectionCache(app, app.config["CONSENT_OBJECTIONS_CACHE_SECONDS"])
