"""Figures of the sealed proof for ``/metrics``, read at scrape time (two indexed reads)."""
from __future__ import annotations

from collections.abc import Iterator

from prometheus_client.core import GaugeMetricFamily, Metric
from sqlalchemy import select

from consent_service import clock
from consent_service.extensions import db

from .models import ProofVerification, Seal


def gauges() -> Iterator[Metric]:
    latest = db.session.execute(select(Seal.number, Seal.sealed_at).order_by(Seal.number.desc()).limit(1)).first()
    yield GaugeMetricFamily("consent_seal_latest_number", "Number of the latest seal (0: none yet).",
                            value=latest.number if latest else 0)
    if latest is not None:
        yield GaugeMetricFamily("consent_seal_latest_age_seconds", "Seconds since the latest seal was made.",
                                value=(clock.now() - clock.utc(latest.sealed_at)).total_seconds())
    run = db.session.execute(select(ProofVerification.status).where(
        ProofVerification.status.in_(("passed", "failed"))).order_by(ProofVerification.id.desc()).limit(1)).first()
    yield GaugeMetricFamily("consent_proofs_verification_passed",
                            "1 when the last verification of the proofs passed, 0 when it failed, -1 before any.",
                            value=-1 if run is None else int(run.status == "passed"))
