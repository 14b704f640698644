"""Data-subject requests: intake, identity, deadlines, the DPO workflow and its e-mails."""
from __future__ import annotations

import datetime as dt

from flask import Flask


def init_app(app: Flask) -> None:
    from consent_service.cli import register_demo_loader
    from consent_service.extensions import api
    from consent_service.metrics import register_gauges
    from consent_service.worker import register_job

    from . import demo, jobs, metrics, models, pages, retention, services, views  # noqa: F401  (models: tables for create_all)

    app.config.setdefault("DSAR_EMAIL_RATE_LIMIT", "5 per hour")
    app.config.setdefault("DSAR_DIGEST_HOUR", 7)
    months = app.config.setdefault("DSAR_RETENTION_MONTHS", retention.DEFAULT_RETENTION_MONTHS)
    if type(months) is not int or months < 1:  # 0 would delete a request the day it closes
        raise RuntimeError("DSAR_RETENTION_MONTHS must be a whole number of months, at least 1")
    api.register_blueprint(views.blp)
    app.register_blueprint(pages.pages)
    register_job(app, "dsar_reminders", jobs.send_reminders, every=dt.timedelta(minutes=15))
    register_job(app, "dsar_digest", jobs.send_digest, every=dt.timedelta(minutes=5))
    register_gauges(app, "dsar", metrics.gauges)
    register_demo_loader(app, "dsar", demo.load_demo_requests)
    app.extensions["dsar_subject_requests"] = services.subject_requests
