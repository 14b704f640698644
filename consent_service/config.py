"""Configuration from the environment (docs/deployment.md). Read only in ``create_app``."""
from __future__ import annotations

import logging
import os
import secrets
from pathlib import Path

log = logging.getLogger(__name__)

JSON_BODY_LIMIT = 64 * 1024


def _bool(value: str | None, default: bool = False) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _int(name: str, value: str | None, default: int) -> int:
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise RuntimeError(f"{name} must be an integer") from None


def _optional_ints(env: dict[str, str], *names: str) -> dict[str, int]:
    """The integer settings whose default their feature sets, when the environment sets them."""
    return {name: _int(name, env[name], 0) for name in names if env.get(name)}


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


def from_environment(instance_path: str, env: dict[str, str] | None = None) -> dict:
    """Build the Flask config mapping from environment variables."""
    env = dict(os.environ if env is None else env)
    Path(instance_path).mkdir(parents=True, exist_ok=True)
    database_url = env.get("DATABASE_URL") or f"sqlite:///{Path(instance_path) / 'consent.db'}"
    if database_url.startswith("postgres://"):
        database_url = "postgresql+psycopg://" + database_url[len("postgres://"):]
    elif database_url.startswith("postgresql://"):
        database_url = "postgresql+psycopg://" + database_url[len("postgresql://"):]
    mail_from = env.get("MAIL_FROM") or "dpo@localhost"
    public_base_url = (env.get("PUBLIC_BASE_URL") or "http://127.0.0.1:8000").rstrip("/")
    return {
        "SECRET_KEY": env.get("SECRET_KEY") or _instance_secret_key(instance_path),
        "SECRET_KEY_FALLBACKS": [k.strip() for k in env.get("SECRET_KEY_FALLBACKS", "").split(",") if k.strip()],
        "SQLALCHEMY_DATABASE_URI": database_url,
        "PUBLIC_BASE_URL": public_base_url,
        "SMTP_HOST": env.get("SMTP_HOST") or None,
        "SMTP_PORT": _int("SMTP_PORT", env.get("SMTP_PORT"), 25),
        "SMTP_USERNAME": env.get("SMTP_USERNAME") or None,
        "SMTP_PASSWORD": env.get("SMTP_PASSWORD") or None,
        "SMTP_STARTTLS": _bool(env.get("SMTP_STARTTLS")),
        "MAIL_FROM": mail_from,
        "DPO_EMAIL": env.get("DPO_EMAIL") or mail_from,
        "DATAMAP_PATH": env.get("DATAMAP_PATH") or None,
        "TRUSTED_PROXY_HOPS": _int("TRUSTED_PROXY_HOPS", env.get("TRUSTED_PROXY_HOPS"), 0),
        "CONSENT_RATE_LIMIT": env.get("CONSENT_RATE_LIMIT") or "600 per minute",
        "DSAR_RATE_LIMIT": env.get("DSAR_RATE_LIMIT") or "30 per hour",
        "RATELIMIT_STORAGE_URI": env.get("RATELIMIT_STORAGE_URI") or "memory://",
        "SECURE_COOKIES": public_base_url.startswith("https://"),
        **_optional_ints(env, "DSAR_RETENTION_MONTHS"),
    }


def defaults() -> dict:
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
        "POLICY_CACHE_SECONDS": 2.0,
    }
