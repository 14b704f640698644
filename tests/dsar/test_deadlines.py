"""The legal deadline (docs/rights-requests.md), with the clock moved, not slept."""
import datetime as dt

import pytest

from consent_service import clock
from dsar import deadlines

from .helpers import submit

UTC = dt.UTC


def paris(*args):
    return dt.datetime(*args, tzinfo=deadlines.PARIS)


@pytest.mark.parametrize(("received", "due_on"), [
    # 31 January -> 28 February 2027 (no 31st), a Sunday -> Monday 1 March
    (paris(2027, 1, 31, 10, 0), dt.date(2027, 3, 1)),
    # 14 July -> 14 August 2027, a Saturday; Sunday 15 is Assumption too -> Monday 16
    (paris(2027, 7, 14, 10, 0), dt.date(2027, 8, 16)),
    # 28 February -> Sunday 28 March, then Easter Monday 29 March -> Tuesday 30
    (paris(2027, 2, 28, 10, 0), dt.date(2027, 3, 30)),
    # 31 December 2027 -> Monday 31 January 2028
    (paris(2027, 12, 31, 10, 0), dt.date(2028, 1, 31)),
    # 31 December 2026 -> Sunday 31 January 2027 -> Monday 1 February
    (paris(2026, 12, 31, 10, 0), dt.date(2027, 2, 1)),
    # 17 April -> Whit Monday 17 May 2027 -> Tuesday 18
    (paris(2027, 4, 17, 10, 0), dt.date(2027, 5, 18)),
    # 30 April 2027 at 23:30 Paris (21:30 UTC) counts from 30 April: Sunday 30 May -> Monday 31
    (paris(2027, 4, 30, 23, 30), dt.date(2027, 5, 31)),
    # 00:30 Paris on 1 May is still 30 April in UTC, but the Paris day is 1 May -> Tuesday 1 June
    (paris(2027, 5, 1, 0, 30), dt.date(2027, 6, 1)),
    # 30 January 2028 (leap year) -> 29 February 2028, a Tuesday
    (paris(2028, 1, 30, 12, 0), dt.date(2028, 2, 29)),
])
def test_due_on_is_the_corresponding_day_next_month_moved_to_a_working_day(received, due_on):
    assert deadlines.due_on(received.astimezone(UTC)) == due_on


def test_the_day_of_receipt_is_the_paris_day():
    late_evening = paris(2027, 4, 30, 23, 30).astimezone(UTC)
    assert late_evening == dt.datetime(2027, 4, 30, 21, 30, tzinfo=UTC)
    assert deadlines.paris_day(late_evening) == dt.date(2027, 4, 30)
    after_midnight = paris(2027, 5, 1, 0, 30).astimezone(UTC)
    assert after_midnight.date() == dt.date(2027, 4, 30)
    assert deadlines.paris_day(after_midnight) == dt.date(2027, 5, 1)


def test_due_at_is_one_second_before_midnight_paris_time_in_utc():
    assert deadlines.end_of_day(dt.date(2027, 3, 1)) == dt.datetime(2027, 3, 1, 22, 59, 59, tzinfo=UTC)  # CET
    assert deadlines.end_of_day(dt.date(2027, 8, 16)) == dt.datetime(2027, 8, 16, 21, 59, 59, tzinfo=UTC)  # CEST


def test_whit_monday_and_the_national_holidays_are_not_working_days():
    for day in (dt.date(2027, 5, 17), dt.date(2027, 7, 14), dt.date(2027, 11, 11), dt.date(2027, 5, 6),
                dt.date(2006, 6, 5)):  # Whit Monday 2006, missing from the library's list
        assert not deadlines.is_working_day(day)
    assert deadlines.is_working_day(dt.date(2027, 5, 18))


def test_the_extension_is_three_months_after_receipt_by_the_same_rule():
    received = paris(2027, 1, 31, 10, 0).astimezone(UTC)
    assert deadlines.due_on(received, deadlines.EXTENDED_MONTHS) == dt.date(2027, 4, 30)
    received = paris(2027, 2, 14, 10, 0).astimezone(UTC)  # 14 May 2027 is a Friday
    assert deadlines.due_on(received, 3) == dt.date(2027, 5, 14)
    received = paris(2027, 4, 14, 10, 0).astimezone(UTC)  # 14 July: national day -> Thursday 15
    assert deadlines.due_on(received, 3) == dt.date(2027, 7, 15)


def test_the_public_answer_carries_the_deadline_from_the_paris_day(client):
    clock.set_now(paris(2027, 1, 31, 23, 30).astimezone(UTC))
    body = submit(client).get_json()
    assert body["received_at"] == "2027-01-31T22:30:00Z"
    assert body["due_on"] == "2027-03-01"
    assert body["due_at"] == "2027-03-01T22:59:59Z"
