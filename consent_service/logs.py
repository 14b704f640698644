"""Log lines: ``LOG_FORMAT=text`` (default) or ``json`` (one object per line), each with the
request id (``-`` outside a request, e.g. in the worker). Messages never carry personal data:
the code logs ids and counts, never addresses, names or tokens."""
from __future__ import annotations

import datetime as dt
import json
import logging
import sys
from typing import TextIO

from . import request_id

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"
_MARK = "_consent_service_handler"


class RequestIdFilter(logging.Filter):
    """Gives every record a ``request_id`` (the one the answer's X-Request-Id carries)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not getattr(record, "request_id", None):
            record.request_id = request_id.current() or "-"
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request_id (and exception)."""

    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", None) or request_id.current() or "-",
        }
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False)


def formatter(log_format: str) -> logging.Formatter:
    return JsonFormatter() if log_format == "json" else logging.Formatter(TEXT_FORMAT)


def handler(log_format: str, stream: TextIO | None = None) -> logging.Handler:
    """A stream handler (standard error by default) writing ``log_format`` lines with request ids."""
    made = logging.StreamHandler(stream or sys.stderr)
    made.setFormatter(formatter(log_format))
    made.addFilter(RequestIdFilter())
    return made


def configure(log_format: str) -> None:
    """Send the root logger's lines through our handler, unless the host (a test runner, an
    embedding application) already configured logging; a later app only changes the format."""
    root = logging.getLogger()
    ours = next((h for h in root.handlers if getattr(h, _MARK, False)), None)
    if ours is not None:
        ours.setFormatter(formatter(log_format))
        return
    if root.handlers:
        return
    ours = handler(log_format)
    setattr(ours, _MARK, True)
    root.addHandler(ours)
    root.setLevel(logging.INFO)
