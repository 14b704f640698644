"""GET /metrics: who may read it, the counts kept in the process, the figures read from the
database at scrape time."""
from __future__ import annotations

import datetime as dt
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
import yaml
from prometheus_client.mmap_dict import MmapedDict, mmap_key
from prometheus_client.parser import text_string_to_metric_families

from consent_service import clock, create_app, worker
from consent_service.extensions import db
from consent_service.mail import queue_mail
from consent_service.metrics import HTTP_LATENCY, PROCESS

from ..cookies.helpers import decide, make_site

T0 = dt.datetime(2027, 1, 31, 9, 0, tzinfo=dt.UTC)
OUTSIDE = {"REMOTE_ADDR": "203.0.113.5"}


def scrape(client, **kwargs) -> dict[tuple[str, tuple], float]:
    response = client.get("/metrics", **kwargs)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "text/plain" and response.headers["Cache-Control"] == "no-store"
    return {(sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(response.get_data(as_text=True)) for sample in family.samples}


def value(samples, name, **labels) -> float | None:
    return samples.get((name, tuple(sorted(labels.items()))))


def test_loopback_clients_read_the_metrics(client):
    samples = scrape(client)
    assert value(samples, "consent_database_up") == 1


def test_other_clients_need_a_key_with_the_metrics_scope(client, api_key):
    assert client.get("/metrics", environ_base=OUTSIDE).status_code == 401
    assert client.get("/metrics", environ_base=OUTSIDE, headers=api_key("consents:read")).status_code == 403
    scrape(client, environ_base=OUTSIDE, headers=api_key("metrics:read"))


def test_behind_a_trusted_proxy_the_forwarded_client_is_not_loopback(app_with):
    client = app_with(TRUSTED_PROXY_HOPS=1).test_client()
    assert client.get("/metrics", headers={"X-Forwarded-For": "203.0.113.5"}).status_code == 401


def test_decisions_are_counted_by_site_and_action(client, api_key):
    site = make_site(client, api_key("sites:admin"), key="metrics-site")
    before = PROCESS.get_sample_value("consent_decisions_total", {"site": site, "action": "accept_all"}) or 0
    for action in ("accept_all", "accept_all", "refuse_all"):
        assert decide(client, site, action=action).status_code == 201
    samples = scrape(client)
    assert value(samples, "consent_decisions_total", site=site, action="accept_all") == before + 2
    assert value(samples, "consent_decisions_total", site=site, action="refuse_all") >= 1


def test_every_answer_is_timed_by_route_and_status_class(client):
    labels = {"method": "GET", "route": "/healthz", "status": "2xx"}
    before = PROCESS.get_sample_value("consent_http_request_duration_seconds_count", labels) or 0
    client.get("/healthz")
    client.get("/no-such-page")
    assert PROCESS.get_sample_value("consent_http_request_duration_seconds_count", labels) == before + 1
    assert PROCESS.get_sample_value("consent_http_request_duration_seconds_count",
                                    {"method": "GET", "route": "unmatched", "status": "4xx"}) >= 1
    assert HTTP_LATENCY._labelnames == ("method", "route", "status")


def test_invented_methods_share_one_series(client):
    labels = {"method": "other", "route": "unmatched", "status": "4xx"}
    before = PROCESS.get_sample_value("consent_http_request_duration_seconds_count", labels) or 0
    for made_up in ("BREW", "X-NEW-1", "X-NEW-2"):
        client.open("/no-such-page", method=made_up)
    assert PROCESS.get_sample_value("consent_http_request_duration_seconds_count", labels) == before + 3
    assert PROCESS.get_sample_value("consent_http_request_duration_seconds_count",
                                    {"method": "BREW", "route": "unmatched", "status": "4xx"}) is None


def test_the_database_figures_are_read_at_scrape_time(client):
    clock.set_now(T0)
    samples = scrape(client)
    assert value(samples, "consent_dsar_requests_open") == 0
    assert value(samples, "consent_mail_messages", status="failed") == 0
    assert value(samples, "consent_purges", status="failed") == 0
    assert value(samples, "consent_worker_last_pass_timestamp_seconds") == 0
    assert value(samples, "consent_mail_oldest_queued_age_seconds") == 0

    assert client.post("/v1/dsar/requests", json={"type": "access", "email": "a@example.fr",
                                                  "full_name": "A"}).status_code == 202
    queue_mail(to="b@example.fr", subject="s", text="t")
    db.session.commit()
    clock.set_now(T0 + dt.timedelta(days=40))  # past the one-month deadline
    worker.run_once()  # no SMTP: the mails stay queued
    samples = scrape(client)
    assert value(samples, "consent_dsar_requests_open") == 1
    assert value(samples, "consent_dsar_requests_overdue") == 1
    assert value(samples, "consent_mail_messages", status="queued") >= 2
    assert value(samples, "consent_mail_oldest_queued_age_seconds") == 40 * 86400
    assert value(samples, "consent_worker_last_pass_timestamp_seconds") == (T0 + dt.timedelta(days=40)).timestamp()
    assert value(samples, "consent_worker_job_last_success_timestamp_seconds", job="datamap_retention") == \
        (T0 + dt.timedelta(days=40)).timestamp()


def test_a_failed_purge_shows(app, client, api_key):
    from datamap.models import Purge

    db.session.add(Purge(purge_id="p" * 32, trigger="account_deleted", status="failed", subject_hash="h" * 64,
                         requested_at=clock.now()))
    db.session.commit()
    assert value(scrape(client), "consent_purges", status="failed") == 1


def test_with_the_database_down_the_metrics_still_answer():
    app = create_app({"TESTING": True, "SECRET_KEY": "k",
                      "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://nobody@127.0.0.1:1/none"},
                     environ={"SECRET_KEY": "k"})
    samples = scrape(app.test_client())
    assert value(samples, "consent_database_up") == 0


@pytest.mark.parametrize("authorization", ["Bearer csk_0000000000000000_nope", "Basic dXNlcjpwYXNz", "Bearer "])
def test_a_bad_credential_is_401(client, authorization):
    response = client.get("/metrics", environ_base=OUTSIDE, headers={"Authorization": authorization})
    assert response.status_code == 401 and b"consent_" not in response.data


def alert_rules(document: str) -> list[dict]:
    text = (Path(__file__).resolve().parents[2] / document).read_text(encoding="utf-8")
    return yaml.safe_load(re.search(r"```yaml\n(.*?)```", text, re.S).group(1))["groups"][0]["rules"]


@pytest.mark.parametrize("document", ["README.md", "docs/operations.md"])
def test_the_documented_alert_rules_read_metrics_the_service_exports(client, document):
    rules = alert_rules(document)
    worker.run_once()
    exported = {name for name, _labels in scrape(client)}
    used = {name for rule in rules for name in re.findall(r"\bconsent_[a-z_]+", rule["expr"])}
    assert used and used <= exported
    # what must raise an alarm without mail: overdue requests, failed and stuck mail, failed
    # purges, a stale worker
    assert {"consent_dsar_requests_overdue", "consent_mail_messages", "consent_mail_oldest_queued_age_seconds",
            "consent_purges", "consent_worker_last_pass_timestamp_seconds"} <= used
    assert not any("smtp" in rule["expr"].lower() for rule in rules)


def test_the_readme_and_the_operations_guide_give_the_same_alert_rules():
    assert alert_rules("README.md") == alert_rules("docs/operations.md")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _get(url: str) -> tuple[int, str]:
    with urllib.request.urlopen(url, timeout=5) as answer:
        return answer.status, answer.read().decode()


def test_gunicorn_clears_the_metric_files_of_an_earlier_run_when_it_starts(tmp_path):
    """prometheus-client sums every file of PROMETHEUS_MULTIPROC_DIR: gunicorn.conf.py's
    on_starting removes those of the workers of an earlier run, then the new workers' count."""
    directory = tmp_path / "metrics"
    directory.mkdir()
    stale = directory / "counter_99999.db"
    counts = MmapedDict(str(stale))
    counts.write_value(mmap_key("consent_decisions", "consent_decisions_total", ["site", "action"],
                                ["stale-site", "accept_all"], "Consent decisions."), 41.0, 0.0)
    counts.close()
    (directory / "notes.txt").write_text("not a metric file")
    port = _free_port()
    env = {**{k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG")}, "SECRET_KEY": "k",
           "DATABASE_URL": f"sqlite:///{tmp_path}/x.db", "PROMETHEUS_MULTIPROC_DIR": str(directory)}
    conf = Path(__file__).resolve().parents[2] / "gunicorn.conf.py"
    server = subprocess.Popen([str(Path(sys.executable).with_name("gunicorn")), "--config", str(conf),
                               "--bind", f"127.0.0.1:{port}", "--workers", "2", "consent_service:create_app()"],
                              env=env, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if _get(f"http://127.0.0.1:{port}/healthz")[0] == 200:
                    break
            except OSError:
                assert server.poll() is None and time.monotonic() < deadline, "gunicorn did not start"
                time.sleep(0.2)
        assert not stale.exists() and (directory / "notes.txt").exists()
        for _ in range(4):
            _get(f"http://127.0.0.1:{port}/healthz")
        status, text = _get(f"http://127.0.0.1:{port}/metrics")
        assert status == 200
        samples = {(s.name, tuple(sorted(s.labels.items()))): s.value
                   for family in text_string_to_metric_families(text) for s in family.samples}
        assert not [key for key in samples if ("site", "stale-site") in key[1]]
        answered = sum(value for (name, labels), value in samples.items()
                       if name == "consent_http_request_duration_seconds_count" and ("route", "/healthz") in labels)
        assert answered >= 5  # every worker's count, from the new files
        assert list(directory.glob("*.db"))
    finally:
        server.terminate()
        server.communicate(timeout=30)
