"""Browser fixtures: the service and a portal on real ports; the session's chromium (``browser``) is
the root conftest's, shared with the other areas' browser tests.

Skipped when /usr/bin/chromium is missing, unless REQUIRE_BROWSER=1 (CI), which makes that a failure."""
from __future__ import annotations

import pytest

from tests.conftest import require_browser

from .server import Portal, Service


@pytest.fixture(scope="session")
def service(tmp_path_factory):
    require_browser()
    server = Service(tmp_path_factory.mktemp("e2e")).start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def portal_server(service):
    server = Portal(service).start()
    service.add_origins(server.base, server.cross_site)
    yield server
    server.stop()


@pytest.fixture
def portal(portal_server):
    """The portal; a test may change its ``settings`` (site, lang, script attributes)."""
    saved = dict(portal_server.settings)
    yield portal_server
    portal_server.settings = saved


@pytest.fixture
def context(browser):
    ctx = browser.new_context(viewport={"width": 1280, "height": 800}, locale="fr-FR")
    ctx.set_default_timeout(5000)
    yield ctx
    ctx.close()


@pytest.fixture
def page(context):
    return context.new_page()
