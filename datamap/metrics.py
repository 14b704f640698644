"""Figures of the erasure engine for ``/metrics``, read at scrape time."""
from __future__ import annotations

from collections.abc import Iterator

from prometheus_client.core import Metric

from consent_service.metrics import counts_by_status

from .models import PURGE_STATUSES, Purge


def gauges() -> Iterator[Metric]:
    yield counts_by_status("consent_purges", "Purges (account deletions, lease ends, erasures, retention) by status.",
                           Purge.status, PURGE_STATUSES)
