"""What a request keeps about its subject: minimised when the account is purged (at once when
closed, at closing when still open), deleted DSAR_RETENTION_MONTHS after closing."""
import datetime as dt
import itertools

import pytest
import sqlalchemy as sa

from consent_service import clock, hooks
from consent_service.extensions import db
from consent_service.mail import OutboxMessage
from datamap import sweeps
from datamap.models import Purge
from dsar import retention, workflow
from dsar.intake import open_request
from dsar.models import DsarEvent, DsarRequest
from dsar.services import SYSTEM

NOW = dt.datetime(2027, 3, 1, 10, 0, tzinfo=dt.UTC)
DPO = "dpo-key"
_numbers = itertools.count(1)


@pytest.fixture(autouse=True)
def standing_clock():
    clock.set_now(NOW)
    yield
    clock.set_now(None)


def new_request(account_id: str | None = "A1001", **fields) -> str:
    """An open access request received by post, with a confirmed address (so it gets mail); committed."""
    number = next(_numbers)
    body = {"type": "access", "channel": "post", "actor": SYSTEM, "email": f"sujet{number}@example.fr",
            "full_name": f"Camille Martin {number}", "account_id": account_id,
            "message": "Je souhaite une copie de mes données.", **fields}
    opened = open_request(**body).request
    opened.email_confirmed_at = NOW  # its owner confirmed it (answers go only to such an address)
    db.session.commit()
    return opened.reference


def closed_request(account_id: str | None = "A1001", how: str = "complete", **fields) -> str:
    """A request closed the way ``how`` says, its timeline full of DPO notes; committed."""
    reference = new_request(account_id, **fields)
    if how == "complete":
        workflow.verify(reference, "document", "Carte d'identité de Camille Martin vue.", DPO)
        workflow.extend(reference, "Plusieurs bases à consulter pour Camille Martin.", DPO)
        workflow.complete(reference, "Camille Martin : copie envoyée.", DPO)
    elif how == "reject":
        workflow.reject(reference, "identity_not_verified", "Identité de Camille Martin non établie.", DPO)
    else:
        workflow.withdraw(reference, "Retirée par Camille Martin.", DPO)
    db.session.commit()
    return reference


def get(reference: str) -> DsarRequest | None:
    db.session.expire_all()
    return db.session.execute(sa.select(DsarRequest).where(DsarRequest.reference == reference)).scalar_one_or_none()


def events(reference: str) -> list[DsarEvent]:
    db.session.expire_all()
    return list(db.session.execute(sa.select(DsarEvent).join(DsarRequest).where(DsarRequest.reference == reference)
                                   .order_by(DsarEvent.id)).scalars())


def mails(ref: str) -> list[OutboxMessage]:
    db.session.expire_all()
    return list(db.session.execute(sa.select(OutboxMessage).where(OutboxMessage.ref == ref)
                                   .order_by(OutboxMessage.id)).scalars())


def set_mail_status(ref: str, *statuses: str) -> list[int]:
    """Give the request's mail, oldest first, these statuses (the worker's doing in real life)."""
    found = mails(ref)
    assert len(found) >= len(statuses)
    for message, status in zip(found, statuses, strict=False):
        message.status = status
    db.session.commit()
    return [message.id for message in found]


def minimise(account_id: str) -> dict[str, int]:
    counts = retention.minimise_account_requests(account_id)
    db.session.commit()
    return counts


def assert_identity_kept(reference: str) -> None:
    request = get(reference)
    assert request.email and request.full_name and request.message
    assert all(e.note for e in events(reference))
    assert not any(e.kind == retention.MINIMISED for e in events(reference))


# --- minimisation when the account is purged ------------------------------------------------


def test_a_purge_clears_every_identifying_field_of_the_accounts_closed_requests(app):
    reference = closed_request()
    request = get(reference)
    request.birth_date, request.export_url = dt.date(1985, 4, 12), "http://127.0.0.1:8000/dsar/exports/tok"
    db.session.commit()
    proof = {column: getattr(get(reference), column) for column in (
        "reference", "type", "status", "channel", "received_at", "due_on", "due_at", "first_due_at", "extended",
        "extension_reason", "verification_method", "verified_at", "rejection_ground", "closed_at", "created_at")}

    assert minimise("A1001") == {"dsar_requests": 1, "dsar_requests_open": 0}

    request = get(reference)
    assert {column: getattr(request, column) for column in retention.IDENTIFYING} == dict.fromkeys(
        ("email", "full_name", "birth_date", "message", "account_id", "outcome", "export_url"))
    assert {column: getattr(request, column) for column in proof} == proof


def test_a_purge_clears_the_notes_of_the_timeline_and_keeps_its_steps(app):
    reference = closed_request()
    before = [(e.id, e.at, e.kind, e.actor, e.from_status, e.to_status) for e in events(reference)]
    assert [kind for _id, _at, kind, *_rest in before] == ["received", "verified", "extended", "completed"]

    minimise("A1001")

    after = events(reference)
    assert [(e.id, e.at, e.kind, e.actor, e.from_status, e.to_status) for e in after[:-1]] == before
    assert [e.note for e in after[:-1]] == [None] * len(before)
    marker = after[-1]
    assert (marker.kind, marker.actor, marker.from_status, marker.to_status) == (
        retention.MINIMISED, SYSTEM, "completed", "completed")
    assert marker.note == retention.MINIMISED_NOTE and "Camille" not in marker.note


def test_a_purge_deletes_the_mail_already_sent_or_failed_and_keeps_the_mail_still_to_leave(app):
    reference = closed_request()
    ids = set_mail_status(reference, "sent", "failed", "sending", "queued", "sent")
    assert len(ids) == 5  # acknowledgement, DPO notice, verified, extension, completion

    minimise("A1001")

    assert [(m.id, m.status) for m in mails(reference)] == [(ids[2], "sending"), (ids[3], "queued")]


def test_open_requests_of_the_purged_account_are_left_whole_and_counted(app):
    closed = closed_request(how="reject")
    awaiting, verified = new_request(), new_request()
    workflow.verify(verified, "document", "Vue.", DPO)
    db.session.commit()
    set_mail_status(awaiting, "sent", "sent")

    assert minimise("A1001") == {"dsar_requests": 1, "dsar_requests_open": 2}

    assert get(closed).email is None
    for reference in (awaiting, verified):
        assert_identity_kept(reference)
        assert get(reference).account_id == "A1001"
    assert [m.status for m in mails(awaiting)] == ["sent", "sent"]


def test_every_closing_status_is_minimised(app):
    references = [closed_request(how=how) for how in ("complete", "reject", "withdraw")]
    assert minimise("A1001") == {"dsar_requests": 3, "dsar_requests_open": 0}
    assert [get(r).full_name for r in references] == [None, None, None]


def test_minimising_again_changes_nothing(app):
    reference = closed_request()
    new_request()
    minimise("A1001")
    timeline = [(e.id, e.kind, e.note) for e in events(reference)]
    version = get(reference).version

    assert minimise("A1001") == {"dsar_requests": 0, "dsar_requests_open": 1}
    assert [(e.id, e.kind, e.note) for e in events(reference)] == timeline
    assert get(reference).version == version


def test_other_accounts_and_requests_without_an_account_are_untouched(app):
    mine = closed_request("A1001")
    others = [closed_request(account_id) for account_id in ("A10011", "a1001", "A1002", None)]
    set_mail_status(others[0], "sent")

    minimise("A1001")

    assert get(mine).email is None
    for reference in others:
        assert_identity_kept(reference)
    assert mails(others[0])[0].status == "sent"


@pytest.mark.parametrize("account_id", ["", "%", "A%", "A100_", "_1001", "A1001 ", " A1001"])
def test_an_empty_or_wildcard_account_id_matches_no_request(app, account_id):
    references = [closed_request(a, how="reject") for a in ("A1001", "A%1", "", None)]
    new_request("A1001")

    assert minimise(account_id) == {"dsar_requests": 0, "dsar_requests_open": 0}

    for reference in references:
        assert_identity_kept(reference)


def test_a_transaction_holding_the_request_from_before_cannot_write_it_back(app):
    reference = closed_request(how="reject")
    with sa.orm.Session(db.engine) as elsewhere:
        stale = elsewhere.execute(sa.select(DsarRequest).where(DsarRequest.reference == reference)).scalar_one()
        minimise("A1001")
        stale.full_name = "Camille Martin"
        with pytest.raises(sa.orm.exc.StaleDataError):
            elsewhere.commit()
    assert get(reference).full_name is None


def test_the_statements_do_not_grow_with_the_number_of_requests(app):
    """Bulk statements: an account with five closed requests costs what an account with one does."""
    closed_request("A1")
    for _ in range(5):
        closed_request("A5", how="reject")

    def statements(account_id: str) -> int:
        seen = []
        listener = lambda *args: seen.append(args[2])  # noqa: E731
        sa.event.listen(db.engine, "before_cursor_execute", listener)
        try:
            counts = minimise(account_id)
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", listener)
        assert counts["dsar_requests"] >= 1
        return len(seen)

    assert statements("A5") == statements("A1") <= 8


# --- a request still open when the account was purged, minimised at closing ------------------


@pytest.fixture
def purged(app):
    """The hook datamap registers: here every account asked about counts as purged."""
    asked = []
    hooks.ACCOUNT_PURGED.register(app, lambda account_id: asked.append(account_id) or True)
    return asked


def test_closing_a_request_of_a_purged_account_minimises_it_and_still_sends_the_answer(client, admin, purged):
    reference = new_request("A1001", email="camille@example.fr")
    workflow.verify(reference, "document", "Carte d'identité de Camille Martin vue.", DPO)
    db.session.commit()
    set_mail_status(reference, "sent", "sent", "failed")

    response = client.post(f"/v1/dsar/requests/{reference}/complete", headers=admin,
                           json={"summary": "Camille Martin : vos données ont été supprimées."})

    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["status"] == "completed" and body["closed_at"]
    assert (body["email"], body["full_name"], body["account_id"], body["message"], body["outcome"]) == (None,) * 5
    assert [e["kind"] for e in body["events"]] == ["received", "verified", "completed", retention.MINIMISED]
    assert [e["note"] for e in body["events"][:-1]] == [None, None, None]
    assert purged == ["A1001"]
    answer, = mails(reference)  # what had left is gone; the closing e-mail waits for the worker
    assert answer.status == "queued" and answer.to == "camille@example.fr"
    assert "Camille Martin : vos données ont été supprimées." in answer.text


def test_the_closed_request_returned_already_shows_it_minimised(app, purged):
    reference = new_request("A1001")
    workflow.verify(reference, "document", "Carte d'identité de Camille Martin vue.", DPO)
    request = workflow.complete(reference, "Camille Martin : fait.", DPO)  # not committed yet
    assert (request.email, request.full_name, request.outcome, request.status) == (None, None, None, "completed")
    assert [e.note for e in request.events][:-1] == [None, None, None]
    db.session.commit()


@pytest.mark.parametrize("how", ["reject", "withdraw"])
def test_rejecting_or_withdrawing_a_request_of_a_purged_account_minimises_it(app, purged, how):
    reference = closed_request("A1001", how=how)
    request = get(reference)
    assert (request.email, request.full_name, request.account_id) == (None, None, None)
    assert events(reference)[-1].kind == retention.MINIMISED


def test_a_request_of_an_account_not_purged_keeps_its_subject(app):
    asked = []
    hooks.ACCOUNT_PURGED.register(app, lambda account_id: asked.append(account_id) or False)
    reference = closed_request("A1002", how="reject")
    assert asked == ["A1002"]
    assert_identity_kept(reference)


def test_a_request_without_an_account_is_not_asked_about(app, purged):
    reference = closed_request(None)
    assert purged == []
    assert_identity_kept(reference)


def test_the_mail_of_a_minimised_request_goes_once_it_has_left(app):
    live = closed_request("A1002")
    still_open = new_request("A1003")
    set_mail_status(live, *["sent"] * 5)
    set_mail_status(still_open, "failed", "sent")
    db.session.add(OutboxMessage(to="dpo@example.fr", subject="s", text="t", headers={}, ref="digest:2027-03-01",
                                 status="sent", attempts=1, next_attempt_at=NOW, created_at=NOW))
    hooks.ACCOUNT_PURGED.register(app, lambda account_id: True)
    minimised = closed_request("A1001", how="reject")
    acknowledgement, notice, answer = mails(minimised)
    assert {acknowledgement.status, notice.status, answer.status} == {"queued"}

    assert retention.sweep_minimised_mail(100) == 0  # nothing has left yet
    set_mail_status(minimised, "sent", "failed")  # the answer is still on its way
    assert retention.sweep_minimised_mail(100) == 2
    db.session.commit()

    assert [m.id for m in mails(minimised)] == [answer.id]
    assert [m.status for m in mails(live)] == ["sent"] * 5
    assert [m.status for m in mails(still_open)] == ["failed", "sent"]
    assert [m.status for m in mails("digest:2027-03-01")] == ["sent"]  # about no request: not this sweep's


def test_mail_left_behind_by_a_deleted_request_is_swept_in_batches(app):
    for status in ("sent", "failed", "sent", "queued"):
        db.session.add(OutboxMessage(to="parti@example.fr", subject="s", text="t", headers={}, ref="DSAR-2020-GONE2345",
                                     status=status, attempts=1, next_attempt_at=NOW, created_at=NOW))
    db.session.commit()

    assert retention.sweep_minimised_mail(2) == 2
    assert retention.sweep_minimised_mail(2) == 1
    assert retention.sweep_minimised_mail(2) == 0
    db.session.commit()
    assert [m.status for m in mails("DSAR-2020-GONE2345")] == ["queued"]


# --- retention: deleted DSAR_RETENTION_MONTHS after closing -----------------------------------


def closed_on(day: dt.datetime, account_id: str = "A1001", how: str = "reject") -> str:
    clock.set_now(day)
    try:
        return closed_request(account_id, how=how)
    finally:
        clock.set_now(NOW)


def test_the_sweep_deletes_the_oldest_closed_requests_in_batches_with_their_events_and_mail(app):
    old = [closed_on(dt.datetime(2021, month, 10, 9, tzinfo=dt.UTC)) for month in (2, 3, 1)]
    recent = closed_on(dt.datetime(2022, 6, 1, 9, tzinfo=dt.UTC))
    clock.set_now(dt.datetime(2020, 1, 2, tzinfo=dt.UTC))
    ancient_but_open = new_request("A1001")
    clock.set_now(NOW)
    for reference in old:
        set_mail_status(reference, "sent", "queued", "failed")
    cutoff = dt.datetime(2022, 1, 1, tzinfo=dt.UTC)

    assert retention.sweep_closed_requests(cutoff, 2) == 2
    db.session.commit()
    assert [get(r) is None for r in old] == [True, False, True]  # January and February first

    assert retention.sweep_closed_requests(cutoff, 2) == 1
    assert retention.sweep_closed_requests(cutoff, 2) == 0
    db.session.commit()
    for reference in old:
        assert get(reference) is None and events(reference) == []
        assert [m.status for m in mails(reference)] == ["queued"]  # it leaves, then the mail sweep takes it
    assert get(recent) is not None and len(events(recent)) == 2
    assert get(ancient_but_open) is not None and len(mails(ancient_but_open)) == 2


def test_the_sweep_never_takes_an_open_request_nor_a_non_positive_batch(app):
    clock.set_now(dt.datetime(2019, 5, 1, tzinfo=dt.UTC))
    still_open = new_request()
    clock.set_now(NOW)
    closed = closed_on(dt.datetime(2019, 6, 1, tzinfo=dt.UTC))
    future = NOW + dt.timedelta(days=3650)

    assert retention.sweep_closed_requests(future, 0) == 0
    assert retention.sweep_closed_requests(future, -1) == 0
    assert retention.sweep_closed_requests(future, 10) == 1
    db.session.commit()
    assert get(closed) is None and get(still_open) is not None


def retention_sweep() -> dict[str, int]:
    """One pass of the worker's retention job; what its receipt says of requests and mail."""
    sweeps.run_retention()
    receipt = db.session.execute(sa.select(Purge).where(Purge.trigger == "retention")
                                 .order_by(Purge.requested_at.desc(), Purge.purge_id)).scalars().first()
    counts = {step.table_name: step.rows for step in receipt.steps} if receipt else {}
    db.session.execute(sa.delete(Purge.__table__))  # the next pass's receipt is the only one
    db.session.commit()
    return {table: counts.get(table, 0) for table in ("dsar_requests", "outbox_messages")}


def test_the_retention_sweep_keeps_requests_dsar_retention_months_after_closing(app_with):
    app_with(DSAR_RETENTION_MONTHS=12)
    gone = closed_on(dt.datetime(2026, 2, 28, 23, tzinfo=dt.UTC))
    kept = closed_on(dt.datetime(2026, 3, 1, 11, tzinfo=dt.UTC))

    assert retention_sweep()["dsar_requests"] == 1
    assert get(gone) is None and get(kept) is not None


def test_the_retention_sweep_takes_the_mail_once_it_has_left(app_with):
    app_with(DSAR_RETENTION_MONTHS=12)
    reference = closed_on(dt.datetime(2026, 1, 15, tzinfo=dt.UTC))
    set_mail_status(reference, "sent", "queued", "queued")
    assert retention_sweep() == {"dsar_requests": 1, "outbox_messages": 0}  # its sent mail went with it
    assert retention_sweep() == {"dsar_requests": 0, "outbox_messages": 0}
    assert [m.status for m in mails(reference)] == ["queued", "queued"]
    set_mail_status(reference, "sent", "failed")  # they left after the request went
    assert retention_sweep() == {"dsar_requests": 0, "outbox_messages": 2}
    assert retention_sweep() == {"dsar_requests": 0, "outbox_messages": 0}


# --- configuration --------------------------------------------------------------------------


def test_requests_are_kept_five_years_by_default(app):
    assert app.config["DSAR_RETENTION_MONTHS"] == 60
    recent = closed_on(dt.datetime(2022, 3, 2, tzinfo=dt.UTC))
    old = closed_on(dt.datetime(2022, 2, 28, tzinfo=dt.UTC))
    retention_sweep()
    assert get(old) is None and get(recent) is not None


@pytest.mark.parametrize("months", [0, -12, "60", 1.5, True])
def test_a_retention_that_is_not_a_positive_number_of_months_stops_the_app(make_app, months):
    with pytest.raises(RuntimeError, match="DSAR_RETENTION_MONTHS"):
        make_app(DSAR_RETENTION_MONTHS=months)
