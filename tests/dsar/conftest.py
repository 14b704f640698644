"""Fixtures of the request tests: a DPO key, a real SMTP server, builders."""
from __future__ import annotations

import email
import email.policy
import socket
import threading

import pytest
from aiosmtpd.controller import Controller



class _Store:
    def __init__(self):
        self.messages: list[email.message.EmailMessage] = []
        self.envelopes = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.envelopes.append(envelope)
            self.messages.append(email.message_from_bytes(envelope.original_content or envelope.content,
                                                          policy=email.policy.default))
        return "250 OK"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def smtp(app):
    """A real SMTP server on 127.0.0.1; the app sends to it."""
    store = _Store()
    controller = Controller(store, hostname="127.0.0.1", port=free_port())
    controller.start()
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=controller.port, SMTP_STARTTLS=False,
                      MAIL_FROM="dpo@bailleur.example", DPO_EMAIL="dpo-team@bailleur.example")
    store.port = controller.port
    yield store
    controller.stop()


@pytest.fixture
def admin(api_key):
    return api_key("dsar:admin", name="dpo-key")


@pytest.fixture
def inbound(api_key):
    return api_key("dsar:inbound", name="mail-gateway")
