"""POST /v1/dsar/inbound-email: raw RFC 5322 messages become cases."""
import datetime as dt
from email.message import EmailMessage

import pytest

from consent_service import clock
from consent_service.extensions import db
from dsar import inbound_email
from dsar.models import DsarRequest

from .helpers import detail, outbox

T0 = dt.datetime(2027, 7, 14, 8, 0, tzinfo=dt.UTC)


def raw_mail(subject="Demande d'accès à mes données", body="Bonjour, je souhaite exercer mon droit d'accès.",
             sender='"Camille Martin" <camille@example.fr>', html=None, attachments=0, headers=None) -> bytes:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = "dpo@bailleur.example"
    message["Subject"] = subject
    for name, value in (headers or {}).items():
        message[name] = value
    message.set_content(body)
    if html:
        message.add_alternative(html, subtype="html")
    for i in range(attachments):
        message.add_attachment(b"%PDF-1.4 fake", maintype="application", subtype="pdf", filename=f"piece{i}.pdf")
    return message.as_bytes()


def post(client, inbound, raw, content_type="message/rfc822"):
    return client.post("/v1/dsar/inbound-email", data=raw, content_type=content_type, headers=inbound)


def test_a_mail_becomes_an_email_case_with_its_type_and_an_acknowledgement(client, admin, inbound):
    clock.set_now(T0)
    response = post(client, inbound, raw_mail(attachments=2))
    assert response.status_code == 202
    reference = response.get_json()["reference"]
    assert set(response.get_json()) == {"reference"}
    case = detail(client, admin, reference)
    assert case["channel"] == "email" and case["type"] == "access" and case["status"] == "awaiting_verification"
    assert case["email"] == "camille@example.fr" and case["full_name"] == "Camille Martin"
    assert case["due_on"] == "2027-08-16" and case["locale"] == "fr"
    assert "droit d'accès" in case["message"]
    assert "2 attachment(s) ignored" in case["events"][0]["note"] and case["events"][0]["actor"] == "system"
    ack, = outbox("camille@example.fr")
    assert "/dsar/verify?token=" in ack.text
    assert outbox("dpo@localhost")


@pytest.mark.parametrize(("subject", "body", "expected"), [
    ("Suppression de mon compte", "Merci de supprimer mes données.", "erasure"),
    ("Droit à l'effacement", "", "erasure"),
    ("Right to erasure", "Please delete my data.", "erasure"),
    ("Rectification", "Mon adresse est fausse.", "rectification"),
    ("Demande de limitation du traitement", "", "restriction"),
    ("Opposition", "Je m'oppose à la prospection.", "objection"),
    ("Objection to processing", "", "objection"),
    ("Portabilité de mes données", "", "portability"),
    ("Data portability", "", "portability"),
    ("Access request", "Please send me a copy of my data.", "access"),
    ("Question", "Bonjour, quand passe le plombier ?", None),
    ("Demande", "Accès et suppression de mes données.", None),  # two rights: the DPO decides
])
def test_the_type_is_recognised_from_french_and_english_words(subject, body, expected):
    parsed = inbound_email.parse(raw_mail(subject=subject, body=body))
    assert parsed.type == expected


def test_english_mail_gets_english_answers():
    parsed = inbound_email.parse(raw_mail(subject="Data request", body="Hello, I would like a copy of my data."))
    assert parsed.locale == "en"


def test_an_html_only_mail_is_read_as_text():
    message = EmailMessage()
    message["From"] = "a@example.fr"
    message["Subject"] = "Demande"
    message.set_content("<p>Je demande la <b>portabilit&eacute;</b> de mes donn&eacute;es</p><script>x()</script>",
                        subtype="html")
    parsed = inbound_email.parse(message.as_bytes())
    assert parsed.type == "portability" and "<b>" not in parsed.text and "x()" not in parsed.text


def test_an_unclassified_mail_waits_for_the_dpo(client, admin, inbound):
    reference = post(client, inbound, raw_mail(subject="Bonjour", body="Pouvez-vous m'aider ?")).get_json()["reference"]
    assert detail(client, admin, reference)["type"] is None
    client.patch(f"/v1/dsar/requests/{reference}", json={"type": "objection"}, headers=admin)
    assert detail(client, admin, reference)["type"] == "objection"


def test_the_same_mail_twice_folds_into_the_open_case(client, admin, inbound):
    clock.set_now(T0)
    first = post(client, inbound, raw_mail()).get_json()["reference"]
    clock.set_now(T0 + dt.timedelta(minutes=5))
    second = post(client, inbound, raw_mail()).get_json()["reference"]
    assert second == first
    assert db.session.execute(db.select(db.func.count()).select_from(DsarRequest)).scalar() == 1
    assert [e["kind"] for e in detail(client, admin, first)["events"]] == ["received", "duplicate_received"]
    assert len(outbox("camille@example.fr")) == 1


def test_an_automatic_reply_opens_a_case_but_sends_no_acknowledgement(client, admin, inbound):
    raw = raw_mail(subject="Absence : Demande d'accès", headers={"Auto-Submitted": "auto-replied"})
    reference = post(client, inbound, raw).get_json()["reference"]
    assert "no acknowledgement" in detail(client, admin, reference)["events"][0]["note"]
    assert outbox("camille@example.fr") == []


@pytest.mark.parametrize("raw", [
    b"", b"   \r\n", b"this is not a message at all",
    b"From: \r\nSubject: x\r\n\r\nbody",
    b"From: not an address\r\nSubject: x\r\n\r\nbody",
    b"From: a@example.fr, b@example.fr\r\nSubject: x\r\n\r\nbody",
    b"From: a@example.fr\r\nContent-Type: multipart/mixed\r\n\r\nno boundary at all",
    b"From: a@example.fr\r\nContent-Type: multipart/mixed; boundary=XYZ\r\n\r\nno parts here",
    b"From: =?utf-8?q?broken\r\nSubject: =?x-unknown?b?AAAA?=\r\n\r\nbody",
    b"\xff\xfe\x00\x00garbage",
])
def test_malformed_messages_are_422_and_open_nothing(client, inbound, raw):
    response = post(client, inbound, raw)
    assert response.status_code == 422, response.get_json()
    assert response.get_json()["code"] == 422
    assert db.session.execute(db.select(db.func.count()).select_from(DsarRequest)).scalar() == 0


def test_a_message_over_10_mib_is_413_and_one_just_under_is_read(client, inbound):
    big = raw_mail(body="x" * (10 * 1024 * 1024 + 10))
    response = post(client, inbound, big)
    assert response.status_code == 413 and response.get_json()["code"] == 413
    fine = raw_mail(body="Demande de portabilité.\n" + "y" * (1024 * 1024))
    assert len(fine) > 64 * 1024
    assert post(client, inbound, fine).status_code == 202


def test_the_body_must_be_a_raw_message(client, inbound):
    response = client.post("/v1/dsar/inbound-email", json={"from": "a@example.fr"}, headers=inbound)
    assert response.status_code == 415 and response.get_json()["code"] == 415


def test_the_json_endpoints_keep_their_64_kib_limit(client):
    response = client.post("/v1/dsar/requests", data=b"{" + b" " * (65 * 1024) + b"}",
                           content_type="application/json")
    assert response.status_code == 413
