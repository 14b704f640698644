"""The DPO's actions: the state machine, the timeline, deadlines extended, executors plugged in."""
import datetime as dt

import pytest

from consent_service import clock, errors, hooks
from consent_service.extensions import db
from dsar.models import DsarRequest

from .helpers import confirm_address, detail, intake, outbox

RECEIVED = dt.datetime(2027, 1, 31, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def case(client, admin):
    """An erasure request received by post on 31 January 2027, naming an account; the subject
    confirmed the address by the e-mailed link, which (no identity block to compare it with)
    leaves the identity to the DPO."""
    clock.set_now(RECEIVED + dt.timedelta(days=1))
    body = intake(client, admin, received_at="2027-01-31T09:00:00Z", account_id="A1001")
    assert body.status_code == 201
    confirm_address(client, body.get_json()["reference"])
    return body.get_json()["reference"]


def act(client, admin, reference, action, **body):
    return client.post(f"/v1/dsar/requests/{reference}/{action}", json=body, headers=admin)


def verified(client, admin, reference):
    response = act(client, admin, reference, "verify", method="document", note="Copie de la carte d'identité vue.")
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_the_dpo_verifies_by_document_with_a_note(client, admin, case):
    body = verified(client, admin, case)
    assert body["status"] == "verified" and body["verification_method"] == "document"
    event = body["events"][-1]
    assert event["kind"] == "verified" and event["actor"] == "dpo-key"
    assert event["from_status"] == "awaiting_verification" and event["to_status"] == "verified"
    assert event["note"] == "Copie de la carte d'identité vue."
    assert any("confirmée" in m.subject for m in outbox("dominique@example.fr"))


def test_verification_needs_a_known_method_and_a_note(client, admin, case):
    for body in ({"method": "document"}, {"method": "telepathy", "note": "x"}, {"method": None, "note": "x"},
                 {"method": "document", "note": ""}, {"method": "document", "note": "x", "more": 1}):
        assert act(client, admin, case, "verify", **body).status_code == 422


def test_a_second_verification_is_409_with_the_current_status(client, admin, case):
    verified(client, admin, case)
    response = act(client, admin, case, "verify", method="in_person", note="again")
    assert response.status_code == 409
    body = response.get_json()
    assert body["errors"] == {"current_status": ["verified"]} and "verified" in body["message"]
    assert [e["kind"] for e in detail(client, admin, case)["events"]] == ["received", "email_confirmed", "verified"]


def test_body_errors_come_before_the_conflict(client, admin, case):
    verified(client, admin, case)
    assert act(client, admin, case, "verify", method="nope", note="x").status_code == 422
    response = client.post(f"/v1/dsar/requests/{case}/verify", data="{", content_type="application/json",
                           headers=admin)
    assert response.status_code == 400
    response = act(client, admin, case, "verify", method="document", note="x" * 70_000)
    assert response.status_code == 413


@pytest.mark.parametrize("action,body", [
    ("complete", {"summary": "Done"}), ("execute", {}),
])
def test_nothing_is_carried_out_before_the_identity_is_verified(client, admin, case, action, body):
    response = act(client, admin, case, action, **body)
    assert response.status_code == 409
    assert response.get_json()["errors"]["current_status"] == ["awaiting_verification"]


def test_unknown_requests_are_404(client, admin):
    assert client.get("/v1/dsar/requests/DSAR-2027-NOPE", headers=admin).status_code == 404
    assert act(client, admin, "DSAR-2027-NOPE", "complete", summary="x").status_code == 404
    assert client.patch("/v1/dsar/requests/DSAR-2027-NOPE", json={"type": "access"},
                        headers=admin).status_code == 404


def test_complete_closes_the_request_and_tells_the_subject(client, admin, case):
    verified(client, admin, case)
    response = act(client, admin, case, "complete", summary="Vos données ont été supprimées.")
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "completed" and body["closed_at"] and body["outcome"] == "Vos données ont été supprimées."
    assert body["events"][-1]["kind"] == "completed" and body["events"][-1]["from_status"] == "verified"
    mail = outbox("dominique@example.fr")[-1]
    assert "traitée" in mail.subject and "Vos données ont été supprimées." in mail.text
    for action, payload in (("complete", {"summary": "x"}), ("reject", {"ground": "other", "reason": "x"}),
                            ("verify", {"method": "other", "note": "x"}), ("extend", {"reason": "x"}),
                            ("withdraw", {})):
        response = act(client, admin, case, action, **payload)
        assert response.status_code == 409, action
        assert response.get_json()["errors"]["current_status"] == ["completed"]
    assert client.patch(f"/v1/dsar/requests/{case}", json={"type": "access"}, headers=admin).status_code == 409


def test_reject_states_the_reason_and_the_right_to_complain(client, admin, case):
    response = act(client, admin, case, "reject", ground="identity_not_verified",
                   reason="Nous n'avons pas pu vérifier votre identité.")
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "rejected" and body["rejection_ground"] == "identity_not_verified"
    mail = outbox("dominique@example.fr")[-1]
    assert "Nous n'avons pas pu vérifier votre identité." in mail.text
    assert "CNIL" in mail.text and "www.cnil.fr" in mail.text and "recours juridictionnel" in mail.text
    assert "www.cnil.fr" in mail.html


def test_reject_needs_a_known_ground_and_a_reason(client, admin, case):
    for body in ({"ground": "boring", "reason": "x"}, {"ground": "excessive"}, {"reason": "x"},
                 {"ground": "excessive", "reason": ""}):
        assert act(client, admin, case, "reject", **body).status_code == 422


def test_withdraw_closes_without_a_mail(client, admin, case):
    before = len(outbox())
    body = act(client, admin, case, "withdraw", note="Retirée par courrier du 3 février.").get_json()
    assert body["status"] == "withdrawn" and body["events"][-1]["note"] == "Retirée par courrier du 3 février."
    assert len(outbox()) == before


def test_extend_moves_the_deadline_to_three_months_once_and_tells_why(client, admin, case):
    response = act(client, admin, case, "extend", reason="Demande complexe : plusieurs bases à consulter.")
    assert response.status_code == 200
    body = response.get_json()
    assert body["extended"] is True and body["due_on"] == "2027-04-30" and body["due_at"] == "2027-04-30T21:59:59Z"
    assert body["events"][-1]["kind"] == "extended" and "2027-04-30" in body["events"][-1]["note"]
    mail = outbox("dominique@example.fr")[-1]
    assert "Demande complexe : plusieurs bases à consulter." in mail.text and "30\u00a0avril\u00a02027" in mail.text
    again = act(client, admin, case, "extend", reason="encore")
    assert again.status_code == 409 and "already" in again.get_json()["message"]


def test_extend_is_refused_once_the_first_deadline_has_passed(client, admin, case):
    clock.set_now(dt.datetime(2027, 3, 1, 22, 59, 59, tzinfo=dt.UTC))  # the last second
    clock.set_now(clock.now() + dt.timedelta(seconds=1))
    response = act(client, admin, case, "extend", reason="trop tard")
    assert response.status_code == 409 and "passed" in response.get_json()["message"]
    assert act(client, admin, case, "extend", reason="").status_code == 422  # body errors still first


def test_extend_on_the_last_day_is_still_allowed(client, admin, case):
    clock.set_now(dt.datetime(2027, 3, 1, 22, 0, tzinfo=dt.UTC))
    assert act(client, admin, case, "extend", reason="à temps").status_code == 200


def test_patch_classifies_an_unclassified_request(client, admin):
    clock.set_now(RECEIVED)
    reference = intake(client, admin, type=None, received_at="2027-01-30T09:00:00Z").get_json()["reference"]
    response = client.patch(f"/v1/dsar/requests/{reference}", json={"type": "portability"}, headers=admin)
    assert response.status_code == 200 and response.get_json()["type"] == "portability"
    assert response.get_json()["events"][-1]["kind"] == "classified"
    for body in ({"type": "everything"}, {"type": None}, {}, {"type": "access", "status": "completed"}):
        assert client.patch(f"/v1/dsar/requests/{reference}", json=body, headers=admin).status_code == 422


def test_execute_without_a_type_or_an_executor_is_409(client, admin, app):
    for type_ in ("objection", "erasure"):
        hooks.DSAR_EXECUTORS.unregister(app, type_)
    clock.set_now(RECEIVED)
    reference = intake(client, admin, type=None, received_at="2027-01-30T09:00:00Z").get_json()["reference"]
    verified(client, admin, reference)
    response = act(client, admin, reference, "execute")
    assert response.status_code == 409 and "type" in response.get_json()["message"]
    client.patch(f"/v1/dsar/requests/{reference}", json={"type": "objection"}, headers=admin)
    response = act(client, admin, reference, "execute")
    assert response.status_code == 409 and "by hand" in response.get_json()["message"]
    assert detail(client, admin, reference)["status"] == "verified"


def test_execute_calls_the_registered_executor_and_records_its_result(client, admin, app, case):
    calls = []

    def erase(dsar_request, body):
        calls.append((dsar_request.reference, body))
        return {"note": "Purge started.", "export_url": None, "purge_id": "p-123"}

    hooks.DSAR_EXECUTORS.register(app, "erasure", erase)
    verified(client, admin, case)
    response = act(client, admin, case, "execute")
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert calls == [(case, {})]
    assert body["status"] == "in_progress" and body["purge_id"] == "p-123"
    assert body["events"][-1] == {**body["events"][-1], "kind": "executed", "note": "Purge started.",
                                  "from_status": "verified", "to_status": "in_progress"}
    assert act(client, admin, case, "execute").status_code == 200  # may run again while in progress
    done = act(client, admin, case, "complete", summary="Effacement terminé.").get_json()
    assert done["status"] == "completed"


def test_an_execution_error_answers_its_code_and_changes_nothing(client, admin, app, case):
    def fail(dsar_request, body):
        raise errors.Invalid("No data map configured.", {"datamap": ["missing"]})

    hooks.DSAR_EXECUTORS.register(app, "erasure", fail)
    verified(client, admin, case)
    response = act(client, admin, case, "execute")
    assert response.status_code == 422
    assert response.get_json()["message"] == "No data map configured."
    assert response.get_json()["errors"] == {"datamap": ["missing"]}
    assert detail(client, admin, case)["status"] == "verified"


def test_rectification_takes_changes_and_other_types_refuse_them(client, admin, app, case):
    seen = []
    hooks.DSAR_EXECUTORS.register(app, "rectification", lambda r, body: seen.append(body) or {"note": "Rectified."})
    verified(client, admin, case)
    response = act(client, admin, case, "execute", changes={"phone": "0600000000"})
    assert response.status_code == 422 and "changes" in response.get_json()["errors"]
    assert act(client, admin, case, "execute", surprise=True).status_code == 422
    client.patch(f"/v1/dsar/requests/{case}", json={"type": "rectification"}, headers=admin)
    assert act(client, admin, case, "execute").status_code == 422  # a rectification lists its changes
    assert act(client, admin, case, "execute", changes={"phone": {"nested": 1}}).status_code == 422
    response = act(client, admin, case, "execute", changes={"phone": "0600000000", "floor": 3})
    assert response.status_code == 200
    assert seen == [{"changes": {"phone": "0600000000", "floor": 3}}]


def test_completion_carries_the_export_link_when_there_is_one(client, admin, app):
    hooks.DSAR_EXECUTORS.register(
        app, "access", lambda r, body: {"note": "Export ready.", "export_url": "http://127.0.0.1:8000/dsar/exports/tok"})
    clock.set_now(RECEIVED)
    reference = intake(client, admin, type="access", received_at="2027-01-30T09:00:00Z", account_id="A1001",
                       locale="en").get_json()["reference"]
    confirm_address(client, reference)
    verified(client, admin, reference)
    assert act(client, admin, reference, "execute").get_json()["export_url"].endswith("/dsar/exports/tok")
    act(client, admin, reference, "complete", summary="Here is your data.")
    mail = outbox("dominique@example.fr")[-1]
    assert "has been handled" in mail.subject
    assert "http://127.0.0.1:8000/dsar/exports/tok" in mail.text
    assert 'href="http://127.0.0.1:8000/dsar/exports/tok"' in mail.html


def test_no_answer_goes_to_an_address_nobody_confirmed(client, admin, app):
    """The DPO typed the address of a request received by post and verified the identity by
    document; the address itself was never confirmed: a typo must not carry an export link
    to a stranger. The timeline says the answer was not e-mailed."""
    hooks.DSAR_EXECUTORS.register(
        app, "access", lambda r, body: {"note": "Export ready.", "export_url": "http://127.0.0.1:8000/dsar/exports/tok"})
    clock.set_now(RECEIVED)
    reference = intake(client, admin, type="access", received_at="2027-01-30T09:00:00Z").get_json()["reference"]
    verified(client, admin, reference)
    act(client, admin, reference, "execute")
    act(client, admin, reference, "complete", summary="Here is your data.")
    sent = outbox("dominique@example.fr")
    assert [m.subject.split(":")[-1].strip() for m in sent] == ["confirmez votre adresse"]  # the link only
    assert not any("/dsar/exports/" in m.text for m in sent)
    assert detail(client, admin, reference)["events"][-1]["kind"] == "answer_withheld"


def test_two_concurrent_transitions_cannot_both_win(client, admin, case):
    """The version column refuses a write based on a stale read."""
    from sqlalchemy.orm.exc import StaleDataError

    stale = db.session.execute(db.select(DsarRequest).where(DsarRequest.reference == case)).scalar_one()
    stale_version = stale.version
    verified(client, admin, case)
    db.session.expire_all()
    stale = db.session.execute(db.select(DsarRequest).where(DsarRequest.reference == case)).scalar_one()
    assert stale.version == stale_version + 1
    db.session.execute(db.update(DsarRequest).where(DsarRequest.id == stale.id).values(version=stale.version + 1)
                       .execution_options(synchronize_session=False))
    stale.status = "withdrawn"
    with pytest.raises(StaleDataError):
        db.session.flush()
    db.session.rollback()


def test_the_subject_input_is_escaped_in_html_mails(client, admin, case):
    verified(client, admin, case)
    act(client, admin, case, "complete", summary='<script>alert(1)</script><a href="http://evil">x</a>')
    mail = outbox("dominique@example.fr")[-1]
    assert "<script>" not in mail.html and "&lt;script&gt;" in mail.html
    assert '<a href="http://evil">' not in mail.html
    assert "<script>alert(1)</script>" in mail.text  # plain text is not HTML
