"""The one source of "now", so tests can stand on any date without sleeping."""
from __future__ import annotations

import calendar
import datetime as dt
import time
from typing import TypeVar

_Moment = TypeVar("_Moment", dt.datetime, dt.date)
_frozen: dt.datetime | None = None


def now() -> dt.datetime:
    """The current time, timezone-aware UTC (or the time a test has set)."""
    if _frozen is not None:
        return _frozen
    return dt.datetime.now(dt.UTC)


def set_now(moment: dt.datetime | None) -> None:
    """Stand the clock at ``moment`` (aware); ``None`` lets it run again."""
    global _frozen
    if moment is not None and moment.tzinfo is None:
        raise ValueError("the clock only takes timezone-aware times")
    _frozen = moment.astimezone(dt.UTC) if moment else None


def utc(moment: dt.datetime) -> dt.datetime:
    """Treat a naive time read back from SQLite as UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def rfc3339(moment: dt.datetime | None) -> str | None:
    if moment is None:
        return None
    return utc(moment).astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def rfc3339_at(timestamp: int) -> str:
    """``rfc3339`` of a POSIX timestamp (seconds), without building a datetime: the consent
    cookies carry their expiry this way and consent-state writes it on every page view."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(timestamp))


def add_months(moment: _Moment, months: int) -> _Moment:
    """The same day ``months`` calendar months later (the month's last day when it has none)."""
    month_index = moment.month - 1 + months
    year, month = moment.year + month_index // 12, month_index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)
