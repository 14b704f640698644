"""The one source of "now", so tests can stand on any date without sleeping."""
from __future__ import annotations

import datetime as dt

_frozen: dt.datetime | None = None


def now() -> dt.datetime:
    """The current time, timezone-aware UTC (or the time a test has set)."""
    if _frozen is not None:
        return _frozen
    return dt.datetime.now(dt.timezone.utc)


def set_now(moment: dt.datetime | None) -> None:
    """Stand the clock at ``moment`` (aware); ``None`` lets it run again."""
    global _frozen
    if moment is not None and moment.tzinfo is None:
        raise ValueError("the clock only takes timezone-aware times")
    _frozen = moment.astimezone(dt.timezone.utc) if moment else None


def utc(moment: dt.datetime) -> dt.datetime:
    """Treat a naive time read back from SQLite as UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.timezone.utc)


def rfc3339(moment: dt.datetime | None) -> str | None:
    if moment is None:
        return None
    return utc(moment).astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def add_months(moment: dt.datetime | dt.date, months: int):
    """The same day ``months`` calendar months later (the month's last day when it has none)."""
    import calendar

    month_index = moment.month - 1 + months
    year, month = moment.year + month_index // 12, month_index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)
