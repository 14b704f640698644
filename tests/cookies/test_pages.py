"""The banner script, the cookie policy page and the demo page, through Flask's test client."""
import copy
import gzip
import re
from html import unescape

import pytest

from cookies.demo import DEMO_POLICY
from cookies.pages import minify

from .helpers import make_site, publish

DPO = "dpo@bailleur.example.fr"
HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)>'


@pytest.fixture
def admin(api_key):
    return api_key("sites:admin")


@pytest.fixture(autouse=True)
def dpo_email(app):
    app.config["DPO_EMAIL"] = DPO


@pytest.fixture
def site(client, admin):
    return make_site(client, admin)


def cookie_names(html: str) -> list[str]:
    return [unescape(n) for n in re.findall(r'<code class="cookie-name">(.*?)</code>', html)]


# --- /banner.js -----------------------------------------------------------------------------


def test_banner_js_is_javascript_under_5_kb_gzip(client):
    response = client.get("/banner.js")
    assert response.status_code == 200
    assert response.mimetype == "text/javascript"
    size = len(gzip.compress(response.data, 9))
    assert size < 5 * 1024, f"banner.js is {size} bytes gzip"


def test_banner_js_is_cacheable_and_revalidates_with_its_etag(client):
    first = client.get("/banner.js")
    assert "max-age=" in first.headers["Cache-Control"] and "public" in first.headers["Cache-Control"]
    etag = first.headers["ETag"]
    again = client.get("/banner.js", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""
    assert client.get("/banner.js", headers={"If-None-Match": '"other"'}).status_code == 200


def test_banner_js_styles_are_inlined_and_no_dependency_is_loaded(client):
    body = client.get("/banner.js").get_data(as_text=True)
    assert "#cc-b{" in body  # the CSS travels inside the script
    assert "import " not in body and "require(" not in body
    assert "innerHTML" not in body  # policy texts go through textContent only


def test_minify_keeps_code_and_line_breaks_and_drops_comments_and_indentation():
    source = "// header\n(function () {\n    var a = 'x // not a comment';\n\n    // why\n    return a\n})();\n"
    assert minify(source) == "(function () {\nvar a = 'x // not a comment';\nreturn a\n})();\n"


def test_served_banner_is_the_built_bundle_stamped_with_its_id(client):
    from cookies.pages import BANNER_SOURCE
    from proofs import bundles

    served = client.get("/banner.js").data
    assert served == bundles.stamp(BANNER_SOURCE.read_text(encoding="utf-8")).body
    assert b"__BANNER_BUNDLE__" in BANNER_SOURCE.read_bytes() and b"__BANNER_BUNDLE__" not in served


# --- the cookie policy page -----------------------------------------------------------------


def test_policy_page_lists_exactly_the_policys_cookies_in_french(client, site):
    response = client.get(f"/sites/{site}/cookies")
    assert response.status_code == 200 and response.mimetype == "text/html"
    html = response.get_data(as_text=True)
    assert '<html lang="fr">' in html
    assert cookie_names(html) == [c["name"] for c in DEMO_POLICY["cookies"]]
    for cookie in DEMO_POLICY["cookies"]:
        assert unescape(cookie["description"]["fr"]) in unescape(html)
        assert cookie["lifetime"] in unescape(html)


def test_policy_page_in_english(client, site):
    html = unescape(client.get(f"/sites/{site}/cookies?lang=en").get_data(as_text=True))
    assert '<html lang="en">' in html and "Cookie policy" in html
    assert cookie_names(html) == [c["name"] for c in DEMO_POLICY["cookies"]]
    for cookie in DEMO_POLICY["cookies"]:
        assert cookie["description"]["en"] in html
        assert cookie["description"]["fr"] not in html
    assert 'data-lang="en"' in html


def test_policy_page_states_the_real_durations_and_the_dpo_address(client, site, admin):
    publish(client, admin, site, accept_validity_months=6, refuse_validity_months=5)
    html = unescape(client.get(f"/sites/{site}/cookies").get_data(as_text=True))
    assert "conservé 6 mois ;" in html and "conservé 5 mois." in html
    assert "Version 2" in html
    assert f'href="mailto:{DPO}"' in html
    english = unescape(client.get(f"/sites/{site}/cookies?lang=en").get_data(as_text=True))
    assert "kept 6 months" in english and "kept 5 months" in english
    publish(client, admin, site, accept_validity_months=1, refuse_validity_months=1)
    english = unescape(client.get(f"/sites/{site}/cookies?lang=en").get_data(as_text=True))
    assert "kept 1 month;" in english and "kept 1 month." in english


def test_policy_page_follows_the_current_version(client, site, admin):
    policy = copy.deepcopy(DEMO_POLICY)
    policy["cookies"] = [c for c in policy["cookies"] if not c["name"].startswith("_ga_")]
    policy["cookies"].append({"name": "_pk_id*", "category": "analytics", "type": "Analyse", "purpose": "Matomo",
                              "lifetime": "6 mois", "description": {"fr": "Matomo.", "en": "Matomo."}})
    publish(client, admin, site, policy)
    html = client.get(f"/sites/{site}/cookies").get_data(as_text=True)
    assert cookie_names(html) == [c["name"] for c in policy["cookies"]]
    assert "_ga_*" not in html


def test_policy_page_mentions_implied_consent_only_when_the_policy_has_it(client, site, admin):
    assert 'class="implied"' not in client.get(f"/sites/{site}/cookies").get_data(as_text=True)
    publish(client, admin, site, implied_consent_on_continue=True)
    assert 'class="implied"' in client.get(f"/sites/{site}/cookies").get_data(as_text=True)


def test_policy_page_escapes_hostile_policy_texts(client, admin):
    policy = copy.deepcopy(DEMO_POLICY)
    policy["categories"][1]["label"]["fr"] = HOSTILE
    policy["categories"][1]["description"]["fr"] = HOSTILE
    policy["cookies"][4].update(description={"fr": HOSTILE, "en": HOSTILE}, type=HOSTILE, purpose=HOSTILE,
                                lifetime=HOSTILE[:100])
    texts = copy.deepcopy(policy["texts"])
    texts["fr"]["manage"] = "<b>gérer</b>"
    policy["texts"] = texts
    site = make_site(client, admin, policy=policy)
    html = client.get(f"/sites/{site}/cookies").get_data(as_text=True)
    assert "<script>alert" not in html and "<img src=x" not in html and "<b>gérer</b>" not in html
    assert "&lt;script&gt;alert(" in html and "&lt;b&gt;gérer&lt;/b&gt;" in html


def test_policy_page_offers_the_change_and_withdraw_controls(client, site):
    html = client.get(f"/sites/{site}/cookies").get_data(as_text=True)
    assert "data-consent-open" in html and "data-consent-withdraw" in html
    assert re.search(r'<script src="/banner.js" data-site="espace-locataire"[^>]*data-open="manual"', html)


def test_policy_page_csp_nonce_matches_its_banner_script(client, site):
    response = client.get(f"/sites/{site}/cookies")
    nonce = re.search(r"'nonce-([^']+)'", response.headers["Content-Security-Policy"]).group(1)
    assert f'nonce="{nonce}"' in response.get_data(as_text=True)
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert nonce != re.search(r"'nonce-([^']+)'", client.get(f"/sites/{site}/cookies").headers[
        "Content-Security-Policy"]).group(1)


def test_policy_page_of_an_unknown_site_is_an_html_404(client, site):
    response = client.get("/sites/nowhere/cookies", headers={"Accept": "text/html"})
    assert response.status_code == 404 and response.mimetype == "text/html"


def test_policy_page_of_a_site_without_policy_is_404(client, admin):
    make_site(client, admin, key="empty", policy=False)
    assert client.get("/sites/empty/cookies").status_code == 404


# --- the demo page ----------------------------------------------------------------------------


def test_demo_page_embeds_the_banner_and_a_blocked_analytics_script(client, site):
    response = client.get("/demo")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert re.search(r'<script src="/banner.js" data-site="espace-locataire"', html)
    assert '<script type="text/plain" data-consent-category="analytics"' in html
    assert "_ga=" in html
    nonce = re.search(r"'nonce-([^']+)'", response.headers["Content-Security-Policy"]).group(1)
    assert html.count(f'nonce="{nonce}"') >= 3  # gtag stub, banner, analytics


def test_demo_page_without_banner_is_the_baseline(client, site):
    html = client.get("/demo?banner=0&page=2&lang=en").get_data(as_text=True)
    assert '<script src="/banner.js"' not in html
    assert '<html lang="en">' in html and 'aria-current="page">Page 2' in html


@pytest.mark.parametrize("page", ["abc", "-1", "99999999999999", "<x>"])
def test_demo_page_ignores_a_bad_page_number(client, site, page):
    assert client.get("/demo", query_string={"page": page}).status_code == 200
