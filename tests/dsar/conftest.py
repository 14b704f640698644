"""Fixtures of the request tests: a DPO key, a real SMTP server, builders."""
from __future__ import annotations

import pytest

from .helpers import SmtpSink


@pytest.fixture
def smtp(app):
    """A real SMTP server on 127.0.0.1; the app sends to it."""
    with SmtpSink() as sink:
        app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=sink.port, SMTP_STARTTLS=False,
                          MAIL_FROM="dpo@bailleur.example", DPO_EMAIL="dpo-team@bailleur.example")
        yield sink


@pytest.fixture
def admin(api_key):
    return api_key("dsar:admin", name="dpo-key")


@pytest.fixture
def inbound(api_key):
    return api_key("dsar:inbound", name="mail-gateway")
