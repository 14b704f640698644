"""What a log line may say about a request (docs/deployment.md, "Logs"): no token, no e-mail
address, no full client address, no account id.

Used by gunicorn's access log (:class:`AccessLogger`, named in gunicorn.conf.py) and by a
filter on the lines of libraries that format request data into their messages (Flask-Limiter
logs the rate-limit key, that is the client's address, when a limit is exceeded).
"""
from __future__ import annotations

import ipaddress
import logging
import re
from typing import Any

from gunicorn.glogging import Logger as GunicornLogger  # type: ignore[import-untyped]

EMAIL = re.compile(r"[^\s@/?&=\"'<>]+@[^\s@/?&=\"'<>]+\.[A-Za-z]{2,}")
IPV4 = re.compile(r"(?<![\d.])(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})(?![\d.])")
IPV6 = re.compile(r"(?<![0-9A-Fa-f:])(?:[0-9A-Fa-f]{0,4}:){2,7}[0-9A-Fa-f]{0,4}(?![0-9A-Fa-f:])")
LONG_TOKEN = re.compile(r"[A-Za-z0-9_\-.~%]{40,}")
# Path segments that name a person or carry a credential, and what stands in for them.
PATH_RULES = (
    (re.compile(r"^(/dsar/exports/)[^/]+"), r"\1{token}"),
    (re.compile(r"^(/v1/accounts/)[^/]+"), r"\1{account_id}"),
)
REQUEST_HEADERS_KEPT = frozenset({"{user-agent}i", "{x-request-id}i", "{content-type}i", "{content-length}i"})
RESPONSE_HEADERS_KEPT = frozenset({"{x-request-id}o", "{content-type}o", "{content-length}o"})
ACCESS_LOG_FORMAT = '%(h)s %(t)s "%(r)s" %(s)s %(b)s %(M)sms "%(a)s" request_id=%({x-request-id}o)s'


def truncate_ip(address: str | None) -> str:
    """IPv4 to its /24, IPv6 to its /48, as in the consent proofs; anything else dropped."""
    try:
        ip = ipaddress.ip_address((address or "").strip())
    except ValueError:
        return "-"
    prefix = 24 if ip.version == 4 else 48
    return str(ipaddress.ip_network(f"{ip}/{prefix}", strict=False).network_address)


def redact_path(path: str | None) -> str:
    """The path without its query string, tokens, account ids or addresses."""
    path = (path or "").split("?", 1)[0]
    for pattern, replacement in PATH_RULES:
        path = pattern.sub(replacement, path)
    segments = ["{redacted}" if "@" in s or "%40" in s.lower() or LONG_TOKEN.fullmatch(s) else s
                for s in path.split("/")]
    return "/".join(segments)


def redact_text(text: str) -> str:
    """Free text (a library's message): addresses, IPs and token-like runs replaced."""
    text = EMAIL.sub("{email}", text)
    text = IPV4.sub(lambda m: truncate_ip(m.group(0)), text)
    text = IPV6.sub(lambda m: truncate_ip(m.group(0)) if _is_ip(m.group(0)) else m.group(0), text)
    return LONG_TOKEN.sub("{redacted}", text)


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


class RedactingFilter(logging.Filter):
    """Rewrites a record's message (arguments included) through :func:`redact_text`."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a malformed record: leave it to the handler's own error path
            return True
        record.msg, record.args = redact_text(message), ()
        return True


def install() -> None:
    """Put the filter on the loggers of libraries that log request data."""
    limiter_log = logging.getLogger("flask-limiter")
    if not any(isinstance(f, RedactingFilter) for f in limiter_log.filters):
        limiter_log.addFilter(RedactingFilter())


class AccessLogger(GunicornLogger):  # type: ignore[misc]
    """Gunicorn's logger whose access lines hold no query string, token, account id, e-mail
    address, cookie, credential or full client address (the request id is kept)."""

    def atoms(self, resp: Any, req: Any, environ: dict[str, Any], request_time: Any) -> dict[str, Any]:
        atoms: dict[str, Any] = super().atoms(resp, req, environ, request_time)
        path = redact_path(environ.get("PATH_INFO") or environ.get("RAW_URI"))
        atoms.update({
            "h": truncate_ip(environ.get("REMOTE_ADDR")),
            "u": "-",
            "r": f"{environ.get('REQUEST_METHOD', '-')} {path} {environ.get('SERVER_PROTOCOL', '-')}",
            "U": path,
            "q": "",
            "f": "-",
            "a": redact_text(str(atoms.get("a", "-"))),
        })
        for key in [k for k in atoms if k.startswith("{")]:
            if key.endswith("}e") or (key.endswith("}i") and key not in REQUEST_HEADERS_KEPT) or \
                    (key.endswith("}o") and key not in RESPONSE_HEADERS_KEPT):
                atoms[key] = "-"
        return atoms
