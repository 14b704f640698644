"""Figures of the request workflow for ``/metrics``, read at scrape time."""
from __future__ import annotations

from collections.abc import Iterator

from prometheus_client.core import GaugeMetricFamily, Metric
from sqlalchemy import func

from consent_service import clock
from consent_service.extensions import db

from .models import OPEN_STATUSES, DsarRequest


def gauges() -> Iterator[Metric]:
    opened = DsarRequest.status.in_(OPEN_STATUSES)
    count = db.select(func.count()).select_from(DsarRequest)
    yield GaugeMetricFamily("consent_dsar_requests_open", "Data-subject requests not yet closed.",
                            value=db.session.execute(count.where(opened)).scalar_one())
    overdue = db.session.execute(count.where(opened, DsarRequest.due_at < clock.now())).scalar_one()
    yield GaugeMetricFamily("consent_dsar_requests_overdue", "Open data-subject requests past their due date.",
                            value=overdue)
