"""The deployment in deploy/, run: Debian's nginx (the site file, TLS with a throw-away
certificate) in front of two gunicorn instances and two workers (the systemd units' commands
and environment file), on one PostgreSQL and one Redis, all on loopback.

Walked: consent decisions through nginx (the proof holds the client's truncated address from
X-Forwarded-For), a rate limit shared by both instances through Redis, a data-subject request
from intake to its export downloaded from the *other* instance, an account purge finished by
either worker, the banner cached by nginx, /metrics closed without a key, HTTP sent to HTTPS,
an access log without full addresses, and the workers stopping cleanly on SIGTERM."""
from __future__ import annotations

import io
import json
import os
import re
import shutil
import signal
import subprocess
import time
import zipfile
from pathlib import Path

import pytest
import urllib3

from cookies.demo import DEMO_POLICY

from .conftest import ROOT, free_port, wait_for

DEPLOY = Path(ROOT) / "deploy"
HOST = "consent.example.fr"
CLIENT = "127.1.2.3"  # a loopback address of its own: what nginx must forward, not its own 127.0.0.1
SITE = "espace-locataire"
ORIGIN = "https://portail.example.fr"
RATE = 12  # consent writes per minute and client, for the test (production keeps the default)

pytestmark = [pytest.mark.skipif(shutil.which("nginx") is None, reason="needs Debian's nginx (apt-get install nginx)"),
              pytest.mark.skipif(os.environ.get("TEST_SKIP_DEPLOYMENT") == "1", reason="TEST_SKIP_DEPLOYMENT=1")]


def host_steps(document: str) -> str:
    """The ``sh`` block of the host set-up in ``document`` (README.md, docs/deployment.md)."""
    text = (Path(ROOT) / document).read_text(encoding="utf-8")
    return re.search(r"As root on Debian 12, from a checkout[^\n]*:\n\n```sh\n(.*?)```", text, re.S).group(1)


def the_readme_walk() -> dict:
    """What the README tells an operator to run, as the test runs it: every step the test
    stands in for must be there, word for word, or the test stops."""
    steps = host_steps("README.md")
    assert steps == host_steps("docs/deployment.md"), "README.md and docs/deployment.md give different steps"
    lines = steps.splitlines()
    for expected in ("python3 -m pip wheel --no-deps --wheel-dir dist .",  # the `installed` fixture
                     "python3 -m venv /opt/consent-service/venv",
                     "/opt/consent-service/venv/bin/pip install dist/consent_service-*.whl",
                     "install -m 640 -g consent deploy/env.example /etc/consent-service/env     # then set its values",
                     "install -m 644 gunicorn.conf.py /etc/consent-service/gunicorn.conf.py",
                     "install -m 644 deploy/systemd/*.service /etc/systemd/system/",
                     "install -m 644 deploy/nginx/consent-service.conf /etc/nginx/sites-available/consent-service",
                     "systemctl start consent-release",
                     "nginx -t && systemctl reload nginx"):
        assert expected in lines, f"the README no longer says {expected!r}"
    enabled, = [line.split("--now", 1)[1].split() for line in lines if line.startswith("systemctl enable --now")]
    return {"web": [unit.split("@")[1] for unit in enabled if unit.startswith("consent-web@")],
            "workers": [unit.split("@")[1] for unit in enabled if unit.startswith("consent-worker@")],
            "units": {unit.split("@")[0] for unit in enabled}}


def unit(name: str) -> tuple[list[str], dict[str, str]]:
    """A systemd unit's ExecStart (split) and Environment= lines."""
    text = (DEPLOY / "systemd" / name).read_text()
    command = re.search(r"^ExecStart=(.+)$", text, re.M).group(1).split()
    environment = dict(line.split("=", 1) for line in re.findall(r"^Environment=(.+)$", text, re.M))
    return command, environment


def environment_file() -> dict[str, str]:
    lines = (DEPLOY / "env.example").read_text().splitlines()
    return dict(line.split("=", 1) for line in lines if line and not line.startswith("#"))


def localised(command: list[str], instance: str, gunicorn_conf: Path, venv_bin: Path) -> list[str]:
    """The unit's command on this machine: the wheel's virtualenv and the gunicorn settings."""
    replaced = [part.replace("/opt/consent-service/venv/bin/", f"{venv_bin}/")
                .replace("/etc/consent-service/gunicorn.conf.py", str(gunicorn_conf)).replace("%i", instance)
                for part in command]
    assert replaced != command
    return replaced


def render_site(tmp: Path, ports: dict[str, int], web_ports: list[int]) -> Path:
    """deploy/nginx/consent-service.conf with this machine's ports, paths and certificate."""
    site = (DEPLOY / "nginx" / "consent-service.conf").read_text()
    replacements = {
        "listen 80;": f"listen 127.0.0.1:{ports['http']};",
        "listen 443 ssl http2;": f"listen 127.0.0.1:{ports['https']} ssl http2;",
        "    listen [::]:80;\n": "", "    listen [::]:443 ssl http2;\n": "",
        "server 127.0.0.1:8001 ": f"server 127.0.0.1:{web_ports[0]} ",
        "server 127.0.0.1:8002 ": f"server 127.0.0.1:{web_ports[1]} ",
        "/etc/letsencrypt/live/consent.example.fr/fullchain.pem": str(tmp / "cert.pem"),
        "/etc/letsencrypt/live/consent.example.fr/privkey.pem": str(tmp / "key.pem"),
        "/var/cache/nginx/consent-service": str(tmp / "cache"),
        "/var/log/nginx/consent-service.access.log": str(tmp / "access.log"),
        "root /var/www/html;": f"root {tmp};",
    }
    for old, new in replacements.items():
        assert old in site, f"the site file no longer holds {old!r}"
        site = site.replace(old, new)
    (tmp / "site.conf").write_text(site)
    user = "user root;\n" if os.geteuid() == 0 else ""
    main = (f"{user}worker_processes 1;\npid {tmp}/nginx.pid;\nerror_log {tmp}/error.log warn;\n"
            "events { worker_connections 256; }\n"
            "http {\n  include /etc/nginx/mime.types;\n  access_log off;\n"
            + "".join(f"  {kind}_temp_path {tmp}/{kind};\n" for kind in ("client_body", "proxy", "fastcgi",
                                                                       "uwsgi", "scgi"))
            + f"  include {tmp}/site.conf;\n}}\n")
    (tmp / "nginx.conf").write_text(main)
    return tmp / "nginx.conf"


class Deployment:
    def __init__(self, tmp: Path, database_url: str, venv_bin: Path):
        self.tmp, self.processes, self.logs, self.venv_bin = tmp, {}, {}, venv_bin
        self.web_ports = [free_port(), free_port()]
        self.ports = {"http": free_port(), "https": free_port()}
        self.env = {**{k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG")}, **environment_file(),
                    "DATABASE_URL": database_url, "SECRET_KEY": "deployment-test-secret-key-0123456789",
                    "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379/13",
                    "ERASURE_JOURNAL": str(tmp / "erasures.jsonl"),
                    "CONSENT_RATE_LIMIT": f"{RATE} per minute", "WORKER_IDLE_SECONDS": "0.5",
                    "WEB_CONCURRENCY": "2"}
        self.env.pop("SMTP_HOST")  # no mail server here: mails stay in the outbox
        self.pool = urllib3.HTTPSConnectionPool("127.0.0.1", self.ports["https"], ca_certs=str(tmp / "cert.pem"),
                                                server_hostname=HOST, source_address=(CLIENT, 0), retries=False)

    def run(self, command: list[str], env: dict | None = None) -> str:
        done = subprocess.run(command, env=env or self.env, cwd=self.tmp, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, f"{command}\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}"
        return done.stdout

    def start(self, name: str, command: list[str], env: dict) -> None:
        log = (self.tmp / f"{name}.log").open("w")
        self.logs[name] = log
        self.processes[name] = subprocess.Popen(command, env=env, cwd=self.tmp, stdout=log, stderr=subprocess.STDOUT)

    def flask(self, *args: str) -> str:
        return self.run([str(self.venv_bin / "flask"), "--app", "consent_service", *args])

    def request(self, method: str, path: str, body=None, headers: dict | None = None, port: int | None = None):
        headers = {"Host": HOST, **(headers or {})}
        data = json.dumps(body).encode() if body is not None else None
        if data is not None:
            headers["Content-Type"] = "application/json"
        if port is None:
            return self.pool.request(method, path, body=data, headers=headers)
        return urllib3.request(method, f"http://127.0.0.1:{port}{path}", body=data, headers=headers, retries=False)

    def stop(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                process.terminate()
        for process in self.processes.values():
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
        for log in self.logs.values():
            log.close()


@pytest.fixture
def deployment(tmp_path, fresh_postgres, installed):
    import redis

    walk = the_readme_walk()
    site = (DEPLOY / "nginx" / "consent-service.conf").read_text()
    assert all(f"server 127.0.0.1:{instance} " in site for instance in walk["web"]) and len(walk["web"]) == 2
    assert len(walk["workers"]) == 2 and walk["units"] == {"consent-web", "consent-worker"}
    redis.Redis(host="127.0.0.1", port=6379, db=13).flushdb()
    tmp = tmp_path
    for folder in ("cache", "client_body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (tmp / folder).mkdir()
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", f"/CN={HOST}",
                    "-addext", f"subjectAltName=DNS:{HOST}",
                    "-keyout", str(tmp / "key.pem"), "-out", str(tmp / "cert.pem")], check=True, capture_output=True)
    venv_bin = installed / "venv" / "bin"
    gunicorn_conf = Path(ROOT) / "gunicorn.conf.py"  # installed as /etc/consent-service/gunicorn.conf.py
    made = Deployment(tmp, fresh_postgres, venv_bin)
    release, _ = unit("consent-release.service")
    made.run(localised(release, "", gunicorn_conf, venv_bin))
    web, web_env = unit("consent-web@.service")
    for index, port in enumerate(made.web_ports):  # consent-web@8001 and @8002, on free ports
        metrics_dir = tmp / f"metrics-{port}"  # systemd's RuntimeDirectory
        metrics_dir.mkdir()
        env = {**made.env, **{k: v.replace("/run/consent-web-%i", str(metrics_dir)) for k, v in web_env.items()}}
        made.start(f"web{index}", localised(web, str(port), gunicorn_conf, venv_bin), env)
    worker, _ = unit("consent-worker@.service")
    for instance in walk["workers"]:
        made.start(f"worker{instance}", localised(worker, instance, gunicorn_conf, venv_bin), made.env)
    nginx_conf = render_site(tmp, made.ports, made.web_ports)
    made.run(["nginx", "-t", "-c", str(nginx_conf)])
    made.start("nginx", ["nginx", "-c", str(nginx_conf), "-g", "daemon off;"], made.env)
    try:
        for port in made.web_ports:
            wait_for(f"http://127.0.0.1:{port}/readyz")
        wait_for(f"http://127.0.0.1:{made.ports['http']}/.well-known/acme-challenge/none", status=404)
        yield made
    finally:
        made.stop()


def last_line(output: str) -> str:
    return output.strip().splitlines()[-1]


def test_the_deployment_walk(deployment):
    d = deployment
    key = last_line(d.flask("api-keys", "create", "--name", "ops", "--scope", "sites:admin", "--scope",
                            "accounts:write", "--scope", "dsar:admin", "--scope", "consents:read", "--scope",
                            "metrics:read"))
    auth = {"Authorization": f"Bearer {key}"}

    # HTTP goes to HTTPS
    plain = urllib3.request("GET", f"http://127.0.0.1:{d.ports['http']}/healthz", headers={"Host": HOST},
                            redirect=False)
    assert plain.status == 301 and plain.headers["Location"] == f"https://{HOST}/healthz"

    # the site and its policy, through nginx
    assert d.request("POST", "/v1/sites", {"key": SITE, "name": "Portail", "allowed_origins": [ORIGIN]},
                     auth).status == 201
    assert d.request("POST", f"/v1/sites/{SITE}/policies", DEMO_POLICY, auth).status == 201

    # consent decisions through nginx: the proof holds the client's address, truncated
    answer = d.request("POST", f"/v1/sites/{SITE}/consents", {"action": "accept_all"}, {"Origin": ORIGIN})
    assert answer.status == 201, answer.data
    decided = answer.json()
    proof = d.request("GET", f"/v1/consents/{decided['consent_id']}", headers=auth).json()
    assert proof["ip"] == "127.1.2.0"
    assert answer.headers["X-Request-Id"]

    # one rate limit for both instances (Redis): RATE writes a minute in all, not per instance
    codes = [d.request("POST", f"/v1/sites/{SITE}/consents", {"action": "refuse_all"}, {"Origin": ORIGIN}).status
             for _ in range(RATE + 3)]
    assert codes.count(201) == RATE - 1 and codes[-1] == 429
    served = {line.split("upstream=")[1].split()[0] for line in (d.tmp / "access.log").read_text().splitlines()
              if '"POST /v1/sites/espace-locataire/consents' in line and " 201 " in line}
    assert served == {f"127.0.0.1:{port}" for port in d.web_ports}  # both instances took writes

    # a data-subject request: intake through nginx, handled on instance 1, export from instance 2
    intake = d.request("POST", "/v1/dsar/requests", {"type": "access", "email": "locataire@example.fr",
                                                     "full_name": "Camille Martin", "account_id": "A9001"})
    assert intake.status == 202, intake.data
    reference = intake.json()["reference"]
    first, second = d.web_ports
    verified = d.request("POST", f"/v1/dsar/requests/{reference}/verify",
                         {"method": "document", "note": "pièce d'identité vue au guichet"}, auth, port=first)
    assert verified.status == 200, verified.data
    executed = d.request("POST", f"/v1/dsar/requests/{reference}/execute", {}, auth, port=first)
    assert executed.status == 200, executed.data
    export_url = d.request("GET", f"/v1/dsar/requests/{reference}", headers=auth, port=first).json()["export_url"]
    assert export_url.startswith(f"https://{HOST}/dsar/exports/")
    download = d.request("GET", export_url.removeprefix(f"https://{HOST}"), port=second)
    assert download.status == 200 and download.headers["Content-Type"] == "application/zip"
    assert zipfile.ZipFile(io.BytesIO(download.data)).testzip() is None

    # an account purge, finished by whichever worker claims it
    assert d.request("POST", "/v1/accounts/A9002/visitors", {"visitor_id": decided["visitor_id"]}, auth).status == 204
    purge_id = d.request("POST", "/v1/accounts/A9002/deletion", None, auth).json()["purge_id"]
    deadline, receipt = time.monotonic() + 60, {}
    while time.monotonic() < deadline:
        receipt = d.request("GET", f"/v1/purges/{purge_id}", headers=auth).json()
        if receipt.get("status") == "done":
            break
        time.sleep(0.5)
    assert receipt.get("status") == "done", receipt
    assert purge_id in (d.tmp / "erasures.jsonl").read_text()
    status = d.flask("worker", "status", "--max-age", "60")
    assert status.count(" running") == 2

    # the policy goes compressed, and its weakened ETag still revalidates
    packed = d.request("GET", f"/v1/sites/{SITE}/policy", headers={"Accept-Encoding": "gzip", "Origin": ORIGIN})
    assert packed.status == 200 and packed.headers["Content-Encoding"] == "gzip", packed.headers
    assert packed.json()["version"] == 1 and packed.headers["Access-Control-Allow-Origin"] == ORIGIN
    again = d.request("GET", f"/v1/sites/{SITE}/policy",
                      headers={"Accept-Encoding": "gzip", "If-None-Match": packed.headers["ETag"]})
    assert again.status == 304, again.headers

    # the banner is cached by nginx
    assert d.request("GET", "/banner.js").headers["X-Cache-Status"] in ("MISS", "EXPIRED")
    assert d.request("GET", "/banner.js").headers["X-Cache-Status"] == "HIT"

    # metrics: closed through nginx without a key, open with one
    assert d.request("GET", "/metrics").status == 403
    metrics = d.request("GET", "/metrics", headers=auth)
    assert metrics.status == 200 and b"consent_decisions_total{" in metrics.data
    assert b"consent_worker_last_pass_timestamp_seconds" in metrics.data

    # the access log keeps no full client address and no query string
    log = (d.tmp / "access.log").read_text()
    assert CLIENT not in log and "127.1.2.0 [" in log and "token=" not in log

    # workers stop cleanly: the item in hand, then exit 0
    for name in [name for name in d.processes if name.startswith("worker")]:
        d.processes[name].send_signal(signal.SIGTERM)
        assert d.processes[name].wait(timeout=60) == 0
