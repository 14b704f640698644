"""The legal deadline of a request (GDPR art. 12(3)), counted in Paris time (docs/rights-requests.md)."""
from __future__ import annotations

import datetime as dt
import functools
from zoneinfo import ZoneInfo

import holidays
from dateutil.easter import easter

from consent_service import clock

PARIS = ZoneInfo("Europe/Paris")
FIRST_MONTHS = 1
EXTENDED_MONTHS = 3


@functools.lru_cache(maxsize=64)
def french_public_holidays(year: int) -> frozenset[dt.date]:
    """The national French public holidays of ``year``, Whit Monday always included
    (the library leaves it out for 2005-2007, when it was the "journée de solidarité")."""
    days = set(holidays.France(years=year))
    days.add(easter(year) + dt.timedelta(days=50))
    return frozenset(days)


def is_working_day(day: dt.date) -> bool:
    return day.weekday() < 5 and day not in french_public_holidays(day.year)


def working_days_before(day: dt.date, count: int) -> dt.date:
    """The working day ``count`` working days before ``day`` (``day`` itself not counted): the
    last day on which something is asked "at least ``count`` working days before ``day``"."""
    if count < 1:
        raise ValueError("count working days back from at least one")
    while count:
        day -= dt.timedelta(days=1)
        count -= is_working_day(day)
    return day


def paris_day(moment: dt.datetime) -> dt.date:
    """The calendar day ``moment`` falls on in Paris."""
    return clock.utc(moment).astimezone(PARIS).date()


def due_on(received_at: dt.datetime, months: int = FIRST_MONTHS) -> dt.date:
    """The corresponding day ``months`` after the Paris day of receipt (the month's last day
    when it has none), moved to the next working day past weekends and public holidays."""
    day = clock.add_months(paris_day(received_at), months)
    while not is_working_day(day):
        day += dt.timedelta(days=1)
    return day


def end_of_day(day: dt.date) -> dt.datetime:
    """23:59:59 Paris time on ``day``, in UTC."""
    return dt.datetime.combine(day, dt.time(23, 59, 59), tzinfo=PARIS).astimezone(dt.UTC)


def deadline(received_at: dt.datetime, months: int = FIRST_MONTHS) -> tuple[dt.date, dt.datetime]:
    """``(due_on, due_at)`` for a request received at ``received_at``."""
    day = due_on(received_at, months)
    return day, end_of_day(day)
