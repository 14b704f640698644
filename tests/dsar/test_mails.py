"""The workflow's e-mails through a real SMTP server, read back and followed."""
import datetime as dt
import re

from consent_service import clock, hooks, worker

from .helpers import confirm_address, detail, intake, submit

T0 = dt.datetime(2027, 1, 31, 9, 0, tzinfo=dt.UTC)


def link_in(message) -> str:
    text = message.get_body(("plain",)).get_content()
    found = re.search(r"http://127\.0\.0\.1:8000(/dsar/verify\?token=\S+)", text)
    assert found, text
    return found.group(1)


def test_the_acknowledgement_arrives_in_french_and_its_link_verifies(client, admin, smtp):
    clock.set_now(T0)
    reference = submit(client).get_json()["reference"]
    worker.run_once()
    ack, = smtp.to("locataire@example.fr")
    assert ack["From"] == "dpo@bailleur.example" and ack["Auto-Submitted"] == "auto-generated"
    assert ack["Message-ID"] and ack["Date"]
    assert reference in ack["Subject"] and "confirmez" in ack["Subject"]
    text = ack.get_body(("plain",)).get_content()
    html = ack.get_body(("html",)).get_content()
    assert "1er\u00a0mars\u00a02027" in text and "Bonjour" in text and 'lang="fr"' in html
    path = link_in(ack)
    assert path.replace("&", "&amp;") in html or path in html
    page = client.get(path)
    assert page.status_code == 200
    token = re.search(r'name="token" value="([^"]+)"', page.get_data(as_text=True)).group(1)
    assert client.post("/dsar/verify", data={"token": token}).status_code == 200
    assert detail(client, admin, reference)["status"] == "verified"
    worker.run_once()
    confirmed = smtp.to("locataire@example.fr")[-1]
    assert "confirmée" in confirmed["Subject"]
    notice, = smtp.to("dpo-team@bailleur.example")
    notice_text = notice.get_body(("plain",)).get_content()
    assert reference in notice_text and "Camille" not in notice_text and "locataire" not in notice_text
    assert "/backoffice/requests/" + reference in notice_text


def test_an_english_request_gets_english_mails(client, admin, smtp):
    clock.set_now(T0)
    reference = submit(client, locale="en", account_id="A1001").get_json()["reference"]
    confirm_address(client, reference)  # no identity block here: confirmed, not verified
    client.post(f"/v1/dsar/requests/{reference}/reject", json={"ground": "excessive", "reason": "Third request."},
                headers=admin)
    worker.run_once()
    ack, rejection = smtp.to("locataire@example.fr")
    assert "please confirm" in ack["Subject"] and "1 March 2027" in ack.get_body(("plain",)).get_content()
    text = rejection.get_body(("plain",)).get_content()
    assert "our answer" in rejection["Subject"] and "Third request." in text
    assert "CNIL" in text and "judicial remedy" in text
    assert 'lang="en"' in rejection.get_body(("html",)).get_content()


def test_state_change_and_mail_commit_together(client, admin, smtp, app):
    """A transition that fails leaves no mail behind; one that succeeds always has its mail."""
    clock.set_now(T0 + dt.timedelta(days=1))
    reference = intake(client, admin, received_at="2027-01-31T09:00:00Z").get_json()["reference"]
    client.post(f"/v1/dsar/requests/{reference}/verify", json={"method": "document", "note": "ok"}, headers=admin)

    def broken(dsar_request, body):
        from consent_service.mail import queue_mail

        queue_mail(to="someone@example.fr", subject="half done", text="x")
        raise RuntimeError("the engine broke")

    hooks.DSAR_EXECUTORS.register(app, "erasure", broken)
    response = client.post(f"/v1/dsar/requests/{reference}/execute", json={}, headers=admin)
    assert response.status_code == 500
    worker.run_once()
    assert smtp.to("someone@example.fr") == []
    assert detail(client, admin, reference)["status"] == "verified"


def test_a_reminder_goes_once_after_three_days_unverified_with_a_fresh_link(client, admin, smtp):
    clock.set_now(T0)
    reference = submit(client).get_json()["reference"]
    clock.set_now(T0 + dt.timedelta(days=2, hours=23))
    assert worker.run_once()["dsar_reminders"] == 0
    clock.set_now(T0 + dt.timedelta(days=3))
    assert worker.run_once()["dsar_reminders"] == 1
    assert worker.run_once()["dsar_reminders"] == 0
    ack, reminder = smtp.to("locataire@example.fr")
    assert "Rappel" in reminder["Subject"] and reminder["Auto-Submitted"] == "auto-generated"
    assert [e["kind"] for e in detail(client, admin, reference)["events"]] == ["received", "reminder_sent"]
    clock.set_now(T0 + dt.timedelta(days=8))  # the first link has expired, the reminder's has not
    assert client.post("/dsar/verify", data={"token": link_in(ack).split("token=")[1]}).status_code == 410
    assert client.post("/dsar/verify", data={"token": link_in(reminder).split("token=")[1]}).status_code == 200
    assert detail(client, admin, reference)["status"] == "verified"


def test_no_reminder_for_a_verified_request(client, admin, smtp):
    clock.set_now(T0 + dt.timedelta(days=1))
    reference = intake(client, admin, received_at="2027-01-31T09:00:00Z").get_json()["reference"]
    client.post(f"/v1/dsar/requests/{reference}/verify", json={"method": "in_person", "note": "ok"}, headers=admin)
    clock.set_now(T0 + dt.timedelta(days=10))
    assert worker.run_once()["dsar_reminders"] == 0


def test_the_daily_digest_goes_once_per_paris_day_with_due_and_overdue_requests(client, admin, smtp):
    clock.set_now(dt.datetime(2027, 2, 25, 5, 0, tzinfo=dt.UTC))  # 06:00 in Paris
    late = intake(client, admin, received_at="2027-01-20T09:00:00Z").get_json()["reference"]  # due 22 Feb
    soon = intake(client, admin, received_at="2027-01-31T09:00:00Z", email="b@example.fr").get_json()["reference"]
    later = intake(client, admin, received_at="2027-02-20T09:00:00Z", email="c@example.fr").get_json()["reference"]
    assert worker.run_once()["dsar_digest"] == 0  # before 07:00 Paris
    clock.set_now(dt.datetime(2027, 2, 25, 6, 0, tzinfo=dt.UTC))
    assert worker.run_once()["dsar_digest"] == 1
    assert worker.run_once()["dsar_digest"] == 0
    clock.set_now(dt.datetime(2027, 2, 25, 22, 30, tzinfo=dt.UTC))  # 23:30 Paris, same day
    assert worker.run_once()["dsar_digest"] == 0
    digest, = smtp.to("dpo-team@bailleur.example")
    text = digest.get_body(("plain",)).get_content()
    assert late in text and soon in text and later not in text
    assert "EN RETARD" in text and digest["Auto-Submitted"] == "auto-generated"
    assert "Dominique" not in text and "@example.fr" not in text
    clock.set_now(dt.datetime(2027, 2, 25, 23, 30, tzinfo=dt.UTC))  # 00:30 Paris: a new day
    worker.run_once()  # before 07:00 there
    clock.set_now(dt.datetime(2027, 2, 26, 6, 0, tzinfo=dt.UTC))
    assert worker.run_once()["dsar_digest"] == 1  # queued and sent in the same pass
    assert len(smtp.to("dpo-team@bailleur.example")) == 2


def test_no_digest_when_nothing_falls_due(client, admin, smtp):
    clock.set_now(dt.datetime(2027, 2, 1, 9, 0, tzinfo=dt.UTC))
    intake(client, admin, received_at="2027-01-31T09:00:00Z")
    assert worker.run_once()["dsar_digest"] == 0
    assert smtp.to("dpo-team@bailleur.example") == []


def test_every_subject_mail_has_a_text_and_an_html_part(client, admin, smtp):
    clock.set_now(T0 + dt.timedelta(days=1))
    reference = intake(client, admin, received_at="2027-01-31T09:00:00Z", account_id="A1001").get_json()["reference"]
    confirm_address(client, reference)
    for action, body in (("verify", {"method": "document", "note": "ok"}), ("extend", {"reason": "Complexe"}),
                         ("complete", {"summary": "Fait."})):
        assert client.post(f"/v1/dsar/requests/{reference}/{action}", json=body, headers=admin).status_code == 200
    worker.run_once()
    mails = smtp.to("dominique@example.fr")
    assert len(mails) == 4
    for mail in mails:
        assert mail.get_content_type() == "multipart/alternative"
        assert mail.get_body(("plain",)) is not None and mail.get_body(("html",)) is not None
        assert mail["Auto-Submitted"] == "auto-generated" and reference in mail["Subject"]
    assert len({m["Message-ID"] for m in mails}) == 4
    extension = mails[2].get_body(("plain",)).get_content()
    assert "Complexe" in extension and "30\u00a0avril\u00a02027" in extension


def test_the_dpo_sees_failed_mail_and_can_queue_it_again(client, admin, app):
    from .helpers import SmtpSink, free_port

    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=free_port(), MAIL_MAX_ATTEMPTS=1, SMTP_TIMEOUT=2)
    clock.set_now(T0)
    reference = submit(client).get_json()["reference"]
    worker.run_once()
    failed = client.get("/v1/dsar/outbox?status=failed", headers=admin).get_json()["items"]
    assert {m["ref"] for m in failed} == {reference} and len(failed) == 2
    assert failed[0]["last_error"] == "ConnectionRefusedError"
    assert {m["status"] for m in detail(client, admin, reference)["mails"]} == {"failed"}
    assert client.get("/v1/dsar/outbox?status=lost", headers=admin).status_code == 422
    with SmtpSink() as sink:
        app.config["SMTP_PORT"] = sink.port
        for message in failed:
            response = client.post(f"/v1/dsar/outbox/{message['id']}/retry", headers=admin)
            assert response.status_code == 200 and response.get_json()["status"] == "queued"
        assert client.post(f"/v1/dsar/outbox/{failed[0]['id']}/retry", headers=admin).status_code == 404
        for unknown in (0, 999999, 2**31, 89321957932321938079744):
            assert client.post(f"/v1/dsar/outbox/{unknown}/retry", headers=admin).status_code == 404
        worker.run_once()
        assert len(sink.messages) == 2
    assert client.get("/v1/dsar/outbox?status=failed", headers=admin).get_json()["items"] == []
