"""The rules of paperless rent notices (« avis d'échéance dématérialisés », docs/preferences.md).

Pure date arithmetic over a :class:`Paperless` value: no database, no clock. Notices are issued
on billing dates, one a month; electronic notices are issued on the billing dates from
``electronic_from`` on, until a cancellation sets ``paper_from``. Asking at least
``NOTICE_WORKING_DAYS`` French working days before a billing date is in time for it.
"""
from __future__ import annotations

import dataclasses
import datetime as dt

from consent_service.clock import add_months
from dsar.deadlines import working_days_before

NOTICE_WORKING_DAYS = 10
STATUSES = ("off", "pending", "on", "ending")


@dataclasses.dataclass(frozen=True)
class Paperless:
    """What is stored: the first electronic billing date of the current subscription, the
    billing date paper resumes on after a cancellation, and the last electronic one when the
    cancellation came too late for the next notice."""

    electronic_from: dt.date | None = None
    paper_from: dt.date | None = None
    last_electronic_on: dt.date | None = None

    def status(self, today: dt.date) -> str:
        if self.paper_from is not None:
            return "ending" if self.last_electronic_on is not None and today < self.paper_from else "off"
        if self.electronic_from is None:
            return "off"
        return "pending" if today < self.electronic_from else "on"

    def effective_on(self) -> dt.date | None:
        """When the status shown takes (or took) effect: paper's return once cancelled, else the
        first electronic notice."""
        return self.paper_from if self.paper_from is not None else self.electronic_from

    def public(self, today: dt.date) -> dict:
        return {"status": self.status(today), "effective_on": self.effective_on(),
                "last_electronic_on": self.last_electronic_on}


OFF = Paperless()


def in_time(today: dt.date, billing_date: dt.date) -> bool:
    """Whether a request made on ``today`` is in time for the notice of ``billing_date``."""
    return today <= working_days_before(billing_date, NOTICE_WORKING_DAYS)


def start(current: Paperless, today: dt.date, next_billing_date: dt.date) -> Paperless:
    """Ask for electronic notices: from ``next_billing_date`` when asked in time, else from the
    billing date after it. Pending or on already: nothing changes. Cancelled, but asked again in
    time for paper never to resume: the earlier subscription simply goes on."""
    if current.status(today) in ("pending", "on"):
        return current
    first = next_billing_date if in_time(today, next_billing_date) else add_months(next_billing_date, 1)
    if current.electronic_from is not None and current.paper_from is not None and first <= current.paper_from \
            and today < current.paper_from:
        return Paperless(electronic_from=current.electronic_from)
    return Paperless(electronic_from=first)


def stop(current: Paperless, today: dt.date, next_billing_date: dt.date) -> Paperless:
    """Cancel: paper from ``next_billing_date`` when cancelled in time for it; otherwise its
    notice is the last electronic one and paper comes from the billing date after it. A
    subscription that would never have issued an electronic notice is simply withdrawn."""
    if current.status(today) in ("off", "ending"):
        return current
    first = current.electronic_from
    assert first is not None  # pending or on
    if in_time(today, next_billing_date):
        if first <= today:  # on: notices were electronic until now
            return Paperless(electronic_from=first, paper_from=next_billing_date)
        return OFF
    if first <= next_billing_date:
        return Paperless(electronic_from=first, paper_from=add_months(next_billing_date, 1),
                         last_electronic_on=next_billing_date)
    return OFF


def next_billing_after(anchor: dt.date, today: dt.date) -> dt.date:
    """The first billing date on or after ``today`` when billing falls monthly on ``anchor``'s day
    (the month's last day when it has none)."""
    months = max(0, (today.year - anchor.year) * 12 + today.month - anchor.month - 1)
    while (candidate := add_months(anchor, months)) < today:
        months += 1
    return candidate
