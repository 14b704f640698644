"""The public form, the DPO intake and identity by the e-mailed link (docs/rights-requests.md)."""
import datetime as dt

import pytest

from consent_service import clock, hooks
from consent_service.extensions import db
from dsar.models import DsarEvent, DsarRequest

from .helpers import FORM, detail, intake, outbox, submit, verify_link

NOON = dt.datetime(2027, 1, 31, 11, 0, tzinfo=dt.UTC)


def count(model) -> int:
    return db.session.execute(db.select(db.func.count()).select_from(model)).scalar()


def test_the_form_opens_a_request_awaiting_verification_and_queues_two_mails(client, admin):
    clock.set_now(NOON)
    response = submit(client)
    assert response.status_code == 202
    body = response.get_json()
    assert set(body) == {"reference", "status", "received_at", "due_on", "due_at"}
    assert body["status"] == "awaiting_verification"
    assert body["received_at"] == "2027-01-31T11:00:00Z" and body["due_on"] == "2027-03-01"
    case = detail(client, admin, body["reference"])
    assert case["channel"] == "web" and case["type"] == "access" and case["email"] == "locataire@example.fr"
    assert [e["kind"] for e in case["events"]] == ["received"]
    assert case["events"][0]["actor"] == "subject" and case["events"][0]["to_status"] == "awaiting_verification"
    to_subject, = outbox("locataire@example.fr")
    assert body["reference"] in to_subject.subject and "/dsar/verify?token=" in to_subject.text
    notice, = outbox("dpo@localhost")
    assert body["reference"] in notice.text
    assert "Camille" not in notice.text and "locataire@" not in notice.text and "Camille" not in notice.html


@pytest.mark.parametrize("changes", [
    {"email": "not-an-address"}, {"email": "a@b"}, {"email": "x" * 250 + "@example.fr"}, {"email": None},
    {"type": "deletion"}, {"type": None}, {"full_name": ""}, {"full_name": "Camille\x00"},
    {"locale": "de"}, {"account_id": "../etc"}, {"birth_date": "2999-01-01"}, {"birth_date": "31/01/1980"},
    {"unexpected": "field"}, {"email": ...},
])
def test_bad_form_input_is_422_and_opens_nothing(client, changes):
    response = submit(client, **changes)
    assert response.status_code == 422, response.get_json()
    assert response.get_json()["code"] == 422 and response.get_json()["errors"]
    assert count(DsarRequest) == 0 and outbox() == []


def test_malformed_json_is_400_and_an_oversize_body_413(client):
    response = client.post("/v1/dsar/requests", data="{", content_type="application/json")
    assert response.status_code == 400 and response.get_json()["code"] == 400
    response = submit(client, message="x" * 70_000)
    assert response.status_code == 413 and response.get_json()["code"] == 413
    assert count(DsarRequest) == 0


def test_the_link_shows_a_confirm_page_and_a_get_changes_nothing(client, admin):
    reference = submit(client).get_json()["reference"]
    link = verify_link(outbox("locataire@example.fr")[0])
    page = client.get(link)
    assert page.status_code == 200 and page.mimetype == "text/html"
    html = page.get_data(as_text=True)
    assert "Confirmer ma demande" in html and 'method="post"' in html and reference in html
    assert page.headers["Cache-Control"] == "no-store"
    assert detail(client, admin, reference)["status"] == "awaiting_verification"


def test_posting_the_token_verifies_once_and_a_replay_writes_no_second_event(client, admin):
    reference = submit(client).get_json()["reference"]
    token = verify_link(outbox("locataire@example.fr")[0]).split("token=")[1]
    first = client.post("/dsar/verify", data={"token": token})
    assert first.status_code == 200 and "confirmée" in first.get_data(as_text=True)
    case = detail(client, admin, reference)
    assert case["status"] == "verified" and case["verification_method"] == "email_link"
    assert [e["kind"] for e in case["events"]] == ["received", "verified"]
    assert case["events"][1]["actor"] == "subject"
    again = client.post("/dsar/verify", data={"token": token})
    assert again.status_code == 200 and "déjà été utilisé" in again.get_data(as_text=True)
    assert client.get(f"/dsar/verify?token={token}").status_code == 200
    assert [e["kind"] for e in detail(client, admin, reference)["events"]] == ["received", "verified"]
    verified_mails = [m for m in outbox("locataire@example.fr") if "confirmée" in m.subject]
    assert len(verified_mails) == 1


@pytest.mark.parametrize("mangle", [lambda t: t[:-2] + ("AA" if not t.endswith("AA") else "BB"),
                                    lambda t: "x" + t, lambda t: "", lambda t: "not.a.token",
                                    lambda t: t * 40])
def test_an_altered_token_is_a_clear_html_error_and_changes_nothing(client, admin, mangle):
    reference = submit(client).get_json()["reference"]
    token = mangle(verify_link(outbox("locataire@example.fr")[0]).split("token=")[1])
    for response in (client.get("/dsar/verify", query_string={"token": token}),
                     client.post("/dsar/verify", data={"token": token})):
        assert response.status_code == 400 and response.mimetype == "text/html"
        assert "pas valide" in response.get_data(as_text=True)
    case = detail(client, admin, reference)
    assert case["status"] == "awaiting_verification" and len(case["events"]) == 1


def test_a_token_signed_with_another_key_or_salt_is_refused(client, admin, app):
    from consent_service import tokens

    reference = submit(client).get_json()["reference"]
    forged = tokens.timed("another.salt").dumps({"ref": reference, "n": "0", "iat": int(clock.now().timestamp())})
    assert client.post("/dsar/verify", data={"token": forged}).status_code == 400
    assert detail(client, admin, reference)["status"] == "awaiting_verification"


def test_an_expired_token_is_refused_after_seven_days(client, admin):
    clock.set_now(NOON)
    reference = submit(client).get_json()["reference"]
    token = verify_link(outbox("locataire@example.fr")[0]).split("token=")[1]
    clock.set_now(NOON + dt.timedelta(days=7, seconds=1))
    response = client.post("/dsar/verify", data={"token": token})
    assert response.status_code == 410 and "expiré" in response.get_data(as_text=True)
    assert detail(client, admin, reference)["status"] == "awaiting_verification"
    clock.set_now(NOON + dt.timedelta(days=6, hours=23))
    assert client.post("/dsar/verify", data={"token": token}).status_code == 200


def test_the_confirm_page_speaks_english_for_an_english_request(client):
    submit(client, locale="en")
    link = verify_link(outbox("locataire@example.fr")[0])
    assert "Confirm my request" in client.get(link).get_data(as_text=True)


def test_a_double_submit_folds_into_the_open_request(client, admin):
    clock.set_now(NOON)
    first = submit(client).get_json()["reference"]
    clock.set_now(NOON + dt.timedelta(minutes=3))
    assert submit(client, email=" LOCATAIRE@example.fr ").get_json()["reference"] == first
    assert count(DsarRequest) == 1
    assert [e["kind"] for e in detail(client, admin, first)["events"]] == ["received", "duplicate_received"]
    assert len(outbox("locataire@example.fr")) == 1  # no second acknowledgement
    clock.set_now(NOON + dt.timedelta(minutes=4))
    assert submit(client, type="erasure").get_json()["reference"] != first  # another right: another case
    clock.set_now(NOON + dt.timedelta(days=2))
    assert submit(client).get_json()["reference"] == first  # still awaiting: the same case...
    assert len(outbox("locataire@example.fr")) == 3  # ...and a fresh link (erasure's ack is the 2nd)


def test_once_the_request_is_verified_the_same_submission_opens_a_new_case(client, admin):
    clock.set_now(NOON)
    first = submit(client).get_json()["reference"]
    assert client.post(f"/v1/dsar/requests/{first}/verify", json={"method": "document", "note": "Pièce vue."},
                       headers=admin).status_code == 200
    assert submit(client).get_json()["reference"] != first
    assert count(DsarRequest) == 2


def test_the_identity_verifier_verifies_silently_and_the_answer_is_the_same(client, admin, app):
    calls = []

    def verifier(account_id, birth_date, email):
        calls.append((account_id, birth_date, email))
        return account_id == "T-1001" and birth_date == dt.date(1980, 5, 17)

    hooks.IDENTITY_VERIFIER.register(app, verifier)
    good = submit(client, account_id="T-1001", birth_date="1980-05-17")
    bad = submit(client, email="other@example.fr", account_id="T-1001", birth_date="1981-05-17")
    none = submit(client, email="third@example.fr", account_id="T-9999", birth_date="1980-05-17")
    bodies = [r.get_json() for r in (good, bad, none)]
    assert {r.status_code for r in (good, bad, none)} == {202}
    assert {b["status"] for b in bodies} == {"awaiting_verification"}
    assert {tuple(sorted(b)) for b in bodies} == {("due_at", "due_on", "received_at", "reference", "status")}
    assert calls[0] == ("T-1001", dt.date(1980, 5, 17), "locataire@example.fr")
    matched = detail(client, admin, bodies[0]["reference"])
    assert matched["status"] == "verified" and matched["verification_method"] == "account_birth_date"
    assert matched["events"][-1]["actor"] == "system"
    assert db.session.execute(db.select(DsarRequest.birth_date).where(
        DsarRequest.reference == bodies[0]["reference"])).scalar() is None  # no longer needed
    for body in bodies[1:]:
        case = detail(client, admin, body["reference"])
        assert case["status"] == "awaiting_verification" and len(case["events"]) == 1


def test_dpo_intake_records_the_real_receipt_time_and_channel(client, admin):
    clock.set_now(dt.datetime(2027, 2, 3, 9, 0, tzinfo=dt.UTC))
    response = intake(client, admin, received_at="2027-01-31T09:00:00Z", channel="post")
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["channel"] == "post" and body["received_at"] == "2027-01-31T09:00:00Z"
    assert body["due_on"] == "2027-03-01" and body["status"] == "awaiting_verification"
    assert body["events"][0]["actor"] == "dpo-key"
    assert [m.to for m in outbox()] == ["dominique@example.fr"]  # the DPO entered it: no notice to themselves


@pytest.mark.parametrize("changes", [
    {"received_at": "2027-02-04T09:00:00Z"},  # tomorrow
    {"received_at": "2027-02-03T09:00:00"},  # no zone
    {"received_at": "yesterday"}, {"channel": "web"}, {"channel": "fax"}, {"type": "everything"},
    {"email": "nope"}, {"channel": "email", "email": None}, {"full_name": None}, {"extra": 1},
])
def test_bad_intake_is_422(client, admin, changes):
    clock.set_now(dt.datetime(2027, 2, 3, 9, 0, tzinfo=dt.UTC))
    response = intake(client, admin, **changes)
    assert response.status_code == 422, response.get_json()
    assert count(DsarRequest) == 0


def test_intake_without_an_address_sends_nothing_and_may_be_unclassified(client, admin):
    clock.set_now(dt.datetime(2027, 2, 3, 9, 0, tzinfo=dt.UTC))
    body = intake(client, admin, email=None, type=None, channel="phone").get_json()
    assert body["type"] is None and body["channel"] == "phone"
    assert outbox() == []


def test_events_are_append_only(client, admin):
    submit(client)
    event = db.session.execute(db.select(DsarEvent)).scalar_one()
    event.note = "rewritten"
    with pytest.raises(PermissionError):
        db.session.flush()
    db.session.rollback()
    with pytest.raises(PermissionError):
        db.session.delete(db.session.execute(db.select(DsarEvent)).scalar_one())
        db.session.flush()
    db.session.rollback()


def test_the_form_is_documented_and_public(client):
    spec = client.get("/v1/openapi.json").get_json()
    for path in ("/v1/dsar/requests", "/v1/dsar/requests/intake", "/v1/dsar/requests.csv",
                 "/v1/dsar/requests/{reference}", "/v1/dsar/requests/{reference}/verify",
                 "/v1/dsar/requests/{reference}/extend", "/v1/dsar/requests/{reference}/execute",
                 "/v1/dsar/requests/{reference}/reject", "/v1/dsar/requests/{reference}/complete",
                 "/v1/dsar/inbound-email"):
        assert path in spec["paths"], path
    assert "security" not in spec["paths"]["/v1/dsar/requests"]["post"]
    assert spec["paths"]["/v1/dsar/requests"]["get"]["security"] == [{"bearerAuth": []}]
    assert FORM["type"] == "access"


def test_an_automatically_verified_request_gets_no_confirmation_link(client, app):
    hooks.IDENTITY_VERIFIER.register(app, lambda account_id, birth_date, email: True)
    submit(client, account_id="T-1001", birth_date="1980-05-17")
    mail, = outbox("locataire@example.fr")
    assert "confirmée" in mail.subject and "/dsar/verify" not in mail.text


def test_a_failing_identity_verifier_changes_nothing_visible(client, admin, app):
    def broken(*args):
        raise RuntimeError("account store down")

    hooks.IDENTITY_VERIFIER.register(app, broken)
    response = submit(client, account_id="T-1001", birth_date="1980-05-17")
    assert response.status_code == 202 and response.get_json()["status"] == "awaiting_verification"
    assert "/dsar/verify" in outbox("locataire@example.fr")[0].text


def test_two_concurrent_clicks_verify_once(client, admin, app, backend):
    if backend != "postgresql":
        pytest.skip("concurrent writers need PostgreSQL; SQLite serialises them anyway")
    import threading

    reference = submit(client).get_json()["reference"]
    token = verify_link(outbox("locataire@example.fr")[0]).split("token=")[1]
    barrier = threading.Barrier(4)
    codes = []

    def click():
        barrier.wait()
        codes.append(app.test_client().post("/dsar/verify", data={"token": token}).status_code)

    threads = [threading.Thread(target=click) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert codes == [200] * 4
    events = [e["kind"] for e in detail(client, admin, reference)["events"]]
    assert events.count("verified") == 1
