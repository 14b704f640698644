"""deploy/Dockerfile and deploy/compose.yaml (no container runtime here): the compose file
holds the deployment the host test runs (PostgreSQL, Redis, migrations, two web, two workers,
nginx) with the settings that deployment needs, and its nginx file is valid for nginx."""
from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from .conftest import ROOT

DEPLOY = Path(ROOT) / "deploy"


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((DEPLOY / "compose.yaml").read_text(encoding="utf-8"))


def test_compose_runs_the_same_processes_as_the_host_deployment(compose):
    services = compose["services"]
    assert set(services) == {"postgres", "redis", "migrate", "web1", "web2", "worker1", "worker2", "nginx"}
    assert services["migrate"]["command"] == ["flask", "--app", "consent_service", "db", "upgrade"]
    for name in ("worker1", "worker2"):
        assert services[name]["command"] == ["flask", "--app", "consent_service", "worker"]
        assert services[name]["stop_grace_period"]  # SIGTERM, then time to finish the item in hand
    for name in ("web1", "web2", "worker1", "worker2"):
        assert services[name]["depends_on"]["migrate"] == {"condition": "service_completed_successfully"}


def test_compose_gives_every_process_the_settings_several_processes_need(compose):
    environment = compose["services"]["web1"]["environment"]
    assert environment["SECRET_KEY"].startswith("${SECRET_KEY:?")  # refused when unset, never generated
    database = environment["DATABASE_URL"]
    assert database.startswith("postgresql+psycopg://") and "@postgres:" in database
    assert environment["RATELIMIT_STORAGE_URI"].startswith("redis://redis:")
    assert environment["TRUSTED_PROXY_HOPS"] == "1" and environment["ERASURE_JOURNAL"]
    journal_dir = str(Path(environment["ERASURE_JOURNAL"]).parent)
    assert all(f"journal:{journal_dir}" in compose["services"][name]["volumes"] for name in ("worker1", "worker2"))


def test_the_image_installs_the_wheel_and_serves_with_the_projects_gunicorn_settings():
    dockerfile = (DEPLOY / "Dockerfile").read_text(encoding="utf-8")
    assert "pip wheel --no-cache-dir --no-deps --wheel-dir /wheels ." in dockerfile
    assert "/opt/consent-service/venv/bin/pip install --no-cache-dir /wheels/*.whl" in dockerfile
    assert "COPY gunicorn.conf.py /etc/consent-service/gunicorn.conf.py" in dockerfile
    assert '"--config", "/etc/consent-service/gunicorn.conf.py"' in dockerfile and "USER consent" in dockerfile


def test_each_web_instance_has_a_metrics_directory_of_its_own(compose):
    """gunicorn empties PROMETHEUS_MULTIPROC_DIR when it starts (gunicorn.conf.py), so no other
    process may keep live files there: in compose each container has its own (the image's, no
    volume), on a host each web unit its runtime directory and the worker none."""
    directory = re.search(r"PROMETHEUS_MULTIPROC_DIR=(\S+)", (DEPLOY / "Dockerfile").read_text()).group(1)
    for name, service in compose["services"].items():
        mounted = [str(volume).split(":")[1] for volume in service.get("volumes", []) if ":" in str(volume)]
        assert not [m for m in mounted if (directory + "/").startswith(m.rstrip("/") + "/")], name
        assert "PROMETHEUS_MULTIPROC_DIR" not in (service.get("environment") or {}), name
    web = (DEPLOY / "systemd" / "consent-web@.service").read_text()
    assert "RuntimeDirectory=consent-web-%i" in web
    assert "Environment=PROMETHEUS_MULTIPROC_DIR=/run/consent-web-%i" in web
    assert "PROMETHEUS_MULTIPROC_DIR" not in (DEPLOY / "systemd" / "consent-worker@.service").read_text()
    assert "PROMETHEUS_MULTIPROC_DIR" not in (DEPLOY / "env.example").read_text()


@pytest.mark.skipif(shutil.which("nginx") is None, reason="needs Debian's nginx (apt-get install nginx)")
def test_the_compose_nginx_file_passes_nginx_t(tmp_path, compose):
    site = (DEPLOY / "docker" / "nginx.conf").read_text(encoding="utf-8")
    upstreams = [f"server {name}:8000;" for name in ("web1", "web2")]
    assert all(line in site for line in upstreams)  # the compose services, by name
    for line in upstreams:
        site = site.replace(line, "server 127.0.0.1:8000;")
    site = site.replace("/var/cache/nginx/consent-service", str(tmp_path / "cache"))
    site = site.replace("/var/log/nginx/access.log", str(tmp_path / "access.log"))
    (tmp_path / "site.conf").write_text(site)
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\nevents {{}}\n"
        f"http {{\n  include /etc/nginx/mime.types;\n  include {tmp_path}/site.conf;\n}}\n")
    done = subprocess.run(["nginx", "-t", "-c", str(tmp_path / "nginx.conf")], capture_output=True, text=True,
                          timeout=30)
    assert done.returncode == 0, done.stderr
