"""Sealed consent proofs: batches of records under chained Merkle roots, their verification,
inclusion paths for third parties, and the banner bundles that asked (docs/proofs.md)."""
from __future__ import annotations

from flask import Flask

from consent_service.extensions import api
from consent_service.metrics import register_gauges
from consent_service.worker import register_job

from . import cli, jobs, metrics, models, views  # noqa: F401  (models: tables for create_all)


def init_app(app: Flask) -> None:
    api.register_blueprint(views.proofs_blp)
    app.cli.add_command(cli.proofs_cli)
    register_job(app, "seal_proofs", jobs.seal_job, every=app.config["SEAL_INTERVAL_SECONDS"])
    register_job(app, "verify_proofs", jobs.verification_job)
    register_gauges(app, "proofs", metrics.gauges)
