"""Data-subject requests: intake, identity, deadlines, the DPO workflow and its e-mails."""
from __future__ import annotations

import datetime as dt

from flask import Flask

from consent_service import hooks
from consent_service.cli import register_demo_loader
from consent_service.extensions import api
from consent_service.metrics import register_gauges
from consent_service.worker import register_job

from . import demo, jobs, metrics, models, pages, rights_form, views


def init_app(app: Flask) -> None:
    api.register_blueprint(views.blp)
    app.register_blueprint(pages.pages)
    app.register_blueprint(rights_form.rights_pages)
    register_job(app, "dsar_reminders", jobs.send_reminders, every=dt.timedelta(minutes=15))
    register_job(app, "dsar_digest", jobs.send_digest, every=dt.timedelta(minutes=5))
    register_gauges(app, "dsar", metrics.gauges)
    register_demo_loader(app, "dsar", demo.load_demo_requests)
    hooks.DSAR_EXECUTORS.require(app, models.TYPES)  # start-up fails unless each type can be executed
