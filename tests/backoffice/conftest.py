"""Back-office fixtures: users, a signed-in test client, a request to act on."""
from __future__ import annotations

import datetime as dt
import functools
import re

import pytest
from werkzeug.security import generate_password_hash

from consent_service import clock
from consent_service.extensions import db

PASSWORD = "correct horse battery staple"
NOW = dt.datetime(2027, 3, 1, 9, 0, tzinfo=dt.UTC)


@functools.cache
def _hash(password: str) -> str:
    return generate_password_hash(password, method="scrypt")


@pytest.fixture
def bo(app):
    """The ``app`` (SQLite and PostgreSQL) with the clock standing still, CSRF and the sign-in
    rate limit off: the tests of those two rules turn them back on."""
    app.config["WTF_CSRF_ENABLED"] = False
    app.config["BACKOFFICE_LOGIN_RATE_LIMIT"] = "off"
    clock.set_now(NOW)
    return app


@pytest.fixture
def make_user(bo):
    from backoffice.models import BackofficeUser

    def factory(email="dpo@bailleur.example.fr", role="dpo", password=PASSWORD):
        user = BackofficeUser(email=email, password_hash=_hash(password), role=role, failed_logins=0,
                              created_at=clock.now())
        db.session.add(user)
        db.session.commit()
        return user

    return factory


def sign_in(client, email="dpo@bailleur.example.fr", password=PASSWORD, **extra):
    return client.post("/backoffice/login", data={"email": email, "password": password, **extra},
                       headers={"Accept": "text/html"})


@pytest.fixture
def dpo_client(bo, make_user):
    make_user()
    client = bo.test_client()
    assert sign_in(client).status_code == 302
    return client


@pytest.fixture
def auditor_client(bo, make_user):
    make_user("auditor@bailleur.example.fr", "auditor")
    client = bo.test_client()
    assert sign_in(client, "auditor@bailleur.example.fr").status_code == 302
    return client


@pytest.fixture
def dsar_request(bo):
    """An erasure request received by post, awaiting verification; returns its reference."""
    from dsar import intake

    def factory(**changes):
        fields = {"type": "erasure", "channel": "post", "actor": "intake-key", "full_name": "Dominique Petit",
                  "email": "dominique@example.fr", "account_id": "T-1001",
                  "received_at": NOW - dt.timedelta(days=2), **changes}
        made = intake.open_request(**fields).request
        db.session.commit()
        return made.reference

    return factory


def csrf_token(html: str) -> str:
    found = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html) or \
        re.search(r'value="([^"]+)"[^>]*name="csrf_token"', html)
    assert found, "no CSRF token in the page"
    return found.group(1)


HTML = {"Accept": "text/html"}
JSON = {"Accept": "application/json"}
