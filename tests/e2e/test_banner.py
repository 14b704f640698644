"""The banner in a real browser (docs/banner.md)."""
from __future__ import annotations

import datetime as dt
import re

import pytest

pytestmark = pytest.mark.e2e

DIALOG_FR = "Vos choix en matière de cookies"
DIALOG_EN = "Your cookie choices"


def dialog(page, name=DIALOG_FR):
    return page.get_by_role("dialog", name=name)


def button(page, name):
    return page.get_by_role("button", name=name, exact=True)


def open_demo(page, service, query=""):
    page.goto(f"{service.base}/demo{query}")
    page.wait_for_function("() => window.consentBanner && document.getElementById('cc-m')")


def choose(page, name):
    """Clicks a banner button and waits for the decision to be recorded."""
    with page.expect_response(lambda r: r.url.endswith("/consents") and r.request.method == "POST") as answer:
        button(page, name).click()
    assert answer.value.status == 201, answer.value.text()
    page.wait_for_function("() => !document.getElementById('cc-b')")
    return answer.value.json()


def ga_cookies(context):
    return sorted((c["name"], c["domain"]) for c in context.cookies() if c["name"].startswith("_ga"))


def analytics_runs(page, name="demoAnalyticsRuns"):
    return page.evaluate(f"window.{name} || 0")


def consent_calls(page):
    return page.evaluate("dataLayer.filter(a => a[0] === 'consent').map(a => [a[1], a[2]])")


class Mark:
    """The proofs recorded since the mark was taken."""

    def __init__(self, service, site="espace-locataire"):
        self.service, self.site = service, site
        self.seen = {r["id"] for r in service.records(site)}

    def new(self):
        return [r for r in self.service.records(self.site) if r["id"] not in self.seen]


# --- before a choice ------------------------------------------------------------------------


def test_nothing_runs_and_no_ga_before_a_choice(page, context, service):
    open_demo(page, service)
    expect_visible(dialog(page))
    assert ga_cookies(context) == []
    assert analytics_runs(page) == 0
    assert page.locator('script[type="text/plain"][data-consent-category="analytics"]').count() == 1
    assert consent_calls(page) == [["default", {"analytics_storage": "denied", "ad_storage": "denied",
                                                "ad_user_data": "denied", "ad_personalization": "denied"}]]


def test_dialog_is_named_and_focus_moves_into_it(page, service):
    open_demo(page, service)
    box = dialog(page)
    expect_visible(box)
    assert box.get_attribute("aria-modal") == "true"
    assert page.evaluate("document.getElementById('cc-b').contains(document.activeElement)")
    assert page.get_by_role("link", name="En savoir plus").get_attribute("href") == \
        f"{service.base}/sites/espace-locataire/cookies"
    for name in ("Tout accepter", "Tout refuser", "Personnaliser"):
        expect_visible(button(page, name))


def test_focus_stays_in_the_dialog_and_is_visible(page, service):
    open_demo(page, service)
    expect_visible(dialog(page))
    inside = "document.getElementById('cc-b').contains(document.activeElement)"
    seen = set()
    for key in ["Tab"] * 8 + ["Shift+Tab"] * 8:
        page.keyboard.press(key)
        assert page.evaluate(inside), key
        seen.add(page.evaluate("document.activeElement.getAttribute('aria-label')"
                               " || document.activeElement.textContent"))
        style = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
        assert style == "solid", f"no visible focus on {seen}"
    assert {"Tout accepter", "Tout refuser", "Personnaliser", "En savoir plus", "Fermer"} <= seen
    # a click elsewhere on the page does not take focus out of the dialog either
    page.get_by_role("link", name="Page 2").focus()
    assert page.evaluate(inside)


# --- refusing ---------------------------------------------------------------------------------


def test_refusal_keeps_analytics_off_after_reloads_and_on_further_pages(page, context, service):
    mark = Mark(service)
    open_demo(page, service)
    body = choose(page, "Tout refuser")
    assert body["categories"] == {"functional": True, "analytics": False}
    for query in ("", "?page=2", "?page=3"):
        open_demo(page, service, query)
        page.wait_for_timeout(200)
        assert dialog(page).count() == 0
        assert ga_cookies(context) == [] and analytics_runs(page) == 0
        expect_visible(button(page, "Gérer mes cookies"))
    page.reload()
    page.wait_for_function("() => document.getElementById('cc-m')")
    assert dialog(page).count() == 0 and ga_cookies(context) == []
    assert [r["action"] for r in mark.new()] == ["refuse_all"]


def test_the_whole_refuse_path_by_keyboard_only(page, context, service):
    mark = Mark(service)
    open_demo(page, service)
    expect_visible(dialog(page))
    for _ in range(10):
        if page.evaluate("document.activeElement.textContent") == "Tout refuser":
            break
        page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Tout refuser"
    with page.expect_response(lambda r: r.url.endswith("/consents")):
        page.keyboard.press("Enter")
    page.wait_for_function("() => !document.getElementById('cc-b')")
    assert [r["action"] for r in mark.new()] == ["refuse_all"]
    assert ga_cookies(context) == [] and analytics_runs(page) == 0


@pytest.mark.parametrize("how", ["Escape", "close button"])
def test_escape_or_close_records_nothing_and_the_banner_returns(page, context, service, how):
    mark = Mark(service)
    open_demo(page, service)
    expect_visible(dialog(page))
    if how == "Escape":
        page.keyboard.press("Escape")
    else:
        button(page, "Fermer").click()
    assert dialog(page).count() == 0
    page.wait_for_timeout(300)
    assert mark.new() == []
    assert ga_cookies(context) == [] and analytics_runs(page) == 0
    assert [c for c in context.cookies() if c["name"] in ("cookie_consent", "r_ci")] == []
    assert [c[0] for c in consent_calls(page)] == ["default"]
    open_demo(page, service, "?page=2")
    expect_visible(dialog(page))


# --- accepting, customising, withdrawing --------------------------------------------------------


def test_accept_runs_the_analytics_script_and_updates_consent_mode(page, context, service):
    open_demo(page, service)
    body = choose(page, "Tout accepter")
    assert body["categories"]["analytics"] is True
    page.wait_for_function("() => window.demoAnalyticsRuns === 1")
    assert ("_ga", "127.0.0.1") in ga_cookies(context)
    assert consent_calls(page)[-1] == ["update", {"analytics_storage": "granted", "ad_storage": "denied",
                                                  "ad_user_data": "denied", "ad_personalization": "denied"}]
    open_demo(page, service, "?page=2")
    page.wait_for_function("() => window.demoAnalyticsRuns === 1")
    assert dialog(page).count() == 0
    assert [c[0] for c in consent_calls(page)] == ["default", "update"]


def test_customize_starts_off_and_reflects_the_current_choice_when_reopened(page, service):
    mark = Mark(service)
    open_demo(page, service)
    button(page, "Personnaliser").click()
    toggle = page.get_by_role("switch", name=re.compile("Mesure d'audience"))
    assert not toggle.is_checked()
    assert page.evaluate("document.activeElement.name") == "analytics"
    toggle.check()
    body = choose(page, "Enregistrer mes choix")
    assert body["action"] == "custom" and body["categories"]["analytics"] is True
    page.wait_for_function("() => window.demoAnalyticsRuns === 1")
    page.evaluate("window.consentBanner.open()")
    expect_visible(dialog(page))
    button(page, "Personnaliser").click()
    assert page.get_by_role("switch", name=re.compile("Mesure d'audience")).is_checked()
    assert [r["action"] for r in mark.new()] == ["custom"]


def test_withdraw_through_manage_deletes_ga_cookies(page, context, service):
    mark = Mark(service)
    open_demo(page, service)
    choose(page, "Tout accepter")
    page.wait_for_function("() => window.demoAnalyticsRuns === 1")
    assert {"_ga", "_ga_DEMO42"} <= {name for name, _ in ga_cookies(context)}
    open_demo(page, service, "?page=2")
    button(page, "Gérer mes cookies").click()
    expect_visible(dialog(page))
    body = choose(page, "Tout refuser")
    assert body["action"] == "withdraw" and body["categories"]["analytics"] is False
    assert ga_cookies(context) == []
    records = mark.new()
    assert [r["action"] for r in records] == ["accept_all", "withdraw"]
    assert records[0]["visitor_id"] == records[1]["visitor_id"]  # the same visitor across decisions
    assert consent_calls(page)[-1][1]["analytics_storage"] == "denied"


def test_the_policy_page_withdraws_and_reopens(page, context, service):
    mark = Mark(service)
    open_demo(page, service)
    choose(page, "Tout accepter")
    page.goto(f"{service.base}/sites/espace-locataire/cookies")
    page.wait_for_function("() => document.getElementById('cc-m')")
    assert dialog(page).count() == 0  # the policy page never opens the banner by itself
    with page.expect_response(lambda r: r.url.endswith("/consents")):
        page.get_by_role("button", name="Retirer mon consentement").click()
    page.wait_for_function("() => !document.cookie.includes('_ga')")
    page.locator("main").get_by_role("button", name="Gérer mes cookies").click()
    expect_visible(dialog(page))
    assert [r["action"] for r in mark.new()] == ["accept_all", "withdraw"]


# --- equal weight, contrast, small screens ------------------------------------------------------

STYLE = """el => { const s = getComputedStyle(el), b = el.getBoundingClientRect();
  return {tag: el.tagName, width: b.width, height: b.height, font: s.font, color: s.color,
          background: s.backgroundColor, border: s.border, padding: s.padding}; }"""


def test_accept_and_refuse_look_the_same(page, service):
    open_demo(page, service)
    accept = button(page, "Tout accepter").evaluate(STYLE)
    refuse = button(page, "Tout refuser").evaluate(STYLE)
    assert accept == refuse
    assert accept["tag"] == "BUTTON"
    assert button(page, "Tout accepter").bounding_box()["width"] == button(page, "Tout refuser").bounding_box()["width"]


def _luminance(rgb):
    def channel(c):
        c = c / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4
    r, g, b = (channel(int(v)) for v in re.findall(r"\d+", rgb)[:3])
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(fg, bg):
    a, b = sorted((_luminance(fg), _luminance(bg)), reverse=True)
    return (a + 0.05) / (b + 0.05)


def test_texts_meet_wcag_aa_contrast(page, service):
    open_demo(page, service)
    expect_visible(dialog(page))
    white = "rgb(255, 255, 255)"
    for locator, background in ((page.locator("#cc-t"), white), (page.locator("#cc-d"), white),
                                (button(page, "Tout accepter"), None), (button(page, "Personnaliser"), None),
                                (page.get_by_role("link", name="En savoir plus"), white)):
        style = locator.evaluate(STYLE)
        ratio = contrast(style["color"], background or style["background"])
        assert ratio >= 4.5, (locator, style, ratio)


@pytest.mark.parametrize("width", [320, 375])
def test_usable_on_a_narrow_screen(browser, service, width):
    context = browser.new_context(viewport={"width": width, "height": 640})
    page = context.new_page()
    try:
        open_demo(page, service)
        box = dialog(page).bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= width
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        assert page.evaluate("document.getElementById('cc-b').scrollWidth") <= box["width"]
        for name in ("Tout accepter", "Tout refuser", "Personnaliser"):
            b = button(page, name).bounding_box()
            assert b["x"] >= 0 and b["x"] + b["width"] <= width and b["height"] >= 24
        choose(page, "Tout refuser")
    finally:
        context.close()


# --- time, versions, GPC, language ------------------------------------------------------------


def test_banner_returns_when_the_refusal_is_due_but_not_within_the_acceptance(page, context, service):
    now = dt.datetime.now(dt.UTC)
    open_demo(page, service)
    choose(page, "Tout refuser")
    page.clock.set_fixed_time(now + dt.timedelta(days=20))
    open_demo(page, service)
    assert dialog(page).count() == 0
    page.clock.set_fixed_time(now + dt.timedelta(days=32))  # past one calendar month
    open_demo(page, service)
    expect_visible(dialog(page))
    page.clock.set_fixed_time(now)
    open_demo(page, service)
    page.evaluate("window.consentBanner.open()")
    choose(page, "Tout accepter")
    page.clock.set_fixed_time(now + dt.timedelta(days=32))
    open_demo(page, service)
    page.wait_for_function("() => window.demoAnalyticsRuns === 1")
    assert dialog(page).count() == 0
    page.clock.set_fixed_time(now + dt.timedelta(days=13 * 31 + 1))  # past 13 months
    open_demo(page, service)
    expect_visible(dialog(page))
    assert analytics_runs(page) == 0
    assert ga_cookies(context) == []  # what an expired acceptance left behind is removed


def test_a_new_policy_version_brings_the_banner_back(page, portal, service):
    site = service.new_site("versions", [portal.base])
    portal.settings["site"] = site
    page.goto(f"{portal.base}/")
    choose(page, "Tout accepter")
    page.goto(f"{portal.base}/next")
    page.wait_for_function("() => window.analyticsRuns === 1")
    assert dialog(page).count() == 0
    service.publish(site, accept_validity_months=6)
    page.goto(f"{portal.base}/next")
    expect_visible(dialog(page))
    assert analytics_runs(page, "analyticsRuns") == 0


def test_gpc_turns_nothing_on(browser, portal, service):
    site = service.new_site("gpc", [portal.base], implied_consent_on_continue=True)
    portal.settings["site"] = site
    context = browser.new_context(extra_http_headers={"Sec-GPC": "1"})
    context.add_init_script("Object.defineProperty(Navigator.prototype, 'globalPrivacyControl', {get: () => true})")
    page = context.new_page()
    try:
        page.goto(f"{portal.base}/")
        expect_visible(dialog(page))
        # even under a policy that treats browsing on as consent, browsing on turns nothing on
        page.get_by_role("link", name="En savoir plus").click()
        page.wait_for_url(f"{service.base}/sites/{site}/cookies")
        page.goto(f"{portal.base}/next")
        expect_visible(dialog(page))
        assert analytics_runs(page, "analyticsRuns") == 0
        assert [c for c in context.cookies() if c["name"].startswith("_ga")] == []
        assert service.records(site) == []
        state = page.evaluate(f"fetch('{service.base}/v1/sites/{site}/consent-state').then(r => r.json())")
        assert state["gpc"] is True and state["categories"]["analytics"] is False
        body = choose(page, "Tout refuser")
        assert service.records(site)[-1]["gpc"] is True and body["categories"]["analytics"] is False
    finally:
        context.close()


def test_learn_more_then_browsing_on_records_continue_only_when_the_policy_says_so(page, portal, service):
    implied = service.new_site("implied", [portal.base], implied_consent_on_continue=True)
    portal.settings["site"] = implied
    page.goto(f"{portal.base}/")
    page.get_by_role("link", name="En savoir plus").click()
    page.wait_for_url(f"{service.base}/sites/{implied}/cookies")
    with page.expect_response(lambda r: r.url.endswith("/consents")):
        page.goto(f"{portal.base}/next")
    page.wait_for_function("() => window.analyticsRuns === 1")
    assert [r["action"] for r in service.records(implied)] == ["continue"]

    strict = service.new_site("strict", [portal.base])
    portal.settings["site"] = strict
    page.goto(f"{portal.base}/")
    page.get_by_role("link", name="En savoir plus").click()
    page.wait_for_url(f"{service.base}/sites/{strict}/cookies")
    page.goto(f"{portal.base}/next")
    expect_visible(dialog(page))
    assert service.records(strict) == [] and analytics_runs(page, "analyticsRuns") == 0


def test_english_from_the_page_language(page, service):
    mark = Mark(service)
    open_demo(page, service, "?lang=en")
    expect_visible(dialog(page, DIALOG_EN))
    for name in ("Accept all", "Refuse all", "Customize"):
        expect_visible(button(page, name))
    assert page.get_by_role("link", name="Learn more").get_attribute("href").endswith("/cookies?lang=en")
    choose(page, "Refuse all")
    expect_visible(button(page, "Manage my cookies"))
    assert [r["locale"] for r in mark.new()] == ["en"]


def test_english_from_data_lang(page, portal):
    portal.settings.update(lang="fr", attrs='data-lang="en"')
    page.goto(f"{portal.base}/")
    expect_visible(dialog(page, DIALOG_EN))
    expect_visible(button(page, "Refuse all"))


def test_policy_texts_are_shown_as_text_never_as_html(page, portal, service):
    from cookies.texts import DEFAULT_TEXTS

    texts = {locale: dict(values) for locale, values in DEFAULT_TEXTS.items()}
    texts["fr"]["title"] = '<img src=x onerror="window.pwned=1">Titre'
    texts["fr"]["accept_all"] = "<b>Oui</b>"
    portal.settings["site"] = service.new_site("hostile", [portal.base], texts=texts)
    page.goto(f"{portal.base}/")
    expect_visible(page.get_by_role("dialog", name=texts["fr"]["title"]))
    expect_visible(button(page, "<b>Oui</b>"))
    assert page.evaluate("window.pwned") is None and page.locator("#cc-b img, #cc-b b:text('Oui')").count() == 0


def test_an_unknown_site_shows_nothing_and_turns_nothing_on(page, portal):
    portal.settings["site"] = "no-such-site"
    errors = []
    page.on("pageerror", lambda e: errors.append(e))
    warnings = []
    page.on("console", lambda m: warnings.append(m.text) if m.type == "warning" else None)
    page.goto(f"{portal.base}/")
    page.wait_for_timeout(500)
    assert any("consent banner" in w for w in warnings)
    assert page.locator("#cc-b, #cc-m").count() == 0 and analytics_runs(page, "analyticsRuns") == 0
    assert errors == []


# --- embedding from another origin or another site -------------------------------------------

SPY = """(() => {
  const d = Object.getOwnPropertyDescriptor(Document.prototype, 'cookie');
  window.scriptWrites = [];
  Object.defineProperty(document, 'cookie', {get() { return d.get.call(document); },
    set(v) { window.scriptWrites.push(v.split('=')[0]); d.set.call(document, v); }});
})()"""


def test_same_site_other_port_relies_on_the_servers_cookies(page, context, portal, service):
    context.add_init_script(SPY)
    page.goto(f"{portal.base}/")
    choose(page, "Tout accepter")
    page.wait_for_function("() => window.analyticsRuns === 1")
    assert "cookie_consent" not in page.evaluate("window.scriptWrites")  # Set-Cookie did it
    page.goto(f"{portal.base}/next")
    page.wait_for_function("() => window.analyticsRuns === 1")
    assert dialog(page).count() == 0


def test_same_site_subdomain_with_a_cookie_domain_gets_the_servers_cookies(page, context, portal, service):
    """consent.portal.test serves www.portal.test: Set-Cookie with Domain=portal.test does it all."""
    context.add_init_script(SPY)
    host = portal.cross_site
    site = service.new_site("subdomain", [host], cookie_domain="portal.test")
    portal.settings.update(site=site, service=f"http://consent.portal.test:{service.port}")
    page.goto(f"{host}/")
    choose(page, "Tout accepter")
    page.wait_for_function("() => window.analyticsRuns === 1")
    assert "cookie_consent" not in page.evaluate("window.scriptWrites")
    domains = {c["name"]: c["domain"] for c in context.cookies(host)}
    assert domains["cookie_consent"] == domains["r_ci"] == ".portal.test"
    page.goto(f"{host}/next")
    page.wait_for_function("() => window.analyticsRuns === 1")
    assert dialog(page).count() == 0
    page.evaluate("window.consentBanner.open()")
    assert choose(page, "Tout refuser")["action"] == "withdraw"
    assert ga_cookies(context) == []


def test_cross_site_embedding_writes_cookies_and_deletes_ga_on_host_and_domain(page, context, portal, service):
    context.add_init_script(SPY)
    mark = Mark(service)
    host = portal.cross_site
    page.goto(f"{host}/")
    expect_visible(dialog(page))
    choose(page, "Tout accepter")
    page.wait_for_function("() => window.analyticsRuns === 1")
    page.wait_for_function("() => window.externalAnalyticsRuns === 1")  # an external tag (src) runs too
    assert {"cookie_consent", "r_ci"} <= set(page.evaluate("window.scriptWrites"))
    names = {c["name"] for c in context.cookies(host)}
    assert {"cookie_consent", "r_ci", "_ga", "_ga_XYZ"} <= names
    page.goto(f"{host}/next")
    page.wait_for_function("() => window.analyticsRuns === 1")
    assert dialog(page).count() == 0
    # GA as configured with a cookie domain: the same names on the parent domain
    context.add_cookies([{"name": "_ga", "value": "GA1.2.1.1", "domain": ".portal.test", "path": "/"},
                         {"name": "_ga_OTHER", "value": "GS1", "domain": ".portal.test", "path": "/"}])
    assert len(ga_cookies(context)) == 4
    page.get_by_role("button", name="Gérer mes cookies").click()
    body = choose(page, "Tout refuser")
    assert body["action"] == "withdraw"
    assert ga_cookies(context) == []
    assert [r["action"] for r in mark.new()] == ["accept_all", "withdraw"]


def expect_visible(locator):
    locator.wait_for(state="visible")
    assert locator.is_visible()


# --- screenshots for the README ----------------------------------------------------------------


@pytest.mark.parametrize("name, viewport, scheme", [("desktop", (1280, 800), "light"), ("mobile", (375, 740), "light"),
                                                  ("dark", (1280, 800), "dark")])
def test_banner_screenshots(browser, service, tmp_path, name, viewport, scheme):
    """Regenerate docs/screenshots/ with: SCREENSHOT_DIR=docs/screenshots pytest tests/e2e -k screenshots"""
    import os
    from pathlib import Path

    folder = Path(os.environ.get("SCREENSHOT_DIR") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    width, height = viewport
    context = browser.new_context(viewport={"width": width, "height": height}, device_scale_factor=1,
                                  color_scheme=scheme)
    page = context.new_page()
    try:
        open_demo(page, service)
        expect_visible(dialog(page))
        page.screenshot(path=str(folder / f"banner-{name}.png"), animations="disabled")
        assert (folder / f"banner-{name}.png").stat().st_size > 5000
    finally:
        context.close()
