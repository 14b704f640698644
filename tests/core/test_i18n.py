"""French dates and times never wrap inside: « 14 h 02 » and « 1er mars 2027 » hold together with
no-break spaces, so a narrow table cell cannot put « 14 h » on one line and « 02 » on the next."""
from __future__ import annotations

import datetime as dt
import re

from consent_service import i18n

NBSP = "\u00a0"
# Every character a browser or a mail reader may break a line at (U+00A0 and U+202F are not).
BREAKABLE = re.compile(r"[ \t\n\r\u1680\u2000-\u200b\u2028\u2029\u205f\u3000]")


def _instants():
    """Every hour and a spread of minutes, both sides of the summer-time changes, days 1 to 31."""
    start = dt.datetime(2027, 1, 1, tzinfo=dt.UTC)
    for hours in range(0, 366 * 24, 7):
        yield start + dt.timedelta(hours=hours, minutes=hours % 60)
    yield dt.datetime(2027, 3, 28, 0, 59, tzinfo=dt.UTC)  # 01:59 Paris, winter time
    yield dt.datetime(2027, 3, 28, 1, 0, tzinfo=dt.UTC)  # 03:00 Paris, summer time
    yield dt.datetime(2027, 10, 31, 0, 59, tzinfo=dt.UTC)
    yield dt.datetime(2027, 10, 31, 1, 0, tzinfo=dt.UTC)


def test_no_french_date_time_has_a_breakable_space_inside_its_time_or_its_date():
    for instant in _instants():
        text = i18n.moment(instant, "fr")
        date, _, time = text.rpartition(" à" + NBSP)
        assert date and re.fullmatch(rf"\d{{1,2}}{NBSP}h{NBSP}\d{{2}}", time), text
        assert not BREAKABLE.search(time) and not BREAKABLE.search(date), text
        assert BREAKABLE.findall(text) == [" "], text  # only before « à »


def test_the_time_still_reads_as_words():
    assert i18n.moment(dt.datetime(2027, 2, 26, 13, 2, tzinfo=dt.UTC), "fr") == \
        f"26{NBSP}février{NBSP}2027 à{NBSP}14{NBSP}h{NBSP}02"
    assert i18n.moment(dt.datetime(2026, 7, 14, 22, 30, tzinfo=dt.UTC), "fr") == \
        f"15{NBSP}juillet{NBSP}2026 à{NBSP}0{NBSP}h{NBSP}30"
    assert i18n.moment(dt.datetime(2027, 2, 26, 13, 2, tzinfo=dt.UTC), "en") == "26 February 2027 at 14:02"
    # Read as text (a plain-text mail, a screen reader, a CSV cell), they are ordinary spaces.
    assert i18n.moment(dt.datetime(2027, 3, 1, 9, 0, tzinfo=dt.UTC), "fr").replace(NBSP, " ") == \
        "1er mars 2027 à 10 h 00"
    assert i18n.moment(None, "fr") == "—"


def test_a_french_day_holds_together_and_only_the_weekday_may_break_off():
    for offset in range(0, 366):
        value = dt.date(2027, 1, 1) + dt.timedelta(days=offset)
        assert not BREAKABLE.search(i18n.day(value, "fr")), value
        with_weekday = i18n.day(value, "fr", weekday=True)
        assert BREAKABLE.findall(with_weekday) == [" "] and with_weekday.split(" ")[0] in i18n.WEEKDAYS["fr"]
    assert i18n.day(dt.date(2027, 3, 1), "fr", weekday=True) == f"lundi 1er{NBSP}mars{NBSP}2027"
    assert i18n.day(None, "fr") == "—"
