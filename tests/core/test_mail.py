"""The transactional outbox and its sender: real SMTP, retries, back-off, failure, racing workers."""
import datetime as dt
import logging
import threading

import pytest

from consent_service import clock, worker
from consent_service.extensions import db
from consent_service.mail import OutboxMessage, queue_mail, send_due

from ..dsar.helpers import SmtpSink, free_port

T0 = dt.datetime(2027, 3, 1, 8, 0, tzinfo=dt.UTC)


@pytest.fixture
def smtp(app):
    with SmtpSink() as sink:
        app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=sink.port, MAIL_FROM="dpo@bailleur.example")
        yield sink


def queue(n=1, **changes):
    messages = [queue_mail(**{"to": f"tenant{i}@example.fr", "subject": f"Sujet {i} é", "text": f"Bonjour {i}",
                              "html": f"<p>Bonjour {i}</p>", **changes}) for i in range(n)]
    db.session.commit()
    return messages


def status_of(message_id):
    db.session.expire_all()
    return db.session.get(OutboxMessage, message_id)


def test_queue_mail_only_adds_to_the_transaction(app):
    queue_mail(to="a@example.fr", subject="s", text="t")
    db.session.rollback()
    assert db.session.execute(db.select(OutboxMessage)).first() is None


def test_without_smtp_host_mail_stays_in_the_outbox_and_is_logged_by_id(app, caplog):
    app.config["SMTP_HOST"] = None
    with caplog.at_level(logging.INFO):
        message, = queue()
        assert send_due() == 0
    assert status_of(message.id).status == "queued"
    assert f"mail {message.id}" in caplog.text and "tenant0@example.fr" not in caplog.text


def test_the_worker_sends_text_and_html_with_proper_headers(app, smtp):
    clock.set_now(T0)
    message, = queue(headers={"Reply-To": "dpo@bailleur.example"})
    assert worker.run_once()["mail"] == 1
    received, = smtp.messages
    assert received["From"] == "dpo@bailleur.example" and received["To"] == "tenant0@example.fr"
    assert received["Subject"] == "Sujet 0 é"
    assert received["Auto-Submitted"] == "auto-generated"
    assert received["Message-ID"].startswith("<") and received["Message-ID"].endswith("@bailleur.example>")
    assert received["Date"].datetime == T0
    assert received["Reply-To"] == "dpo@bailleur.example"
    assert received.get_content_type() == "multipart/alternative"
    assert received.get_body(("plain",)).get_content().strip() == "Bonjour 0"
    assert received.get_body(("html",)).get_content().strip() == "<p>Bonjour 0</p>"
    sent = status_of(message.id)
    assert sent.status == "sent" and sent.sent_at == T0 and sent.attempts == 1
    assert worker.run_once()["mail"] == 0 and len(smtp.messages) == 1  # never twice


def test_a_person_to_person_message_has_no_auto_submitted_header(app, smtp):
    queue(auto=False, html=None)
    send_due()
    received, = smtp.messages
    assert received["Auto-Submitted"] is None and received.get_content_type() == "text/plain"


def test_smtp_down_retries_with_exponential_back_off_then_fails(app, caplog):
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=free_port(), MAIL_MAX_ATTEMPTS=4, SMTP_TIMEOUT=2)
    clock.set_now(T0)
    message, = queue()
    delays = []
    for attempt in range(1, 5):
        assert send_due() == 0
        row = status_of(message.id)
        assert row.attempts == attempt
        if attempt < 4:
            assert row.status == "queued"
            delays.append((row.next_attempt_at - clock.now()).total_seconds())
            assert send_due() == 0 and status_of(message.id).attempts == attempt  # not due yet
            clock.set_now(row.next_attempt_at)
    assert delays == [60, 120, 240]
    failed = status_of(message.id)
    assert failed.status == "failed" and failed.last_error.startswith("ConnectionRefusedError")
    assert "tenant0" not in failed.last_error and "tenant0" not in caplog.text
    clock.set_now(T0 + dt.timedelta(days=1))
    assert send_due() == 0 and status_of(message.id).status == "failed"


def test_the_message_goes_out_once_the_server_is_back(app):
    port = free_port()
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=port, SMTP_TIMEOUT=2)
    clock.set_now(T0)
    message, = queue()
    send_due()
    assert status_of(message.id).status == "queued"
    with SmtpSink() as sink:
        app.config["SMTP_PORT"] = sink.port
        clock.set_now(T0 + dt.timedelta(seconds=60))
        assert send_due() == 1
        assert len(sink.messages) == 1
    row = status_of(message.id)
    assert row.status == "sent" and row.attempts == 2 and row.last_error is None


def test_a_permanent_refusal_fails_at_once(app, smtp):
    smtp.reply = "550 5.1.1 mailbox unavailable"
    message, = queue()
    send_due()
    row = status_of(message.id)
    assert row.status == "failed" and row.attempts == 1 and "550" in row.last_error


def test_a_claim_left_by_a_killed_worker_is_taken_again_after_its_lease(app, smtp):
    clock.set_now(T0)
    message, = queue()
    from consent_service.mail import claim_due

    assert claim_due() == [message.id]  # this worker "dies" before sending
    assert send_due() == 0
    clock.set_now(T0 + dt.timedelta(minutes=11))
    assert send_due() == 1 and len(smtp.messages) == 1


def test_two_workers_racing_send_each_message_exactly_once(app, smtp, backend):
    if backend != "postgresql":
        pytest.skip("FOR UPDATE SKIP LOCKED is a PostgreSQL feature; SQLite has one writer")
    messages = queue(40)
    barrier = threading.Barrier(2)
    errors = []

    def run():
        try:
            with app.app_context():
                barrier.wait()
                while send_due():
                    pass
                db.session.remove()
        except Exception as err:  # pragma: no cover - reported below
            errors.append(err)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert not errors
    received = sorted(m["To"] for m in smtp.messages)
    assert received == sorted(m.to for m in messages)  # each exactly once
    assert {status_of(m.id).status for m in messages} == {"sent"}


def test_claims_on_sqlite_are_conditional(app, backend):
    """A row claimed by another worker between the read and the update is skipped."""
    if backend != "sqlite":
        pytest.skip("the SQLite path")
    from consent_service import mail

    message, = queue()
    original = mail._due
    calls = []

    def due_then_stolen():
        calls.append(1)
        if len(calls) == 2:  # after the candidates were read, before this worker's update
            db.session.execute(db.update(OutboxMessage).values(status="sent"))  # another worker was faster
        return original()

    mail._due = due_then_stolen
    try:
        assert mail.claim_due() == []
    finally:
        mail._due = original
    assert status_of(message.id).status == "sent"


def test_smtp_login_with_the_configured_credentials(app):
    from aiosmtpd.smtp import AuthResult

    def authenticator(server, session, envelope, mechanism, auth_data):
        return AuthResult(success=auth_data.login == b"relay" and auth_data.password == b"s3cret")

    with SmtpSink(authenticator=authenticator, auth_require_tls=False) as sink:
        app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=sink.port, SMTP_USERNAME="relay",
                          SMTP_PASSWORD="wrong", SMTP_TIMEOUT=3)
        clock.set_now(T0)
        message, = queue()
        send_due()
        row = status_of(message.id)
        assert row.status == "queued" and row.attempts == 1  # our set-up is wrong: retried, not failed
        assert row.last_error.startswith("SMTP")
        app.config["SMTP_PASSWORD"] = "s3cret"
        clock.set_now(row.next_attempt_at)
        assert send_due() == 1 and len(sink.messages) == 1
