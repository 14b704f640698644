"""The dashboard never hides a case: every open request, soonest deadline first, a page at a
time; the counts come from the database; a request page offers only what the workflow allows."""
from __future__ import annotations

import datetime as dt
import html
import re

from consent_service import clock
from consent_service.extensions import db
from dsar import deadlines
from dsar.models import DsarRequest

from .conftest import HTML, NOW


def _bulk(count: int, *, received: dt.datetime, status: str = "awaiting_verification", prefix: str = "BULK",
          **fields) -> list[str]:
    """``count`` requests written directly (the workflow would take minutes for hundreds)."""
    due_on, due_at = deadlines.deadline(received)
    references = [f"DSAR-{prefix}-{i:05d}" for i in range(count)]
    db.session.add_all([DsarRequest(
        reference=reference, type="access", status=status, channel="post", email=None, full_name="X",
        locale="fr", received_at=received, due_on=due_on, due_at=due_at, first_due_at=due_at, extended=False,
        verify_nonce="0" * 16, created_at=received, version=1, **fields) for reference in references])
    db.session.commit()
    return references


def _references(html: str) -> list[str]:
    return re.findall(r'href="/backoffice/requests/(DSAR-[A-Z0-9-]+)"', html)


def _figure(html: str, name: str) -> int:
    return int(re.search(rf'id="count-{name}">(\d+)<', html).group(1))


def test_with_more_than_500_open_requests_the_one_overdue_case_is_counted_and_shown_first(dpo_client, bo):
    bo.config["BACKOFFICE_PAGE_SIZE"] = 100
    fresh = _bulk(505, received=NOW - dt.timedelta(days=1))
    late, = _bulk(1, received=NOW - dt.timedelta(days=60), prefix="LATE")
    _bulk(3, received=NOW - dt.timedelta(days=90), status="completed", prefix="DONE")
    first = dpo_client.get("/backoffice/", headers=HTML).get_data(as_text=True)
    assert _figure(first, "open") == 506 and _figure(first, "overdue") == 1
    assert _references(first)[0] == late and '<tr class="late">' in first
    assert "Page 1 sur 6" in first and "506 au total" in first
    seen = []
    for number in range(1, 7):
        seen += _references(dpo_client.get(f"/backoffice/?page={number}", headers=HTML).get_data(as_text=True))
    assert len(seen) == 506 and set(seen) == {late, *fresh}  # every open case once, none closed
    assert dpo_client.get("/backoffice/?page=7", headers=HTML).status_code == 404


def test_the_counts_are_open_overdue_and_due_this_week(dpo_client, bo):
    from backoffice.services import cases

    # NOW is Monday 1 March 2027: this week ends on Sunday 7 March.
    _bulk(2, received=NOW - dt.timedelta(days=40), prefix="LATE")  # due 1 February: overdue
    _bulk(3, received=dt.datetime(2027, 2, 3, 9, tzinfo=dt.UTC), prefix="WEEK")  # due Wednesday 3 March
    _bulk(4, received=NOW, prefix="LATER")  # due 1 April
    _bulk(5, received=NOW - dt.timedelta(days=40), status="rejected", prefix="SHUT")  # closed: never counted
    counts = cases.counts()
    assert (counts.open, counts.overdue, counts.due_this_week) == (9, 2, 3)
    assert counts.week_ends_on == dt.date(2027, 3, 7)
    assert counts.by_status == {"awaiting_verification": 9, "rejected": 5}
    page = dpo_client.get("/backoffice/", headers=HTML).get_data(as_text=True)
    assert _figure(page, "week") == 3 and "à échéance d'ici dimanche 7\u00a0mars\u00a02027" in html.unescape(page)


def test_the_overdue_figure_leads_to_the_overdue_register(dpo_client):
    late = _bulk(1, received=NOW - dt.timedelta(days=40), prefix="LATE")
    _bulk(2, received=NOW, prefix="LATER")
    page = dpo_client.get("/backoffice/register?overdue=true", headers=HTML).get_data(as_text=True)
    assert _references(page) == late


def _offered(client, reference) -> set[str]:
    page = client.get(f"/backoffice/requests/{reference}", headers=HTML).get_data(as_text=True)
    return set(re.findall(rf'action="/backoffice/requests/{reference}/(\w+)"', page))


def test_extend_is_not_offered_past_the_first_deadline_and_says_why_if_forced(dpo_client):
    late, = _bulk(1, received=NOW - dt.timedelta(days=40), prefix="LATE", status="verified")
    assert "extend" not in _offered(dpo_client, late)
    assert {"classify", "complete", "reject", "withdraw"} <= _offered(dpo_client, late)
    forced = dpo_client.post(f"/backoffice/requests/{late}/extend", data={"reason": "x"}, headers=HTML)
    assert forced.status_code == 409
    assert db.session.get(DsarRequest, db.session.execute(
        db.select(DsarRequest.id).where(DsarRequest.reference == late)).scalar_one()).extended is False


def test_extend_is_offered_once_before_the_deadline(dpo_client):
    fresh, = _bulk(1, received=NOW - dt.timedelta(days=2), prefix="FRESH")
    assert "extend" in _offered(dpo_client, fresh)
    assert dpo_client.post(f"/backoffice/requests/{fresh}/extend", data={"reason": "complexe"},
                           headers=HTML).status_code == 302
    assert "extend" not in _offered(dpo_client, fresh)


def test_an_awaiting_request_offers_verification_but_no_execution_nor_completion(dpo_client):
    waiting, = _bulk(1, received=NOW - dt.timedelta(days=2), prefix="WAIT")
    offered = _offered(dpo_client, waiting)
    assert "verify" in offered and "execute" not in offered and "complete" not in offered


def test_an_unclassified_request_offers_no_execution(dpo_client):
    unclassified, = _bulk(1, received=NOW - dt.timedelta(days=2), prefix="UNCL", status="verified")
    db.session.execute(db.update(DsarRequest).where(DsarRequest.reference == unclassified).values(type=None))
    db.session.commit()
    offered = _offered(dpo_client, unclassified)
    assert "execute" not in offered and "classify" in offered and "complete" in offered


def test_a_closed_request_offers_nothing(dpo_client):
    closed, = _bulk(1, received=NOW - dt.timedelta(days=2), prefix="SHUT", status="completed")
    assert _offered(dpo_client, closed) == set()


def test_the_dashboard_is_one_page_when_it_fits(dpo_client):
    _bulk(3, received=NOW)
    page = dpo_client.get("/backoffice/", headers=HTML).get_data(as_text=True)
    assert len(_references(page)) == 3 and 'class="pager"' not in page
    clock.set_now(NOW)
