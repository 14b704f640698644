"""``GET /metrics``: Prometheus text format (prometheus-client), for loopback clients or a key
with the scope ``metrics:read`` (docs/operations.md).

Two kinds of figures:

- counted in the process, cheaply, on the hot paths: decisions by site and action, and the
  HTTP latency histogram (a WSGI wrapper outside everything, so the hot consent handlers are
  timed too). With several gunicorn workers set ``PROMETHEUS_MULTIPROC_DIR`` in the process
  environment: prometheus-client then keeps the counts in files that every worker sums.
- read from the database at scrape time, so they are the same whichever process answers and
  cost nothing per request: open and overdue requests, mail by status and the age of the
  oldest queued mail, purges by status, the workers' last finished pass. Features add theirs
  with :func:`register_gauges`.
"""
from __future__ import annotations

import functools
import ipaddress
import logging
import re
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from flask import Flask, Response, current_app, request
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from sqlalchemy import func

from . import apikeys, clock, worker
from .extensions import db
from .mail import STATUSES as MAIL_STATUSES
from .mail import OutboxMessage

log = logging.getLogger(__name__)

SCOPE = "metrics:read"
ROUTE_KEY = "consent_service.route"
PROCESS = CollectorRegistry(auto_describe=True)
DECISIONS = Counter("consent_decisions", "Consent decisions recorded, by site and action.", ["site", "action"],
                    registry=PROCESS)
HTTP_LATENCY = Histogram(
    "consent_http_request_duration_seconds", "Time to answer an HTTP request, by method, route and status class.",
    ["method", "route", "status"], registry=PROCESS,
    buckets=(0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0))
HTTP_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
# Answered by the hot handlers without Flask's routing: named like their Flask rules.
HOT_ROUTES = re.compile(r"^/v1/sites/[^/]+/(policy|consent-state|consents)$")

Gauges = Callable[[], Iterable[Metric]]


def count_decision(site: str, action: str) -> None:
    """One decision recorded (a counter increment: no I/O on the hot path)."""
    DECISIONS.labels(site, action).inc()


def register_gauges(app: Flask, name: str, gauges: Gauges) -> None:
    """Add figures read from the database at scrape time (``gauges()`` yields metric families)."""
    app.extensions.setdefault("metrics_gauges", {})[name] = gauges


class TimedApp:
    """WSGI wrapper observing each answer's latency, from the call to the status line."""

    def __init__(self, wsgi_app: Callable[..., Iterable[bytes]]):
        self.wsgi_app = wsgi_app

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        started = time.perf_counter()

        def timed_start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            _latency(_method(environ), _route(environ), status[:1] + "xx").observe(
                time.perf_counter() - started)
            return start_response(status, headers, exc_info) if exc_info else start_response(status, headers)

        return self.wsgi_app(environ, timed_start_response)


def _method(environ: dict[str, Any]) -> str:
    """The request's method as a label: a client inventing methods must not invent series."""
    method = environ.get("REQUEST_METHOD", "")
    return method if method in HTTP_METHODS else "other"


@functools.lru_cache(maxsize=1024)
def _latency(method: str, route: str, status: str) -> Any:
    """The histogram's child for these labels, looked up once (``labels()`` takes a lock and
    builds a key on every call; this runs on every request, the hot ones included)."""
    return HTTP_LATENCY.labels(method, route, status)


def _route(environ: dict[str, Any]) -> str:
    route = environ.get(ROUTE_KEY)
    if route:
        return str(route)
    hot = HOT_ROUTES.match(environ.get("PATH_INFO", ""))
    return f"/v1/sites/<site>/{hot.group(1)}" if hot else "unmatched"


def _note_route() -> None:
    request.environ[ROUTE_KEY] = request.url_rule.rule if request.url_rule else "unmatched"


class _Scrape:
    """What one scrape shows: the process's (or all workers') counts, then the database's figures."""

    def __init__(self, app: Flask):
        self.app = app

    def collect(self) -> Iterator[Metric]:
        multiprocess_dir = self.app.config["PROMETHEUS_MULTIPROC_DIR"]
        if multiprocess_dir:
            counted = CollectorRegistry()
            MultiProcessCollector(counted, path=multiprocess_dir)  # type: ignore[no-untyped-call]
            yield from counted.collect()
        else:
            yield from PROCESS.collect()
        up = GaugeMetricFamily("consent_database_up", "1 when the database answered this scrape.")
        try:
            families = [family for gauges in self.app.extensions.get("metrics_gauges", {}).values()
                        for family in gauges()]
            answered = 1
        except Exception as err:
            log.warning("metrics: the database did not answer (%s)", type(err).__name__)
            families, answered = [], 0
        finally:
            db.session.rollback()  # read-only: end the transaction
        up.add_metric([], answered)
        yield up
        yield from families


def counts_by_status(name: str, documentation: str, status_column: Any, statuses: Iterable[str]) -> Metric:
    """A gauge per status (0 for a status no row has, so alert rules always find the series)."""
    found = dict(db.session.execute(db.select(status_column, func.count()).group_by(status_column)).tuples().all())
    family = GaugeMetricFamily(name, documentation, labels=["status"])
    for status in statuses:
        family.add_metric([status], found.get(status, 0))
    return family


def _core_gauges() -> Iterator[Metric]:
    yield counts_by_status("consent_mail_messages", "Outbox mails by status.", OutboxMessage.status, MAIL_STATUSES)
    oldest = db.session.execute(db.select(func.min(OutboxMessage.created_at))
                                .where(OutboxMessage.status.in_(("queued", "sending")))).scalar()
    yield GaugeMetricFamily("consent_mail_oldest_queued_age_seconds",
                            "Age of the oldest mail not yet sent (0 when none waits).",
                            value=(clock.now() - clock.utc(oldest)).total_seconds() if oldest else 0)
    last_pass = worker.last_finished_pass()
    yield GaugeMetricFamily("consent_worker_last_pass_timestamp_seconds",
                            "When a worker last finished a pass (Unix time; 0: never).",
                            value=clock.utc(last_pass).timestamp() if last_pass else 0)
    finished = GaugeMetricFamily("consent_worker_job_last_success_timestamp_seconds",
                                 "When each scheduled worker job last finished without error (Unix time).",
                                 labels=["job"])
    for name, moment in db.session.execute(db.select(worker.WorkerJob.name, worker.WorkerJob.last_finished_at)
                                           .where(worker.WorkerJob.last_finished_at.is_not(None))).tuples():
        finished.add_metric([name], clock.utc(moment).timestamp())
    yield finished


def _require_access() -> None:
    """Loopback clients read freely; anyone else needs a key with ``metrics:read`` (else 401/403)."""
    try:
        if ipaddress.ip_address(request.remote_addr or "").is_loopback:
            return
    except ValueError:
        pass
    apikeys.current_key(SCOPE)


def init_app(app: Flask) -> None:
    """The /metrics route, the route names of the latency histogram, and the outermost timer
    (call last in create_app, so the hot handlers are inside it)."""
    app.before_request_funcs.setdefault(None, []).insert(0, _note_route)
    register_gauges(app, "core", _core_gauges)

    @app.get("/metrics")
    def metrics() -> Response:
        _require_access()
        registry = CollectorRegistry(auto_describe=False)
        registry.register(_Scrape(current_app._get_current_object()))  # type: ignore[attr-defined]
        return Response(generate_latest(registry), mimetype=CONTENT_TYPE_LATEST,
                        headers={"Cache-Control": "no-store"})

    app.wsgi_app = TimedApp(app.wsgi_app)  # type: ignore[method-assign]
