"""The cookie policy page on a 390 px phone: the cookie table becomes stacked rows with nothing
cut off, and withdrawing consent is confirmed in a role="status" region a screen reader announces."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

expect = pytest.importorskip("playwright.sync_api").expect

pytestmark = pytest.mark.e2e


@pytest.fixture
def phone(browser):
    ctx = browser.new_context(viewport={"width": 390, "height": 844}, locale="fr-FR", is_mobile=True,
                              has_touch=True, device_scale_factor=2)
    ctx.set_default_timeout(5000)
    yield ctx.new_page()
    ctx.close()


def test_the_policy_page_fits_a_390_px_phone(phone, service, tmp_path):
    phone.goto(f"{service.base}/sites/espace-locataire/cookies")
    assert phone.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth") <= 0
    table = phone.locator("table.cookies")
    assert table.bounding_box()["width"] <= 390
    cell = phone.locator("table.cookies tr.cookie td").first
    label = phone.evaluate("(el) => getComputedStyle(el, '::before').content", cell.element_handle())
    assert label == '"Description"'  # each line says what it is
    folder = Path(os.environ.get("SCREENSHOT_DIR") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    phone.locator("table.cookies").scroll_into_view_if_needed()
    phone.screenshot(path=str(folder / "policy-phone.png"))


def test_withdrawing_is_confirmed_in_a_status_region(page, service):
    page.goto(f"{service.base}/demo")
    page.get_by_role("button", name="Tout accepter").click()
    page.wait_for_timeout(50)
    expect(page.locator("#analytics")).to_contain_text("active")
    page.goto(f"{service.base}/sites/espace-locataire/cookies")
    status = page.get_by_role("status")
    assert status.inner_text() == ""
    page.get_by_role("button", name="Retirer mon consentement").click()
    expect(status).to_contain_text("votre consentement est retiré")
    records = service.records()
    assert records[-1]["action"] == "withdraw"


def test_the_english_policy_page_confirms_in_english(page, service):
    page.goto(f"{service.base}/sites/espace-locataire/cookies?lang=en")
    page.get_by_role("button", name="Withdraw my consent").click()
    expect(page.get_by_role("status")).to_contain_text("Done: your consent is withdrawn")
