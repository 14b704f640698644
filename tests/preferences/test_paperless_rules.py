"""The paperless rules as date arithmetic: French working days (public holidays from the DSAR
deadline code), in time or too late, cancellations, monthly billing dates."""
import datetime as dt

import pytest

from dsar import deadlines
from dsar.deadlines import working_days_before
from preferences import paperless
from preferences.paperless import OFF, Paperless

D = dt.date


@pytest.mark.parametrize(("billing", "last_day_in_time"), [
    # Monday 10 May 2027, after Ascension (Thursday 6 May) and Saturday 8 May: Friday 23 April
    (D(2027, 5, 10), D(2027, 4, 23)),
    # Friday 7 May 2027, the bridge day after Ascension: Thursday 6 is a holiday, so Thursday 22 April
    (D(2027, 5, 7), D(2027, 4, 22)),
    # Monday 17 July 2028, after the 14 July (a Friday) long weekend: Friday 30 June
    (D(2028, 7, 17), D(2028, 6, 30)),
    # Tuesday 18 May 2027, after Whit Monday 17 May and with Ascension in the window: Friday 30 April
    (D(2027, 5, 18), D(2027, 4, 30)),
    # Friday 15 January 2027, no holiday: two weeks before, Friday 1 January is a holiday -> Thursday 31 December
    (D(2027, 1, 15), D(2026, 12, 31)),
    # Wednesday 3 March 2027, no holiday at all in the window: Wednesday 17 February
    (D(2027, 3, 3), D(2027, 2, 17)),
])
def test_the_last_day_in_time_is_ten_french_working_days_before_billing(billing, last_day_in_time):
    assert working_days_before(billing, paperless.NOTICE_WORKING_DAYS) == last_day_in_time
    assert paperless.in_time(last_day_in_time, billing)
    assert not paperless.in_time(last_day_in_time + dt.timedelta(days=1), billing)


def test_working_days_before_needs_a_positive_count():
    with pytest.raises(ValueError):
        working_days_before(D(2027, 5, 10), 0)


def test_a_weekend_request_is_too_late_for_a_billing_nine_working_days_later():
    # Saturday 24 April 2027 -> Monday 10 May: only nine working days in between
    assert not paperless.in_time(D(2027, 4, 24), D(2027, 5, 10))


def test_asked_exactly_ten_working_days_before_starts_on_the_billing_date():
    started = paperless.start(OFF, D(2027, 4, 23), D(2027, 5, 10))
    assert started == Paperless(electronic_from=D(2027, 5, 10))
    assert started.status(D(2027, 5, 9)) == "pending"
    assert started.status(D(2027, 5, 10)) == "on"


def test_asked_one_working_day_too_late_starts_one_month_later():
    started = paperless.start(OFF, D(2027, 4, 26), D(2027, 5, 10))
    assert started == Paperless(electronic_from=D(2027, 6, 10))
    assert started.public(D(2027, 5, 10)) == {"status": "pending", "effective_on": D(2027, 6, 10),
                                              "last_electronic_on": None}


def test_one_month_later_is_the_last_day_of_a_shorter_month():
    assert paperless.start(OFF, D(2027, 1, 25), D(2027, 1, 31)).electronic_from == D(2027, 2, 28)


def test_asking_again_while_pending_or_on_changes_nothing():
    pending = Paperless(electronic_from=D(2027, 5, 10))
    assert paperless.start(pending, D(2027, 5, 3), D(2027, 5, 10)) is pending
    assert paperless.start(pending, D(2027, 6, 1), D(2027, 6, 10)) is pending


ON_SINCE_MARCH = Paperless(electronic_from=D(2027, 3, 10))


def test_cancelling_in_time_means_paper_from_the_next_billing_date():
    stopped = paperless.stop(ON_SINCE_MARCH, D(2027, 4, 23), D(2027, 5, 10))
    assert stopped.public(D(2027, 4, 23)) == {"status": "off", "effective_on": D(2027, 5, 10),
                                              "last_electronic_on": None}


def test_cancelling_too_late_leaves_one_last_electronic_notice():
    stopped = paperless.stop(ON_SINCE_MARCH, D(2027, 4, 26), D(2027, 5, 10))
    assert stopped.public(D(2027, 4, 26)) == {"status": "ending", "effective_on": D(2027, 6, 10),
                                              "last_electronic_on": D(2027, 5, 10)}
    assert stopped.status(D(2027, 6, 9)) == "ending"
    assert stopped.status(D(2027, 6, 10)) == "off"


def test_cancelling_a_pending_request_in_time_withdraws_it():
    pending = Paperless(electronic_from=D(2027, 5, 10))
    assert paperless.stop(pending, D(2027, 4, 20), D(2027, 5, 10)) == OFF


def test_cancelling_a_pending_request_too_late_still_sends_its_first_notice_electronically():
    pending = Paperless(electronic_from=D(2027, 5, 10))
    stopped = paperless.stop(pending, D(2027, 5, 3), D(2027, 5, 10))
    assert stopped.status(D(2027, 5, 3)) == "ending" and stopped.last_electronic_on == D(2027, 5, 10)


def test_cancelling_a_request_that_starts_after_the_next_billing_withdraws_it():
    # asked too late for 10 May, so electronic from 10 June; cancelled too late for 10 May
    pending = Paperless(electronic_from=D(2027, 6, 10))
    assert paperless.stop(pending, D(2027, 5, 3), D(2027, 5, 10)) == OFF


def test_cancelling_what_is_off_or_ending_changes_nothing():
    ending = paperless.stop(ON_SINCE_MARCH, D(2027, 4, 26), D(2027, 5, 10))
    assert paperless.stop(ending, D(2027, 4, 27), D(2027, 5, 10)) is ending
    assert paperless.stop(OFF, D(2027, 4, 27), D(2027, 5, 10)) is OFF


def test_asking_again_before_paper_resumes_keeps_the_subscription_going():
    ending = paperless.stop(ON_SINCE_MARCH, D(2027, 4, 26), D(2027, 5, 10))  # paper from 10 June
    resumed = paperless.start(ending, D(2027, 5, 20), D(2027, 6, 10))
    assert resumed == ON_SINCE_MARCH and resumed.status(D(2027, 5, 20)) == "on"


def test_asking_again_too_late_for_the_return_to_paper_starts_afresh_after_it():
    stopped = paperless.stop(ON_SINCE_MARCH, D(2027, 4, 20), D(2027, 5, 10))  # paper from 10 May
    again = paperless.start(stopped, D(2027, 5, 3), D(2027, 5, 10))
    assert again == Paperless(electronic_from=D(2027, 6, 10))


@pytest.mark.parametrize(("anchor", "today", "expected"), [
    (D(2027, 5, 10), D(2027, 5, 3), D(2027, 5, 10)),    # before the anchor: the anchor
    (D(2027, 5, 10), D(2027, 5, 10), D(2027, 5, 10)),   # on a billing day: that day
    (D(2027, 5, 10), D(2027, 5, 11), D(2027, 6, 10)),
    (D(2027, 1, 31), D(2027, 3, 1), D(2027, 3, 31)),    # the 31st, through February
    (D(2027, 1, 31), D(2027, 2, 20), D(2027, 2, 28)),
    (D(2026, 12, 5), D(2027, 11, 6), D(2027, 12, 5)),   # across a year
])
def test_the_next_billing_date_follows_the_anchor_monthly(anchor, today, expected):
    assert paperless.next_billing_after(anchor, today) == expected


def test_the_rule_counts_with_the_dsar_deadlines_working_days_not_a_copy(monkeypatch):
    """A day the holiday list gains moves the paperless rule and the DSAR deadline alike."""
    received = dt.datetime(2027, 4, 5, 10, tzinfo=deadlines.PARIS)
    assert deadlines.due_on(received) == D(2027, 5, 5)
    assert paperless.in_time(D(2027, 4, 23), D(2027, 5, 10))
    real = deadlines.french_public_holidays
    monkeypatch.setattr(deadlines, "french_public_holidays", lambda year: real(year) | {D(2027, 5, 5)})
    assert deadlines.due_on(received) == D(2027, 5, 7)  # 5 May off, 6 May Ascension
    assert not paperless.in_time(D(2027, 4, 23), D(2027, 5, 10))  # one working day fewer before 10 May
    assert paperless.in_time(D(2027, 4, 22), D(2027, 5, 10))
