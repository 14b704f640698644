"""The trust tests run on the data-map tests' portal (a tenants table with addresses and birth
dates, on SQLite and PostgreSQL) and sign in to the back-office like its tests do."""
from __future__ import annotations

import pytest

from ..backoffice.conftest import make_user, sign_in  # noqa: F401 (fixtures)
from ..core.test_migrations import empty_database  # noqa: F401 (fixture)
from ..datamap.conftest import DATAMAP_TEST_CONFIG, NOW, TENANTS, app, portal, writer  # noqa: F401 (fixtures)


@pytest.fixture
def admin(api_key):
    return api_key("dsar:admin", name="dpo-key")


@pytest.fixture
def bo(app):  # noqa: F811 (the data-map app imported above)
    """``make_user`` needs it: CSRF and the sign-in rate limit off, as in the back-office tests."""
    app.config["WTF_CSRF_ENABLED"] = False
    app.config["BACKOFFICE_LOGIN_RATE_LIMIT"] = "off"
    return app


@pytest.fixture
def dpo_client(bo, make_user):  # noqa: F811
    make_user()
    client = bo.test_client()
    assert sign_in(client).status_code == 302
    return client
