"""The preferences tests run with the demo catalogue (five themes, security alerts mandatory)
on each database, with the clock standing where each test puts it."""
from __future__ import annotations

import datetime as dt

import pytest

from consent_service import clock
from dsar.deadlines import PARIS
from preferences.catalogue import DEMO_PATH


def paris(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=PARIS)


@pytest.fixture
def app(app_with):
    application = app_with(PREFERENCES_PATH=str(DEMO_PATH), CONSENT_RATE_LIMIT="off")
    clock.set_now(paris(2027, 4, 23, 10, 0))  # a Friday, ten working days before Monday 10 May
    return application


@pytest.fixture
def writer(api_key):
    return api_key("accounts:write", name="portal-prod")
