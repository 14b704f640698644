"""The one settings path: every variable from the environment (or ``environ=``) reaches the
features through app.config; bad values stop start-up naming the variable; ``config check``."""
from __future__ import annotations

import datetime as dt
import logging
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from consent_service import clock, config, create_app, worker

ROOT = Path(__file__).resolve().parents[2]
BASE = {"SECRET_KEY": "s"}

# One example per declared variable: (text in the environment, value the features read).
SAMPLES = {
    "DATABASE_URL": ("postgresql://u@h/db", "postgresql+psycopg://u@h/db"),
    "SECRET_KEY": ("a-shared-key", "a-shared-key"),
    "SECRET_KEY_FALLBACKS": ("old1, old2", ["old1", "old2"]),
    "PUBLIC_BASE_URL": ("https://consent.example.fr/", "https://consent.example.fr"),
    "TRUSTED_PROXY_HOPS": ("2", 2),
    "RATELIMIT_STORAGE_URI": ("redis://127.0.0.1:6379/3", "redis://127.0.0.1:6379/3"),
    "CONSENT_RATE_LIMIT": ("off", "off"),
    "CONSENT_READ_RATE_LIMIT": ("100 per minute", "100 per minute"),
    "POLICY_CACHE_SECONDS": ("0.5", 0.5),
    "LOG_FORMAT": ("json", "json"),
    "PROMETHEUS_MULTIPROC_DIR": ("/run/consent-metrics", "/run/consent-metrics"),
    "SMTP_HOST": ("mail.example.fr", "mail.example.fr"),
    "SMTP_PORT": ("2525", 2525),
    "SMTP_USERNAME": ("relay", "relay"),
    "SMTP_PASSWORD": ("hunter2", "hunter2"),
    "SMTP_STARTTLS": ("true", True),
    "SMTP_TIMEOUT": ("12", 12.0),
    "MAIL_FROM": ("dpo@bailleur.example", "dpo@bailleur.example"),
    "DPO_EMAIL": ("equipe-dpo@bailleur.example", "equipe-dpo@bailleur.example"),
    "MAIL_MAX_ATTEMPTS": ("3", 3),
    "MAIL_RETRY_BASE_SECONDS": ("30", 30),
    "WORKER_IDLE_SECONDS": ("2s", 2.0),
    "WORKER_SCHEDULE": ("datamap_retention=1d, mail=5", {"datamap_retention": 86400.0, "mail": 5.0}),
    "DSAR_RATE_LIMIT": ("3 per hour", "3 per hour"),
    "DSAR_EMAIL_RATE_LIMIT": ("off", "off"),
    "DSAR_DIGEST_HOUR": ("9", 9),
    "DSAR_RETENTION_MONTHS": ("36", 36),
    "DATAMAP_PATH": ("/etc/consent/datamap.yaml", "/etc/consent/datamap.yaml"),
    "PURGE_BATCH_SIZE": ("10", 10),
    "PURGE_STEP_LEASE_SECONDS": ("300", 300),
    "PURGE_MAX_ATTEMPTS": ("7", 7),
    "PURGE_RETRY_SECONDS": ("15", 15),
    "PURGE_STEPS_PER_PASS": ("20", 20),
    "PURGE_BATCH_PAUSE_SECONDS": ("0.25", 0.25),
    "RETENTION_BATCH_SIZE": ("500", 500),
    "RETENTION_BATCHES_PER_PASS": ("4", 4),
    "CONSENT_PROOF_RETENTION_MONTHS": ("13", 13),
    "CONSENT_OBJECTIONS_CACHE_SECONDS": ("1.5", 1.5),
    "ERASURE_JOURNAL": ("/var/lib/consent/erasures.jsonl", "/var/lib/consent/erasures.jsonl"),
    "PSEUDONYM_KEY": ("pseudonym-key-0123456789", "pseudonym-key-0123456789"),
    "BACKOFFICE_LOCK_AFTER": ("3", 3),
    "BACKOFFICE_LOCK_MINUTES": ("60", 60),
    "BACKOFFICE_IDLE_MINUTES": ("10", 10),
    "BACKOFFICE_LOGIN_RATE_LIMIT": ("5 per minute", "5 per minute"),
    "BACKOFFICE_PAGE_SIZE": ("25", 25),
    "BACKOFFICE_REQUIRE_2FA": ("true", True),
    "PREFERENCES_PATH": ("/etc/consent/preferences.yaml", "/etc/consent/preferences.yaml"),
    "SEAL_INTERVAL_SECONDS": ("30", 30),
    "SEAL_JOURNAL": ("/var/lib/consent/seals.log", "/var/lib/consent/seals.log"),
}
CONFIG_KEY = {"DATABASE_URL": "SQLALCHEMY_DATABASE_URI"}
# Values that must stop start-up.
INVALID = [
    ("TRUSTED_PROXY_HOPS", "two"), ("SMTP_PORT", "0"), ("SMTP_STARTTLS", "maybe"), ("DSAR_DIGEST_HOUR", "24"),
    ("DSAR_RETENTION_MONTHS", "0"), ("DSAR_EMAIL_RATE_LIMIT", "lots"), ("CONSENT_RATE_LIMIT", "5 per fortnight"),
    ("PURGE_BATCH_SIZE", "-1"), ("POLICY_CACHE_SECONDS", "soon"), ("LOG_FORMAT", "xml"),
    ("PUBLIC_BASE_URL", "consent.example.fr"), ("MAIL_FROM", "nobody"), ("RATELIMIT_STORAGE_URI", "redis"),
    ("WORKER_SCHEDULE", "datamap_retention"), ("WORKER_IDLE_SECONDS", "5 minutes"), ("DATABASE_URL", "not a url"),
]


def build(environ: dict, **overrides):
    return create_app({"TESTING": True, **overrides}, environ=environ)


def test_every_declared_setting_has_an_example_here():
    assert set(SAMPLES) == set(config.BY_NAME)


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_each_variable_from_the_environment_is_parsed(name, tmp_path):
    raw, expected = SAMPLES[name]
    settings = config.load({**BASE, name: raw}, instance_path=str(tmp_path))
    assert settings.config[CONFIG_KEY.get(name, name)] == expected
    assert settings.sources[name] == "environment"


def test_every_variable_given_to_create_app_reaches_app_config(tmp_path):
    files = {"DATABASE_URL", "DATAMAP_PATH", "PREFERENCES_PATH"}  # read at start-up: tested with real files
    app = build({name: raw for name, (raw, _) in SAMPLES.items() if name not in files},
                SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path}/x.db")
    for name, (_, expected) in SAMPLES.items():
        if name not in files:
            assert app.config[name] == expected, name


def test_the_process_environment_is_read_when_no_environ_is_given(monkeypatch, tmp_path):
    monkeypatch.setenv("SECRET_KEY", "from-the-process")
    monkeypatch.setenv("PURGE_BATCH_SIZE", "10")
    monkeypatch.setenv("DSAR_DIGEST_HOUR", "9")
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/x.db"})
    assert (app.config["SECRET_KEY"], app.config["PURGE_BATCH_SIZE"], app.config["DSAR_DIGEST_HOUR"]) == \
        ("from-the-process", 10, 9)


def test_defaults_follow_the_documentation(tmp_path):
    app = build(BASE, SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path}/x.db")
    documented = {"PUBLIC_BASE_URL": "http://127.0.0.1:8000", "MAIL_FROM": "dpo@localhost",
                  "DPO_EMAIL": "dpo@localhost",
                  "CONSENT_RATE_LIMIT": "600 per minute", "DSAR_RATE_LIMIT": "30 per hour",
                  "RATELIMIT_STORAGE_URI": "memory://", "TRUSTED_PROXY_HOPS": 0, "SMTP_HOST": None,
                  "SMTP_STARTTLS": False, "DATAMAP_PATH": None, "SECRET_KEY_FALLBACKS": [], "LOG_FORMAT": "text",
                  "ERASURE_JOURNAL": None, "DSAR_RETENTION_MONTHS": 60, "DSAR_DIGEST_HOUR": 7,
                  "DSAR_EMAIL_RATE_LIMIT": "5 per hour", "PURGE_BATCH_SIZE": 0, "SECURE_COOKIES": False}
    assert {name: app.config[name] for name in documented} == documented
    assert config.load(BASE, instance_path=str(tmp_path)).config["SQLALCHEMY_DATABASE_URI"] == \
        f"sqlite:///{tmp_path / 'consent.db'}"


@pytest.mark.parametrize(("name", "raw"), INVALID)
def test_an_invalid_value_stops_start_up_naming_the_variable(name, raw):
    with pytest.raises(config.SettingsError, match=re.escape(name)) as raised:
        build({**BASE, name: raw})
    assert list(raised.value.problems) == [name]


def test_typed_overrides_are_checked_like_the_environment():
    with pytest.raises(config.SettingsError, match="PURGE_BATCH_SIZE"):
        build(BASE, PURGE_BATCH_SIZE="10")  # text where a number is expected
    assert build(BASE, PURGE_BATCH_SIZE=10, SQLALCHEMY_DATABASE_URI="sqlite://").config["PURGE_BATCH_SIZE"] == 10


def test_every_invalid_variable_is_named_at_once():
    with pytest.raises(config.SettingsError) as raised:
        build({**BASE, "SMTP_PORT": "x", "DSAR_DIGEST_HOUR": "x"})
    assert set(raised.value.problems) == {"SMTP_PORT", "DSAR_DIGEST_HOUR"}


def test_postgresql_without_secret_key_refuses_to_start():
    with pytest.raises(config.SettingsError, match="SECRET_KEY is required with a PostgreSQL"):
        create_app({"TESTING": True}, environ={"DATABASE_URL": "postgresql://u@h/db"})


def test_sqlite_without_secret_key_generates_one_key_once_with_a_warning(tmp_path, caplog):
    with caplog.at_level(logging.WARNING):
        first = config.load({}, instance_path=str(tmp_path)).config["SECRET_KEY"]
        second = config.load({}, instance_path=str(tmp_path)).config["SECRET_KEY"]
    assert first == second and len(first) >= 32
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0
    assert "SECRET_KEY is not set" in caplog.text


def test_no_module_reads_the_environment_but_the_settings_module():
    readers = []
    for package in ("consent_service", "cookies", "dsar", "datamap", "backoffice", "preferences", "proofs"):
        for path in (ROOT / package).rglob("*.py") if (ROOT / package).exists() else ():
            if path.name != "config.py" and re.search(r"os\.environ|os\.getenv", path.read_text()):
                readers.append(str(path.relative_to(ROOT)))
    assert readers == []


def test_the_digest_hour_from_the_environment_moves_the_digest(app_with):
    app = app_with(environ={"DSAR_DIGEST_HOUR": "9"})
    client = app.test_client()
    clock.set_now(dt.datetime(2027, 1, 31, 9, 0, tzinfo=dt.UTC))
    assert client.post("/v1/dsar/requests", json={"type": "access", "email": "a@example.fr",
                                                  "full_name": "A"}).status_code == 202
    clock.set_now(dt.datetime(2027, 2, 25, 7, 30, tzinfo=dt.UTC))  # 08:30 in Paris
    assert worker.run_once()["dsar_digest"] == 0
    clock.set_now(dt.datetime(2027, 2, 25, 8, 10, tzinfo=dt.UTC))  # 09:10 in Paris
    assert worker.run_once()["dsar_digest"] == 1


def test_the_email_rate_limit_off_from_the_environment_lifts_it(app_with):
    client = app_with(environ={"DSAR_EMAIL_RATE_LIMIT": "off"}).test_client()
    types = ["access", "erasure", "objection", "restriction", "portability", "rectification", "access"]
    codes = [client.post("/v1/dsar/requests", json={"type": kind, "email": "a@example.fr", "full_name": "A"}
                         ).status_code for kind in types]
    assert codes == [202] * len(types)


def run_config_check(env: dict) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG")}
    flask = Path(sys.executable).with_name("flask")
    return subprocess.run([str(flask), "--app", "consent_service", "config", "check"], env={**clean, **env},
                          capture_output=True, text=True, timeout=60, cwd=ROOT)


def test_config_check_prints_effective_settings_with_secrets_masked(tmp_path):
    done = run_config_check({"SECRET_KEY": "top-secret-value", "SMTP_PASSWORD": "hunter2",
                             "DATABASE_URL": f"sqlite:///{tmp_path}/x.db", "DSAR_DIGEST_HOUR": "9",
                             "RATELIMIT_STORAGE_URI": "redis://:redispass@127.0.0.1:6379/0"})
    assert done.returncode == 0, done.stderr
    assert re.search(r"DSAR_DIGEST_HOUR\s+9\s+\(environment\)", done.stdout)
    assert re.search(r"PURGE_BATCH_SIZE\s+0\s+\(default\)", done.stdout)
    for secret in ("top-secret-value", "hunter2", "redispass"):
        assert secret not in done.stdout + done.stderr
    assert "SECRET_KEY" in done.stdout and "settings are valid" in done.stdout


@pytest.mark.parametrize(("name", "raw", "secret"), [
    ("SECRET_KEY", "looks://like-a-url@sekrit", "sekrit"),
    ("DATABASE_URL", "postgresql+psycopg://u@h/db?password=sekrit&sslmode=require", "sekrit"),
    ("DATABASE_URL", "postgresql://u:sekrit@h/db", "sekrit"),
    ("RATELIMIT_STORAGE_URI", "redis://:sekrit@127.0.0.1:6379/0", "sekrit"),
    ("SECRET_KEY_FALLBACKS", "sekrit,other", "sekrit"),
    ("PSEUDONYM_KEY", "sekrit", "sekrit"),
])
def test_the_effective_settings_never_show_a_secret(name, raw, secret, tmp_path):
    shown = config.load({"SECRET_KEY": "k", name: raw}, instance_path=str(tmp_path)).masked()
    assert secret not in repr(shown)
    if name == "DATABASE_URL":
        assert dict((n, v) for n, v, _ in shown)["DATABASE_URL"].startswith("postgresql+psycopg://u")


def test_config_check_exits_1_naming_the_invalid_variable(tmp_path):
    done = run_config_check({"SECRET_KEY": "k", "DATABASE_URL": f"sqlite:///{tmp_path}/x.db",
                             "DSAR_DIGEST_HOUR": "25"})
    assert done.returncode == 1
    assert "invalid: DSAR_DIGEST_HOUR must be a whole number between 0 and 23" in done.stderr
    assert re.search(r"DSAR_DIGEST_HOUR\s+'25'\s+\(environment\)\s+<- INVALID", done.stdout)


def test_config_check_exits_1_without_secret_key_on_postgresql():
    done = run_config_check({"DATABASE_URL": "postgresql://u:pw@127.0.0.1:1/db"})
    assert done.returncode == 1 and "SECRET_KEY is required" in done.stderr
    assert "pw@" not in done.stdout


def test_every_setting_is_documented_in_the_deployment_guide():
    guide = (ROOT / "docs" / "deployment.md").read_text(encoding="utf-8")
    assert [name for name in config.BY_NAME if f"| `{name}` |" not in guide] == []


def test_the_worker_refuses_to_start_on_postgresql_without_secret_key():
    clean = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG")}
    flask = str(Path(sys.executable).with_name("flask"))
    done = subprocess.run([flask, "--app", "consent_service", "worker", "--once"],
                          env={**clean, "DATABASE_URL": "postgresql://u:pw@127.0.0.1:1/db"}, capture_output=True,
                          text=True, timeout=60, cwd=ROOT)
    assert done.returncode != 0
    assert done.stderr.strip().splitlines()[-1].endswith(
        "SECRET_KEY is required with a PostgreSQL DATABASE_URL: every process must sign with the same key "
        "(set SECRET_KEY to a long random value, the same on every host)")


def test_the_web_server_does_not_start_with_an_invalid_setting_and_names_it(tmp_path):
    done = _gunicorn({"DSAR_DIGEST_HOUR": "25", "DATABASE_URL": f"sqlite:///{tmp_path}/x.db"})
    assert done.returncode != 0
    assert "invalid settings: DSAR_DIGEST_HOUR must be a whole number between 0 and 23" in done.stderr
    assert "Traceback" not in done.stderr + done.stdout


def _clean_env() -> dict:
    return {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG")}


def _gunicorn(env: dict) -> subprocess.CompletedProcess:
    """gunicorn as the Procfile starts it (its gunicorn.conf.py is read from the checkout)."""
    return subprocess.run([str(Path(sys.executable).with_name("gunicorn")), "--bind", "127.0.0.1:0", "--workers", "1",
                           "consent_service:create_app()"], env={**_clean_env(), **env},
                          capture_output=True, text=True, timeout=60, cwd=ROOT)


# (environment, the one line expected, a secret of that environment that must not be printed)
BAD_STARTS = [
    ({"SECRET_KEY": "sekrit-key", "DSAR_DIGEST_HOUR": "abc"},
     "invalid settings: DSAR_DIGEST_HOUR must be a whole number between 0 and 23", "sekrit-key"),
    ({"SECRET_KEY": "sekrit-key", "DATABASE_URL": "u:sekrit-pw@db-host/consent"},
     "invalid settings: DATABASE_URL must be a database URL", "sekrit-pw"),
    ({"DATABASE_URL": "postgresql://u:sekrit-pw@127.0.0.1:1/db"},
     "invalid settings: SECRET_KEY is required with a PostgreSQL DATABASE_URL", "sekrit-pw"),
]


@pytest.mark.parametrize("command", [["worker", "--once"], ["db", "upgrade"], ["routes"]])
@pytest.mark.parametrize(("env", "line", "secret"), BAD_STARTS)
def test_a_flask_command_stops_on_a_bad_setting_with_one_line_naming_it(command, env, line, secret, tmp_path):
    env = {"DATABASE_URL": f"sqlite:///{tmp_path}/x.db", **env}
    done = subprocess.run([str(Path(sys.executable).with_name("flask")), "--app", "consent_service", *command],
                          env={**_clean_env(), **env}, capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert done.returncode == 1, done.stderr
    errors = [text for text in done.stderr.splitlines() if text.startswith("Error:")]
    assert len(errors) == 1 and errors[0].startswith(f"Error: {line}"), done.stderr
    assert "Traceback" not in done.stderr and 'File "' not in done.stderr, done.stderr
    assert secret not in done.stdout + done.stderr


@pytest.mark.parametrize(("env", "line", "secret"), BAD_STARTS)
def test_gunicorn_stops_on_a_bad_setting_with_one_line_naming_it_before_any_worker(env, line, secret, tmp_path):
    done = _gunicorn({"DATABASE_URL": f"sqlite:///{tmp_path}/x.db", **env})
    assert done.returncode == 1, done.stderr
    errors = [text for text in done.stderr.splitlines() if "Error" in text]
    assert len(errors) == 1 and errors[0].startswith(f"Error: {line}"), done.stderr
    assert "Traceback" not in done.stderr and "Booting worker" not in done.stderr, done.stderr
    assert secret not in done.stdout + done.stderr
