"""The service under gunicorn with its access log on (as `make run` runs it): a request walked
from intake to the export download, a rate limit exceeded, and no log line (access log,
error log, the application's and the rate limiter's lines) holds a token, an e-mail address,
a visitor id or the client's full address."""
from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from consent_service import apikeys
from consent_service.extensions import db
from consent_service.log_redaction import redact_path, redact_text, truncate_ip
from consent_service.mail import OutboxMessage

from ..dsar.helpers import free_port
from .conftest import TENANTS

ROOT = Path(__file__).resolve().parents[2]
CLIENT_IP = "203.0.113.77"
ADDRESS = TENANTS["A1001"][1]


def _wait_until_up(url: str, process: subprocess.Popen) -> None:
    for _ in range(150):
        if process.poll() is not None:
            raise RuntimeError("gunicorn stopped")
        try:
            if requests.get(url + "/healthz", timeout=10).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)
    raise RuntimeError("gunicorn did not answer")


@pytest.fixture
def service(app, portal, database_url, tmp_path):
    """gunicorn with gunicorn.conf.py and an access log, on the test database and data map."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    logs = {name: tmp_path / f"{name}.log" for name in ("access", "error", "output")}
    env = {**os.environ, "DATABASE_URL": database_url, "SECRET_KEY": "logs-test-key", "PUBLIC_BASE_URL": base,
           "DATAMAP_PATH": str(portal.map_path), "TRUSTED_PROXY_HOPS": "1", "WEB_CONCURRENCY": "1",
           "DSAR_EMAIL_RATE_LIMIT": "2 per hour", "LOG_FORMAT": "text"}
    with open(logs["output"], "wb") as output:
        process = subprocess.Popen(
            [str(Path(sys.executable).parent / "gunicorn"), "--config", "gunicorn.conf.py",
             "--bind", f"127.0.0.1:{port}",
             "--access-logfile", str(logs["access"]), "--error-logfile", str(logs["error"]),
             "consent_service:create_app()"], cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT)
        try:
            _wait_until_up(base, process)
            yield base, logs
        finally:
            process.terminate()
            process.wait(20)


def _outbox_link(reference: str, pattern: str) -> str:
    db.session.expire_all()
    for mail in db.session.execute(db.select(OutboxMessage).where(OutboxMessage.ref == reference)
                                   .order_by(OutboxMessage.id.desc())).scalars():
        found = re.search(pattern, mail.text)
        if found:
            return found.group(1)
    raise AssertionError(f"no {pattern} in the mail of {reference}")


def test_no_log_line_holds_a_token_an_address_or_a_full_ip(service):
    base, logs = service
    key = apikeys.create_key("dpo-logs", ["dsar:admin", "sites:admin", "consents:read"])
    db.session.commit()
    admin = {"Authorization": f"Bearer {key}"}
    proxy = {"X-Forwarded-For": CLIENT_IP}
    site = {"key": "espace-locataire", "name": "Portail", "allowed_origins": []}
    assert requests.post(f"{base}/v1/sites", json=site, headers=admin).status_code == 201

    form = {"type": "access", "email": ADDRESS, "full_name": "Camille Martin", "account_id": "A1001",
            "locale": "fr", "message": "Copie de mes données."}
    reference = requests.post(f"{base}/v1/dsar/requests", json=form, headers=proxy).json()["reference"]
    token = _outbox_link(reference, r"/dsar/verify\?token=([A-Za-z0-9_.\-]+)")
    assert requests.get(f"{base}/dsar/verify", params={"token": token}, headers=proxy).status_code == 200
    assert requests.post(f"{base}/dsar/verify", data={"token": token}, headers=proxy).status_code == 200
    executed = requests.post(f"{base}/v1/dsar/requests/{reference}/execute", json={}, headers=admin)
    assert executed.status_code == 200, executed.text
    export_url = executed.json()["export_url"]
    download = requests.get(export_url, headers=proxy)
    assert download.status_code == 200 and download.content[:2] == b"PK"
    export_token = export_url.rsplit("/", 1)[1]

    visitor = "v-" + "7" * 30
    assert requests.get(f"{base}/v1/consents", params={"visitor_id": visitor}, headers=admin).status_code == 200
    codes = [requests.post(f"{base}/v1/dsar/requests", json={**form, "type": type_}, headers=proxy).status_code
             for type_ in ("erasure", "objection", "restriction")]
    assert codes[-1] == 429  # the per-address limit: the rate limiter logs its key

    time.sleep(0.5)  # gunicorn writes its access lines after each answer
    text = {name: path.read_text(encoding="utf-8", errors="replace") for name, path in logs.items()}
    access_lines = [line for line in text["access"].splitlines() if line.strip()]
    assert len(access_lines) >= 10 and all("request_id=" in line for line in access_lines)
    assert any("/dsar/exports/{token}" in line for line in access_lines)
    assert any("ratelimit" in line for line in text["output"].splitlines() + text["error"].splitlines())
    everything = "\n".join(text.values())
    for secret in (token, export_token, ADDRESS, ADDRESS.upper(), visitor, CLIENT_IP, "Camille Martin",
                   key, "camille.martin%40"):
        assert secret not in everything, f"a log holds {secret[:12]}…"
    assert not any("127.0.0.1" in line for line in access_lines)
    assert all(line.startswith(("127.0.0.0 ", "203.0.113.0 ")) for line in access_lines)


@pytest.mark.parametrize("raw,expected", [
    ("/dsar/exports/abc.def-ghi", "/dsar/exports/{token}"),
    ("/dsar/verify?token=abc", "/dsar/verify"),
    ("/v1/accounts/A1001/deletion", "/v1/accounts/{account_id}/deletion"),
    ("/v1/consents/" + "a" * 40, "/v1/consents/{redacted}"),
    ("/x/camille%40example.fr", "/x/{redacted}"),
    ("/v1/sites/espace-locataire/policy", "/v1/sites/espace-locataire/policy"),
])
def test_paths_are_written_without_what_identifies_someone(raw, expected):
    assert redact_path(raw) == expected


def test_addresses_are_truncated_and_free_text_scrubbed():
    assert truncate_ip("198.51.100.23") == "198.51.100.0" and truncate_ip("2001:db8:1:2::5") == "2001:db8:1::"
    assert truncate_ip("unknown") == "-"
    assert redact_text("to A.B@example.org from 198.51.100.23") == "to {email} from 198.51.100.0"
