"""The one settings path (docs/deployment.md#configuration).

Every variable the service reads, core and features alike, is declared once in
:data:`SETTINGS`: its name, its kind (how a string from the environment is parsed and how a
typed value given to ``create_app(config)`` is checked), its default and one line of help.
:func:`load` turns an environment (the process's or ``create_app(environ=…)``) plus typed
overrides into the values that reach features through ``app.config``; a bad value stops
start-up with a message naming it. Nothing else in the project reads ``os.environ``.

Adding a variable is one line in :data:`SETTINGS`; its feature then reads
``current_app.config["NAME"]``. The kinds (``Integer``, ``Duration``, ``RateLimit``…) and the
``Setting`` record are in :mod:`consent_service.settings_kinds`.
"""
from __future__ import annotations

import logging
import os
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import click
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from .settings_kinds import (
    EMAIL,
    PATH,
    STORAGE,
    URL,
    Boolean,
    DatabaseUrl,
    Duration,
    Integer,
    Number,
    RateLimit,
    Schedule,
    Setting,
    Text,
    Words,
)

log = logging.getLogger(__name__)

JSON_BODY_LIMIT = 64 * 1024


class SettingsError(click.ClickException, RuntimeError):
    """One or more settings are invalid; ``problems`` maps each variable to what is wrong.

    Also a ``click.ClickException``: any ``flask`` command (``flask worker``, ``flask db upgrade``…)
    that cannot build the app for a bad setting prints ``Error: invalid settings: NAME what is
    wrong`` on one line and exits 1, with no traceback. The messages name the variable and the
    rule, never the value (a secret or a database password must not reach a terminal or a log).
    Gunicorn checks the same way before its workers start (``on_starting`` in gunicorn.conf.py)."""

    exit_code = 1

    def __init__(self, problems: dict[str, str], report: Settings | None = None):
        self.problems, self.report = problems, report
        super().__init__("invalid settings: " + "; ".join(f"{name} {why}" for name, why in problems.items()))


# Each line: the variable, its kind, its default, what it means. Features read app.config[name].
SETTINGS: tuple[Setting, ...] = (
    # core
    Setting("DATABASE_URL", DatabaseUrl(), None,
            "SQLAlchemy URL; PostgreSQL in production (SQLite in the instance folder when unset)", secret=True),
    Setting("SECRET_KEY", Text(), None, "signs every token and cookie; required with PostgreSQL", secret=True),
    Setting("SECRET_KEY_FALLBACKS", Words(), [], "older keys still accepted (rotation), comma-separated", secret=True),
    Setting("PUBLIC_BASE_URL", URL, "http://127.0.0.1:8000", "base URL of e-mailed links and of banner.js"),
    Setting("TRUSTED_PROXY_HOPS", Integer(0, 10), 0, "reverse proxies that set X-Forwarded-For"),
    Setting("RATELIMIT_STORAGE_URI", STORAGE, "memory://",
            "where rate-limit counters live (redis:// with several processes)", secret=True),
    Setting("CONSENT_RATE_LIMIT", RateLimit(), "600 per minute", "consent writes per client address, or off"),
    Setting("CONSENT_READ_RATE_LIMIT", RateLimit(), "off", "policy and consent-state reads per client address, or off"),
    Setting("POLICY_CACHE_SECONDS", Number(), 2.0, "how long a process keeps a site's current policy"),
    Setting("PROMETHEUS_MULTIPROC_DIR", PATH, None,
            "with several gunicorn workers: where their metric counts meet (set in the process environment)"),
    Setting("LOG_FORMAT", Text(choices=("text", "json")), "text", "text, or json: one object per line with request_id"),
    # mail
    Setting("SMTP_HOST", Text(), None, "outgoing mail server; unset: mails stay in the outbox"),
    Setting("SMTP_PORT", Integer(1, 65535), 25, "SMTP port"),
    Setting("SMTP_USERNAME", Text(), None, "SMTP login"),
    Setting("SMTP_PASSWORD", Text(), None, "SMTP password", secret=True),
    Setting("SMTP_STARTTLS", Boolean(), False, "STARTTLS before login"),
    Setting("SMTP_TIMEOUT", Number(1), 30.0, "seconds before an SMTP exchange is abandoned"),
    Setting("MAIL_FROM", EMAIL, "dpo@localhost", "sender address"),
    Setting("DPO_EMAIL", EMAIL, None, "where new-request notifications and the digest go (default: MAIL_FROM)"),
    Setting("MAIL_MAX_ATTEMPTS", Integer(1), 6, "sending tries before a mail is marked failed"),
    Setting("MAIL_RETRY_BASE_SECONDS", Integer(1), 60, "first retry delay of a mail, doubled after each try"),
    # worker
    Setting("WORKER_IDLE_SECONDS", Duration(0.1), 5.0, "pause of `flask worker` when a pass found nothing to do"),
    Setting("WORKER_SCHEDULE", Schedule(), {}, "job=period pairs overriding each job's default period"),
    # data-subject requests
    Setting("DSAR_RATE_LIMIT", RateLimit(), "30 per hour", "rights requests per client address, or off"),
    Setting("DSAR_EMAIL_RATE_LIMIT", RateLimit(), "5 per hour", "rights requests per e-mail address, or off"),
    Setting("DSAR_DIGEST_HOUR", Integer(0, 23), 7, "Paris hour from which the DPO's daily digest is queued"),
    Setting("DSAR_RETENTION_MONTHS", Integer(1), 60, "closed requests are deleted this long after closing"),
    # data map and purges
    Setting("DATAMAP_PATH", PATH, None, "the data map (YAML); unset: only the service's own data"),
    Setting("PURGE_BATCH_SIZE", Integer(0), 0, "rows (or files) per batch of a purge step; 0: one statement per table"),
    Setting("PURGE_STEP_LEASE_SECONDS", Integer(1), 120, "a purge step not renewed for this long was abandoned"),
    Setting("PURGE_MAX_ATTEMPTS", Integer(1), 5, "tries of a purge step before its store is reported failed"),
    Setting("PURGE_RETRY_SECONDS", Integer(0), 60, "first retry delay of a purge step, doubled after each try"),
    Setting("PURGE_STEPS_PER_PASS", Integer(1), 50, "purge steps one worker pass runs"),
    Setting("PURGE_BATCH_PAUSE_SECONDS", Number(), 0.0, "pause between purge batches (tests)"),
    Setting("RETENTION_BATCH_SIZE", Integer(1), 20000, "rows per retention-sweep batch"),
    Setting("RETENTION_BATCHES_PER_PASS", Integer(1), 100, "retention batches one worker pass runs"),
    Setting("CONSENT_PROOF_RETENTION_MONTHS", Integer(1), 60,
            "consent proofs are deleted this long after they were recorded"),
    Setting("CONSENT_OBJECTIONS_CACHE_SECONDS", Number(), 3.0, "how long a process keeps the accounts' objections"),
    Setting("ERASURE_JOURNAL", PATH, None, "append-only file recording every finished erasure (for purges replay)"),
    Setting("PSEUDONYM_KEY", Text(), None, "key of the keyed hashes standing for account ids; never rotated",
            secret=True),
    # back-office
    Setting("BACKOFFICE_LOCK_AFTER", Integer(1), 5, "failed sign-ins in a row before a DPO account locks"),
    Setting("BACKOFFICE_LOCK_MINUTES", Integer(1), 15, "how long a locked account stays locked"),
    Setting("BACKOFFICE_IDLE_MINUTES", Integer(1), 30, "idle time after which a back-office session ends"),
    Setting("BACKOFFICE_LOGIN_RATE_LIMIT", RateLimit(), "10 per minute", "sign-in attempts per client address, or off"),
    Setting("BACKOFFICE_PAGE_SIZE", Integer(1, 1000), 50, "rows per back-office page"),
    Setting("BACKOFFICE_REQUIRE_2FA", Boolean(), False, "DPO accounts must sign in with a one-time code (TOTP)"),
    # preferences and seals
    Setting("PREFERENCES_PATH", PATH, None, "YAML catalogue of notification themes; unset: the built-in themes"),
    Setting("SEAL_INTERVAL_SECONDS", Integer(1), 60, "longest time between two seals of the consent proof"),
    Setting("SEAL_JOURNAL", PATH, None, "file outside the database where each seal's hash is appended"),
)
BY_NAME = {setting.name: setting for setting in SETTINGS}
URL_SECRETS = ("DATABASE_URL", "RATELIMIT_STORAGE_URI")
assert len(BY_NAME) == len(SETTINGS), "a setting is declared twice"


@dataclass
class Settings:
    """The effective settings: ``values`` (the variables), ``config`` (what goes into app.config),
    where each value came from, and the problems found."""

    values: dict[str, Any] = field(default_factory=dict)
    sources: dict[str, str] = field(default_factory=dict)
    problems: dict[str, str] = field(default_factory=dict)
    rejected: dict[str, Any] = field(default_factory=dict)
    config: dict[str, Any] = field(default_factory=dict)

    def masked(self) -> list[tuple[str, str, str]]:
        """(name, printable value, source) per setting, secrets masked."""
        shown = {**self.values, **self.config, "DATABASE_URL": self.config.get("SQLALCHEMY_DATABASE_URI")}
        return [(s.name, self._shown(s, shown.get(s.name)), self.sources.get(s.name, "default")) for s in SETTINGS]

    def _shown(self, setting: Setting, value: Any) -> str:
        if setting.name in self.rejected and not setting.secret:
            return repr(self.rejected[setting.name])
        return _printable(setting, value)


def load(environ: Mapping[str, str] | None, overrides: Mapping[str, Any] | None = None,
         instance_path: str | None = None) -> Settings:
    """The settings from ``environ`` (default: the process environment), typed ``overrides``
    winning; raises :class:`SettingsError` naming every invalid variable."""
    env = os.environ if environ is None else environ
    overrides = overrides or {}
    report = Settings()
    for setting in SETTINGS:
        source, value = "default", setting.default
        try:
            if setting.name in overrides:
                source = "config"
                value = overrides[setting.name]
                value = None if value is None else setting.kind.check(value)
            elif env.get(setting.name, "").strip():
                source = "environment"
                value = setting.kind.parse(env[setting.name])
        except ValueError as err:
            report.problems[setting.name] = str(err)
            report.rejected[setting.name] = overrides.get(setting.name, env.get(setting.name))
            value = setting.default
        report.values[setting.name], report.sources[setting.name] = value, source
    report.config = _derived(report, overrides, instance_path)
    if report.problems:
        raise SettingsError(report.problems, report)
    return report


def _derived(report: Settings, overrides: Mapping[str, Any], instance_path: str | None) -> dict[str, Any]:
    """app.config from the variables: the database URI, the secret key, the DPO address, Secure cookies."""
    values = dict(report.values)
    values["PUBLIC_BASE_URL"] = values["PUBLIC_BASE_URL"].rstrip("/")
    values["DPO_EMAIL"] = values["DPO_EMAIL"] or values["MAIL_FROM"]
    database = overrides.get("SQLALCHEMY_DATABASE_URI") or values["DATABASE_URL"]
    if not database and instance_path:
        Path(instance_path).mkdir(parents=True, exist_ok=True)
        database = f"sqlite:///{Path(instance_path) / 'consent.db'}"
    values["SQLALCHEMY_DATABASE_URI"] = database
    values["SECURE_COOKIES"] = values["PUBLIC_BASE_URL"].startswith("https://")
    if not values["SECRET_KEY"]:
        if database and not str(database).startswith("sqlite"):
            report.problems["SECRET_KEY"] = (
                "is required with a PostgreSQL DATABASE_URL: every process must sign with the same key "
                "(set SECRET_KEY to a long random value, the same on every host)")
        elif instance_path:
            values["SECRET_KEY"] = _instance_secret_key(instance_path)
            report.sources["SECRET_KEY"] = "generated"
    return values


def _instance_secret_key(instance_path: str) -> str:
    """A random key generated once into the instance folder, for development only."""
    path = Path(instance_path) / "secret_key"
    if path.exists():
        key = path.read_text().strip()
    else:
        path.parent.mkdir(parents=True, exist_ok=True)
        key = secrets.token_urlsafe(48)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(key)
    log.warning(
        "SECRET_KEY is not set: using a key generated into %s. Set SECRET_KEY in "
        "production; every process must share it.", path,
    )
    return key


def _printable(setting: Setting, value: Any) -> str:
    if value is None or value == [] or value == {}:
        return "(unset)"
    if setting.secret:  # a URL keeps its host and database, never a password; any other secret shows nothing
        return _without_password(str(value)) if setting.name in URL_SECRETS else "********"
    if isinstance(value, list):
        return ", ".join(value)
    if isinstance(value, dict):
        return ", ".join(f"{name}={period:g}s" for name, period in value.items())
    return str(value)


def _without_password(url: str) -> str:
    try:
        parsed = make_url(url)
    except ArgumentError:
        return re.sub(r"//[^@/]*@", "//********@", url).split("?")[0]
    hidden = {name: "********" if re.search(r"pass|secret|token|key", name, re.I) else given
              for name, given in parsed.query.items()}  # libpq also takes ?password=…
    return parsed.set(query=hidden).render_as_string(hide_password=True).replace("%2A", "*")


def defaults() -> dict[str, Any]:
    """Settings that are not environment variables."""
    return {
        "MAX_CONTENT_LENGTH": JSON_BODY_LIMIT,
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "API_TITLE": "Consent service",
        "API_VERSION": "v1",
        "OPENAPI_VERSION": "3.0.3",
        "OPENAPI_URL_PREFIX": "/v1",
        "OPENAPI_JSON_PATH": "openapi.json",
        "RATELIMIT_HEADERS_ENABLED": True,
        "RATELIMIT_STRATEGY": "fixed-window",
        "RATELIMIT_SWALLOW_ERRORS": True,
        "JSON_SORT_KEYS": False,
    }
