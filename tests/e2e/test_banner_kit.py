"""The banner as an integration kit, in Chromium, on a portal page served from another origin than the
service (docs/banner.md, "Intégrer la bannière"): events and ready, Consent Mode defaults before a tag,
dataLayer, held-back iframes, activate() for single-page apps, theming, dark mode, reduced motion."""
from __future__ import annotations

import copy
import datetime as dt
import hashlib

import pytest

from cookies.demo import DEMO_POLICY

from .server import GTAG_STUB
from .test_banner import STYLE, button, choose, contrast, dialog, expect_visible

pytestmark = pytest.mark.e2e

V2_DENIED = {"analytics_storage": "denied", "ad_storage": "denied", "ad_user_data": "denied",
             "ad_personalization": "denied"}

# Registered as a single-page app's bundle would be: a module script after banner.js (run after it).
LISTENERS = """<script type="module">
window.events = [];
window.domEvents = [];
const keep = (name) => (d) =>
  events.push({name, first: d.first, changed: d.changed, analytics: d.categories.analytics});
consentBanner.on("consent", keep("consent"));
consentBanner.on("change", keep("change"));
consentBanner.on("consent", () => { throw new Error("a broken listener"); });
consentBanner.on("consent", keep("after-broken"));
consentBanner.ready.then((c) => { window.readyWith = c; });
</script>
<script>addEventListener("consentbanner:consent", (e) => domEvents.push(["consent", e.detail.first]));
addEventListener("consentbanner:change", (e) => domEvents.push(["change", e.detail.changed]));
window.domEvents = [];</script>"""


# What the tags were told: gtag consent updates and dataLayer consent_update events, in order.
UPDATES = """dataLayer.filter(e => e && ((e[0] === 'consent' && e[1] === 'update') || e.event === 'consent_update'))
  .map(e => e.event || e[1])"""


def demo_categories():
    return copy.deepcopy(DEMO_POLICY["categories"])


def events(page):
    return [e for e in page.evaluate("window.events") if e["name"] != "after-broken"]


def wait_loaded(page):
    page.wait_for_function("() => window.consentBanner && document.getElementById('cc-m')")


def goto(page, url):
    page.goto(url)
    wait_loaded(page)


# --- events and ready ---------------------------------------------------------------------------


@pytest.mark.parametrize("where", ["base", "cross_site"])
def test_events_fire_once_per_cause_with_first_and_changed(page, portal, service, where):
    host = getattr(portal, where)  # another origin of the same site, or another site altogether
    portal.settings.update(site=service.new_site(f"events-{where.replace('_', '-')}", [host]), after=LISTENERS)
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    goto(page, f"{host}/")
    expect_visible(dialog(page))
    assert events(page) == [] and page.evaluate("window.readyWith") is None
    page.keyboard.press("Escape")  # closing records nothing: no event, nothing for the tags
    page.wait_for_timeout(200)
    assert events(page) == [] and page.evaluate("window.domEvents") == []
    assert page.evaluate(UPDATES) == []

    page.evaluate("consentBanner.open()")
    choose(page, "Tout accepter")
    page.wait_for_function("() => window.readyWith")
    assert events(page) == [{"name": "consent", "first": True, "changed": ["analytics"], "analytics": True},
                            {"name": "change", "first": True, "changed": ["analytics"], "analytics": True}]
    assert page.evaluate("window.readyWith") == {"functional": True, "analytics": True}
    # a failing listener neither stops the next one nor the banner; its error reaches the page
    assert [e["name"] for e in page.evaluate("window.events")].count("after-broken") == 1
    assert errors == ["a broken listener"]
    assert page.evaluate("window.domEvents") == [["consent", True], ["change", ["analytics"]]]

    page.reload()  # a reload is a page load with a choice: one consent, nothing changed
    wait_loaded(page)
    page.wait_for_function("() => window.readyWith")
    assert events(page) == [{"name": "consent", "first": False, "changed": [], "analytics": True}]
    assert page.evaluate("window.readyWith")["analytics"] is True
    page.wait_for_timeout(200)  # nothing more comes
    assert len(events(page)) == 1 and page.evaluate("window.domEvents") == [["consent", False]]
    assert page.evaluate(UPDATES) == ["update", "consent_update"]

    page.evaluate("consentBanner.open()")  # the same choice again: consent, no change
    choose(page, "Tout accepter")
    page.evaluate("consentBanner.open()")
    choose(page, "Tout refuser")  # a withdrawal changes analytics
    assert events(page)[1:] == [
        {"name": "consent", "first": False, "changed": [], "analytics": True},
        {"name": "consent", "first": False, "changed": ["analytics"], "analytics": False},
        {"name": "change", "first": False, "changed": ["analytics"], "analytics": False}]


def test_a_first_refusal_is_a_first_consent_event_and_no_change(page, portal, service):
    portal.settings.update(site=service.new_site("first-refusal", [portal.base]), after=LISTENERS)
    goto(page, f"{portal.base}/")
    choose(page, "Tout refuser")
    page.wait_for_function("() => window.readyWith")
    assert events(page) == [{"name": "consent", "first": True, "changed": [], "analytics": False}]


def test_off_removes_a_listener(page, portal, service):
    portal.settings.update(site=service.new_site("off", [portal.base]), after=LISTENERS)
    goto(page, f"{portal.base}/")
    page.evaluate("""() => { window.offCalls = 0; const f = () => window.offCalls++;
        consentBanner.on("consent", f); consentBanner.off("consent", f); consentBanner.off("nothing", f); }""")
    choose(page, "Tout accepter")
    page.wait_for_function("() => window.readyWith")
    assert page.evaluate("window.offCalls") == 0 and len(events(page)) == 2


def test_get_is_empty_until_the_policy_then_every_category(page, portal, service):
    portal.settings.update(site=service.new_site("get", [portal.base]),
                           head=GTAG_STUB + "<script>document.addEventListener('DOMContentLoaded', "
                                            "() => { window.early = JSON.stringify(consentBanner.get()); });</script>")
    goto(page, f"{portal.base}/")
    assert page.evaluate("window.early") == "{}"
    assert page.evaluate("consentBanner.get()") == {"functional": True, "analytics": False}
    # ready stays pending while nobody has chosen
    assert page.evaluate("Promise.race([consentBanner.ready, new Promise(r => setTimeout(() => r('pending'), 300))])") \
        == "pending"


# --- Tag Manager and Consent Mode ------------------------------------------------------------------

# A stand-in tag manager: what Consent Mode state it found when it ran.
TAG = """window.tagSaw = (window.dataLayer || []).filter(a => a[0] === 'consent')
  .map(a => [a[1], Object.assign({}, a[2])]);"""


def defaults_page(portal, service, site, extra=""):
    portal.files["/gtm.js"] = (TAG, "text/javascript")
    defaults = f'<script src="{service.base}/sites/{site}/consent-defaults.js"></script>'
    portal.settings.update(site=site, head=f'{defaults}<script src="/gtm.js"></script>{extra}')


def consent_calls(page):
    return page.evaluate("dataLayer.filter(a => a[0] === 'consent').map(a => [a[1], Object.assign({}, a[2])])")


@pytest.mark.parametrize("where", ["base", "cross_site"])
def test_consent_defaults_are_set_before_the_tag_on_first_and_returning_visits(page, portal, service, where):
    host = getattr(portal, where)
    site = service.new_site(f"defaults-{where.replace('_', '-')}", [host])
    defaults_page(portal, service, site)
    goto(page, f"{host}/")
    assert page.evaluate("window.tagSaw") == [["default", {**V2_DENIED, "wait_for_update": 500}]]
    choose(page, "Tout accepter")
    # banner.js sent no default of its own, and an update after the choice
    assert [c[0] for c in consent_calls(page)] == ["default", "update"]
    assert consent_calls(page)[1][1] == {**V2_DENIED, "analytics_storage": "granted"}

    goto(page, f"{host}/next")  # returning: granted before any tag runs
    assert page.evaluate("window.tagSaw") == [["default", {**V2_DENIED, "analytics_storage": "granted",
                                                           "wait_for_update": 500}]]
    page.evaluate("consentBanner.open()")
    choose(page, "Tout refuser")
    assert consent_calls(page)[-1] == ["update", V2_DENIED]
    goto(page, f"{host}/again")
    assert page.evaluate("window.tagSaw") == [["default", {**V2_DENIED, "wait_for_update": 500}]]


def test_consent_defaults_follow_the_policys_mapping(page, portal, service):
    categories = demo_categories()
    categories.append({"key": "ads", "required": False, "label": {"fr": "Publicité", "en": "Advertising"},
                       "description": {"fr": "Publicité ciblée.", "en": "Targeted ads."},
                       "consent_mode": ["ad_storage", "ad_user_data"]})
    categories[0]["consent_mode"] = ["security_storage"]
    site = service.new_site("mapping", [portal.base], categories=categories)
    defaults_page(portal, service, site)
    goto(page, f"{portal.base}/")
    assert page.evaluate("window.tagSaw") == [["default", {**V2_DENIED, "security_storage": "granted",
                                                           "wait_for_update": 500}]]
    button(page, "Personnaliser").click()
    page.get_by_role("switch", name="Publicité").check()
    choose(page, "Enregistrer mes choix")
    assert consent_calls(page)[-1] == ["update", {**V2_DENIED, "security_storage": "granted", "ad_storage": "granted",
                                                  "ad_user_data": "granted"}]
    goto(page, f"{portal.base}/next")
    assert page.evaluate("window.tagSaw")[0][1]["ad_storage"] == "granted"


def test_a_choice_that_no_longer_holds_grants_nothing_before_the_tag(page, context, portal, service):
    site = service.new_site("defaults-stale", [portal.base])
    defaults_page(portal, service, site)
    goto(page, f"{portal.base}/")
    choose(page, "Tout accepter")
    # an altered token, then a token for another site: both count as no choice
    cookie = next(c for c in context.cookies() if c["name"] == "cookie_consent")
    for value in ("x" + cookie["value"][1:], "e30." + cookie["value"].split(".", 1)[1]):
        context.add_cookies([{**cookie, "value": value}])
        goto(page, f"{portal.base}/next")
        assert page.evaluate("window.tagSaw")[0][1]["analytics_storage"] == "denied"
        expect_visible(dialog(page))
    context.add_cookies([cookie])
    goto(page, f"{portal.base}/next")
    assert page.evaluate("window.tagSaw")[0][1]["analytics_storage"] == "granted"
    # a new policy version: the cached defaults may still grant, banner.js denies at once
    service.publish(site, accept_validity_months=6)
    goto(page, f"{portal.base}/later")
    expect_visible(dialog(page))
    assert consent_calls(page)[-1] == ["update", V2_DENIED]


def test_an_acceptance_past_its_validity_grants_nothing_before_the_tag(page, portal, service):
    site = service.new_site("defaults-due", [portal.base])
    defaults_page(portal, service, site)
    now = dt.datetime.now(dt.UTC)
    goto(page, f"{portal.base}/")
    choose(page, "Tout accepter")
    page.clock.set_fixed_time(now + dt.timedelta(days=365))  # within the 13 months
    goto(page, f"{portal.base}/next")
    assert page.evaluate("window.tagSaw")[0][1]["analytics_storage"] == "granted"
    page.clock.set_fixed_time(now + dt.timedelta(days=13 * 31 + 1))  # past them: the cookies are still there
    goto(page, f"{portal.base}/later")
    assert page.evaluate("window.tagSaw") == [["default", {**V2_DENIED, "wait_for_update": 500}]]
    expect_visible(dialog(page))


def test_data_layer_gets_a_consent_update_event_per_choice_and_per_page_with_a_choice(page, portal, service):
    portal.settings["site"] = service.new_site("datalayer", [portal.base])
    goto(page, f"{portal.base}/")
    pushes = "dataLayer.filter(e => e && e.event === 'consent_update').map(e => e.consent)"
    assert page.evaluate(pushes) == []
    choose(page, "Tout accepter")
    assert page.evaluate(pushes) == [{"functional": True, "analytics": True}]
    goto(page, f"{portal.base}/next")
    assert page.evaluate(pushes) == [{"functional": True, "analytics": True}]


def test_a_page_without_data_layer_or_gtag_works_and_gets_none(page, portal, service):
    portal.settings.update(site=service.new_site("no-datalayer", [portal.base]), head="")
    errors = []
    page.on("pageerror", lambda e: errors.append(e))
    goto(page, f"{portal.base}/")
    choose(page, "Tout accepter")
    page.wait_for_function("() => window.analyticsRuns === 1")
    assert page.evaluate("typeof window.dataLayer") == "undefined" and errors == []


# --- held-back iframes -------------------------------------------------------------------------------

VIDEO = "<!doctype html><title>Vidéo</title><p>La visite virtuelle de la résidence</p>"
MEDIA = {"key": "media", "required": False, "label": {"fr": "Vidéos YouTube", "en": "YouTube videos"},
         "description": {"fr": "Lecteur vidéo intégré.", "en": "Embedded video player."}}
IFRAME = ('<iframe title="Visite virtuelle" width="400" height="225" data-consent-category="media" '
          'data-consent-src="{src}"></iframe>')


def media_site(portal, service, key, **attrs):
    portal.files["/video"] = (VIDEO, "text/html")
    site = service.new_site(key, [portal.base], categories=[*demo_categories(), MEDIA])
    portal.settings.update(site=site, body=IFRAME.format(src=f"{portal.cross_site}/video"), **attrs)
    return site


def video_hits(portal, since=0):
    return [h for h in portal.holder.hits[since:] if h[0] == "/video"]


def frame_url(page):
    return page.locator("iframe").element_handle().content_frame().url


def wait_frame(page, suffix):
    """Waits until the (cross-site) iframe's document is at an address ending with ``suffix``."""
    for _ in range(50):
        if frame_url(page).endswith(suffix):
            return
        page.wait_for_timeout(100)
    raise AssertionError(f"the iframe is at {frame_url(page)}")


def test_an_iframe_waits_behind_a_placeholder_then_loads_once_granted_and_unloads_on_withdrawal(page, portal, service):
    site = media_site(portal, service, "iframes")
    mark = len(portal.holder.hits)
    goto(page, f"{portal.base}/")
    page.keyboard.press("Escape")
    holder = page.get_by_role("group", name="Visite virtuelle")
    expect_visible(holder)
    assert "Vidéos YouTube" in holder.inner_text()
    assert page.locator("iframe").is_hidden() and frame_url(page) == "about:blank"
    box = holder.bounding_box()
    assert (round(box["width"]), round(box["height"])) == (404, 229)  # the iframe's size, its border included
    page.wait_for_timeout(200)
    assert video_hits(portal, mark) == []

    allow = holder.get_by_role("button", name="Autoriser et afficher")
    allow.focus()
    with page.expect_response(lambda r: r.url.endswith("/consents")) as answer:
        page.keyboard.press("Enter")
    assert answer.value.json()["categories"] == {"functional": True, "analytics": False, "media": True}
    assert [r["action"] for r in service.records(site)] == ["custom"]
    wait_frame(page, "/video")
    expect_visible(page.locator("iframe"))
    assert page.locator(".cc-f").count() == 0
    assert page.evaluate("document.activeElement.tagName") == "IFRAME"  # focus follows the content
    assert len(video_hits(portal, mark)) == 1

    goto(page, f"{portal.base}/next")  # granted from the cookies: no placeholder at all
    wait_frame(page, "/video")
    assert page.locator(".cc-f").count() == 0
    page.evaluate("consentBanner.open()")
    assert choose(page, "Tout refuser")["action"] == "withdraw"
    expect_visible(page.get_by_role("group", name="Visite virtuelle"))
    assert page.locator("iframe").is_hidden()
    wait_frame(page, "about:blank")


def test_the_placeholder_speaks_english_on_an_english_page(page, portal, service):
    media_site(portal, service, "iframes-en", lang="en")
    goto(page, f"{portal.base}/")
    page.keyboard.press("Escape")
    holder = page.get_by_role("group", name="Visite virtuelle")
    expect_visible(holder.get_by_role("button", name="Allow and show"))
    assert "YouTube videos" in holder.inner_text()


def test_an_iframe_of_an_unknown_category_never_loads(page, portal, service):
    media_site(portal, service, "iframes-unknown")
    portal.settings["body"] = IFRAME.format(src=f"{portal.cross_site}/video").replace('"media"', '"nope"')
    mark = len(portal.holder.hits)
    goto(page, f"{portal.base}/")
    choose(page, "Tout accepter")
    page.wait_for_timeout(300)
    assert video_hits(portal, mark) == [] and page.locator(".cc-f").count() == 0


# --- single-page apps: activate(root) ----------------------------------------------------------------

LATE = """(html) => { const view = document.createElement('section'); view.id = 'view'; view.innerHTML = html;
  document.body.appendChild(view); return view; }"""
LATE_HTML = ('<script type="text/plain" data-consent-category="analytics">window.lateRuns = (window.lateRuns || 0) + 1;'
             '</script>' + IFRAME)


def test_activate_runs_and_loads_content_inserted_later(page, portal, service):
    media_site(portal, service, "spa")
    portal.settings["body"] = ""
    goto(page, f"{portal.base}/")
    choose(page, "Tout accepter")
    page.evaluate(LATE, LATE_HTML.format(src=f"{portal.cross_site}/video"))
    page.wait_for_timeout(200)
    assert page.evaluate("window.lateRuns") is None  # inserted, not yet activated
    page.evaluate("consentBanner.activate(document.getElementById('view'))")
    wait_frame(page, "/video")
    assert page.evaluate("window.lateRuns") == 1
    page.evaluate("consentBanner.activate()")  # again, on the whole page: nothing runs twice
    assert page.evaluate("window.lateRuns") == 1 and page.evaluate("window.analyticsRuns") == 1


def test_activate_before_a_choice_places_a_placeholder_and_runs_nothing(page, portal, service):
    media_site(portal, service, "spa-before")
    portal.settings["body"] = ""
    goto(page, f"{portal.base}/")
    page.keyboard.press("Escape")
    view = page.evaluate_handle(LATE, LATE_HTML.format(src=f"{portal.cross_site}/video"))
    page.evaluate("v => consentBanner.activate(v)", view)
    expect_visible(page.get_by_role("group", name="Visite virtuelle"))
    assert page.evaluate("window.lateRuns") is None and page.locator("iframe").is_hidden()


# --- theming, dark mode, reduced motion -------------------------------------------------------------

THEME = """<style>:root { --cb-bg: #fdf6e3; --cb-text: #222222; --cb-primary: #6a1b9a; --cb-button-text: #ffffff;
  --cb-border: #6a1b9a; --cb-radius: 0px; --cb-font: Georgia, serif; }</style>"""


def test_a_theme_applies_and_keeps_the_two_main_buttons_equal(page, portal, service):
    portal.settings.update(site=service.new_site("theme", [portal.base]), head=GTAG_STUB + THEME)
    goto(page, f"{portal.base}/")
    expect_visible(dialog(page))
    box = page.locator("#cc-b").evaluate(
        "e => { const s = getComputedStyle(e); return [s.backgroundColor, s.color, s.borderTopColor, "
        "s.borderTopLeftRadius, s.fontFamily]; }")
    assert box == ["rgb(253, 246, 227)", "rgb(34, 34, 34)", "rgb(106, 27, 154)", "0px", "Georgia, serif"]
    accept, refuse = button(page, "Tout accepter").evaluate(STYLE), button(page, "Tout refuser").evaluate(STYLE)
    assert accept == refuse
    assert accept["background"] == "rgb(106, 27, 154)" and accept["color"] == "rgb(255, 255, 255)"
    assert contrast(accept["color"], accept["background"]) >= 4.5
    launcher = page.locator("#cc-m").evaluate("e => getComputedStyle(e).fontFamily")
    assert launcher == "Georgia, serif"


def test_dark_mode_by_default_with_aa_contrast_and_equal_buttons(browser, portal, service):
    portal.settings["site"] = service.new_site("dark", [portal.base])
    context = browser.new_context(color_scheme="dark")
    page = context.new_page()
    try:
        goto(page, f"{portal.base}/")
        expect_visible(dialog(page))
        background = page.locator("#cc-b").evaluate("e => getComputedStyle(e).backgroundColor")
        assert contrast(background, "rgb(0, 0, 0)") < 1.5  # dark
        accept, refuse = button(page, "Tout accepter").evaluate(STYLE), button(page, "Tout refuser").evaluate(STYLE)
        assert accept == refuse
        for locator in (page.locator("#cc-t"), page.locator("#cc-d"), page.get_by_role("link", name="En savoir plus"),
                        button(page, "Personnaliser")):
            assert contrast(locator.evaluate(STYLE)["color"], background) >= 4.5, locator
        assert contrast(accept["color"], accept["background"]) >= 4.5
    finally:
        context.close()


def test_a_theme_wins_over_dark_mode(browser, portal, service):
    portal.settings.update(site=service.new_site("dark-theme", [portal.base]), head=GTAG_STUB + THEME)
    context = browser.new_context(color_scheme="dark")
    page = context.new_page()
    try:
        goto(page, f"{portal.base}/")
        assert page.locator("#cc-b").evaluate("e => getComputedStyle(e).backgroundColor") == "rgb(253, 246, 227)"
    finally:
        context.close()


@pytest.mark.parametrize("motion, animation", [("no-preference", "cc-in"), ("reduce", "none")])
def test_the_banner_slides_in_unless_reduced_motion_is_asked(browser, portal, service, motion, animation):
    portal.settings["site"] = service.new_site(f"motion-{motion}", [portal.base])
    context = browser.new_context(reduced_motion=motion)
    page = context.new_page()
    try:
        goto(page, f"{portal.base}/")
        expect_visible(dialog(page))
        assert page.locator("#cc-b").evaluate("e => getComputedStyle(e).animationName") == animation
    finally:
        context.close()


# --- the bytes on the wire --------------------------------------------------------------------------


def test_the_browser_receives_banner_js_gzip_encoded_under_5_kb(page, portal, service):
    portal.settings["site"] = service.new_site("wire", [portal.base])
    with page.expect_response(lambda r: r.url.endswith("/banner.js")) as answer:
        page.goto(f"{portal.base}/")
    wait_loaded(page)
    response = answer.value
    assert response.header_value("content-encoding") == "gzip"
    assert b"consentBanner" in response.body()  # decoded by the browser
    assert 0 < response.request.sizes()["responseBodySize"] < 5 * 1024


# --- an origin the site does not allow ------------------------------------------------------------


def test_a_disallowed_origin_gets_one_console_error_saying_how_to_allow_it(page, portal, service):
    site = service.new_site("elsewhere", ["https://www.example.fr"])
    portal.settings["site"] = site
    messages, errors = [], []
    page.on("console", lambda m: messages.append((m.type, m.text)))
    page.on("pageerror", lambda e: errors.append(e))
    page.goto(f"{portal.base}/")
    page.wait_for_timeout(600)
    mine = [(kind, text) for kind, text in messages if "consent banner" in text or "CORS" in text]
    assert len(mine) == 1, messages
    kind, text = mine[0]
    assert kind == "error" and portal.base in text
    assert f"flask sites origins {site} --add {portal.base}" in text and f"/v1/sites/{site}" in text
    assert page.locator("#cc-b, #cc-m").count() == 0 and page.evaluate("window.analyticsRuns") is None
    assert errors == []


# --- the demo's integration examples ---------------------------------------------------------------


@pytest.mark.parametrize("example", ["plain", "tag-manager", "spa", "video", "theme"])
def test_each_integration_example_runs_without_errors_or_csp_violations(page, service, example):
    problems = []
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.on("console", lambda m: problems.append(m.text)
            if m.type == "error" and not m.location["url"].endswith("/favicon.ico") else None)
    page.on("response", lambda r: problems.append(r.url) if r.status >= 400 else None)
    page.goto(f"{service.base}/demo/integration/{example}")
    wait_loaded(page)
    expect_visible(dialog(page))
    snippet = page.locator("pre code").inner_text()
    assert "nonce" not in snippet and service.base in snippet or example == "video"
    choose(page, "Tout accepter")
    if example == "plain":
        page.wait_for_function("() => document.getElementById('status').textContent.includes('active')")
    elif example == "tag-manager":
        page.wait_for_function("() => document.getElementById('saw').textContent.includes('consent_update')")
        assert '"wait_for_update": 500' in page.locator("#saw").inner_text()
    elif example == "spa":
        page.get_by_role("button", name="Afficher une autre vue").click()
        page.wait_for_function("() => document.querySelector('section h3').textContent.includes('analytics on')")
        assert "change" in page.locator("#log").inner_text()
    elif example == "video":
        page.wait_for_function("() => document.querySelector('iframe').contentDocument.title === 'Lecteur'")
    assert problems == []


def test_the_integration_examples_are_listed_in_both_languages(page, service):
    page.goto(f"{service.base}/demo/integration/?lang=en")
    page.get_by_role("link", name="A single-page app").click()
    expect_visible(page.get_by_role("heading", name="Embedding the banner : A single-page app"))


def test_each_decision_names_the_bundle_the_page_was_served(page, portal, service):
    portal.settings["site"] = service.new_site("bundle", [portal.base])
    goto(page, f"{portal.base}/")
    served = page.request.get(f"{service.base}/banner.js").body()
    with page.expect_request(lambda r: r.url.endswith("/consents") and r.method == "POST") as sent:
        choose(page, "Tout refuser")
    banner = sent.value.post_data_json["banner"]
    assert len(banner) == 16 and banner.encode() in served
    proof = page.request.get(f"{service.base}/v1/consents/{service.records('bundle')[-1]['id']}",
                             headers={"Cookie": "; ".join(f"{c['name']}={c['value']}"
                                                          for c in page.context.cookies(service.base))})
    assert proof.json()["banner_hash"] == hashlib.sha256(served).hexdigest()
