"""Builders shared by the request tests."""
from __future__ import annotations

import email
import email.policy
import re
import socket
import threading

from aiosmtpd.controller import Controller

from consent_service.extensions import db
from consent_service.mail import OutboxMessage

FORM = {"type": "access", "email": "Locataire@Example.fr", "full_name": "Camille Martin", "locale": "fr",
        "message": "Je souhaite une copie de mes données."}


def submit(client, **changes):
    body = {**FORM, **changes}
    body = {k: v for k, v in body.items() if v is not ...}
    return client.post("/v1/dsar/requests", json=body)


def intake(client, admin, **changes):
    body = {"type": "erasure", "channel": "post", "received_at": "2027-01-31T09:00:00Z",
            "full_name": "Dominique Petit", "email": "dominique@example.fr", **changes}
    return client.post("/v1/dsar/requests/intake", json=body, headers=admin)


def outbox(to: str | None = None) -> list[OutboxMessage]:
    query = db.select(OutboxMessage).order_by(OutboxMessage.id)
    if to:
        query = query.where(OutboxMessage.to == to)
    return list(db.session.execute(query).scalars())


def detail(client, admin, reference):
    response = client.get(f"/v1/dsar/requests/{reference}", headers=admin)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def verify_link(message: OutboxMessage) -> str:
    found = re.search(r"http://127\.0\.0\.1:8000(/dsar/verify\?token=[A-Za-z0-9_.\-]+)", message.text)
    assert found, "no verification link in the mail"
    return found.group(1)


def confirm_address(client, reference: str) -> None:
    """The subject follows the last link e-mailed about ``reference`` and confirms."""
    mails = [m for m in outbox() if m.ref == reference and "/dsar/verify?token=" in m.text]
    assert mails, "no verification link was e-mailed"
    token = verify_link(mails[-1]).split("token=", 1)[1]
    assert client.post("/dsar/verify", data={"token": token}).status_code == 200


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class SmtpSink:
    """A real SMTP server (aiosmtpd) on 127.0.0.1 keeping what it receives, parsed.
    ``reply`` set to an SMTP reply such as ``"550 no such user"`` refuses every message."""

    def __init__(self, **controller_options):
        self.messages: list[email.message.EmailMessage] = []
        self.recipients: list[list[str]] = []
        self.reply = "250 OK"
        self._lock = threading.Lock()
        self.port = free_port()
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port, **controller_options)

    async def handle_DATA(self, server, session, envelope):
        if not self.reply.startswith("250"):
            return self.reply
        with self._lock:
            self.recipients.append(list(envelope.rcpt_tos))
            self.messages.append(email.message_from_bytes(envelope.original_content or envelope.content,
                                                          policy=email.policy.default))
        return "250 OK"

    def to(self, address: str) -> list[email.message.EmailMessage]:
        return [m for m in self.messages if m["To"] == address]

    def __enter__(self):
        self._controller.start()
        return self

    def __exit__(self, *exc):
        self._controller.stop()
