"""Browser fixtures: Debian's chromium through Playwright, the service and a portal on real ports.

Skipped when /usr/bin/chromium is missing, unless REQUIRE_BROWSER=1 (CI), which makes that a failure."""
from __future__ import annotations

import os

import pytest

from .server import CHROMIUM, CHROMIUM_ARGS, Portal, Service


def _require_browser():
    problem = None
    if not os.path.exists(CHROMIUM):
        problem = f"{CHROMIUM} is missing (apt-get install chromium)"
    else:
        try:
            import playwright.sync_api  # noqa: F401
        except ImportError:
            problem = "playwright is not installed"
    if problem:
        if os.environ.get("REQUIRE_BROWSER") == "1":
            pytest.fail(f"REQUIRE_BROWSER=1 but {problem}")
        pytest.skip(problem)


@pytest.fixture(scope="session")
def browser():
    _require_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="session")
def service(tmp_path_factory):
    _require_browser()
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
