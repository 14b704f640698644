"""The demo's integration examples (docs/banner.md, « Intégrer la bannière »): one page per snippet,
showing the snippet and running it on the demo site, at /demo/integration/<example>."""
from __future__ import annotations

import secrets

from flask import Blueprint, Response, abort, current_app, render_template, url_for

from .demo import DEMO_SITE
from .pages import page_lang, with_csp

examples_blp = Blueprint("banner_examples", __name__, template_folder="templates")

PLAYER_CSP = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'self'"

# Each snippet is written once: shown as text (without nonces) and run on the page (with them).
# {base} is PUBLIC_BASE_URL, {site} the demo site, {nonce} the page's nonce attribute, {player} the
# demo's stand-in video player.
SNIPPETS = {
    "plain": """<script src="{base}/banner.js" data-site="{site}"{nonce} defer></script>
<script type="text/plain" data-consent-category="analytics"{nonce}>
  // Your analytics tag: it runs only once "analytics" is granted.
  document.getElementById("status").textContent = "Mesure d'audience : active / Audience measurement: on";
</script>""",
    "tag-manager": """<!-- First in <head>, before the tag manager: Consent Mode defaults from the visitor's cookies -->
<script src="{base}/sites/{site}/consent-defaults.js"></script>
<!-- Your Google Tag Manager snippet, unchanged. Here, a stand-in that shows what it saw: -->
<script{nonce}>
  window.tagSaw = dataLayer.filter(function (a) { return a[0] === "consent"; });
</script>
<script src="{base}/banner.js" data-site="{site}"{nonce} defer></script>""",
    "spa": """<script src="{base}/banner.js" data-site="{site}"{nonce} defer></script>
<script type="module"{nonce}>
  // A module (or a deferred bundle) placed after banner.js runs after it: consentBanner exists.
  consentBanner.ready.then((categories) => log("ready", categories));
  consentBanner.on("consent", ({ categories, first, changed }) => log("consent", { first, changed }));
  consentBanner.on("change", ({ categories, changed }) => log("change", { changed }));
  // After the router renders a view: run its held scripts, load or hold its iframes.
  document.getElementById("render").addEventListener("click", () => {
    const view = renderView();
    consentBanner.activate(view);
  });
</script>""",
    "video": """<iframe title="Visite virtuelle de la résidence" width="560" height="315"
        data-consent-category="analytics" data-consent-src="{player}"></iframe>""",
    "theme": """<style{nonce}>
  :root { --cb-bg: #fffaf0; --cb-text: #2b2118; --cb-primary: #8a3b12; --cb-button-text: #ffffff;
          --cb-border: #8a3b12; --cb-radius: 14px; --cb-font: Georgia, "Times New Roman", serif; }
  @media (prefers-color-scheme: dark) {
    :root { --cb-bg: #201a16; --cb-text: #f3e9df; --cb-primary: #f0a868; --cb-button-text: #201a16;
            --cb-border: #f0a868; }
  }
</style>
<script src="{base}/banner.js" data-site="{site}"{nonce} defer></script>""",
}
TITLES = {
    "plain": ("Une page simple", "A plain page"),
    "tag-manager": ("Tag Manager et Consent Mode", "Tag Manager and Consent Mode"),
    "spa": ("Une application monopage", "A single-page app"),
    "video": ("Une vidéo intégrée", "An embedded video"),
    "theme": ("Un thème", "A theme"),
}


def _render(snippet: str, nonce: str | None) -> str:
    """The snippet with this deployment's values; the nonce attribute only where it runs."""
    values = {"{base}": current_app.config["PUBLIC_BASE_URL"], "{site}": DEMO_SITE,
              "{player}": url_for("banner_examples.player"), "{nonce}": f' nonce="{nonce}"' if nonce else ""}
    for placeholder, value in values.items():
        snippet = snippet.replace(placeholder, value)
    return snippet


@examples_blp.get("/demo/integration/")
def index() -> Response:
    nonce = secrets.token_urlsafe(16)
    return with_csp(render_template("cookies/examples.html", lang=page_lang(), nonce=nonce, titles=TITLES,
                                     example=None), nonce)


@examples_blp.get("/demo/integration/<string:example>")
def example(example: str) -> Response:
    if example not in SNIPPETS:
        abort(404)
    nonce = secrets.token_urlsafe(16)
    html = render_template("cookies/examples.html", lang=page_lang(), nonce=nonce, titles=TITLES, example=example,
                           shown=_render(SNIPPETS[example], None), live=_render(SNIPPETS[example], nonce))
    return with_csp(html, nonce)


@examples_blp.get("/demo/integration/player")
def player() -> Response:
    """A stand-in for a video platform's player (the demo has no internet access)."""
    response = Response("<!doctype html><meta charset=utf-8><title>Lecteur</title>"
                        "<body style='margin:0;display:grid;place-items:center;height:100vh;background:#111;"
                        "color:#fff;font:16px system-ui'>▶ Visite virtuelle (lecteur de démonstration)</body>",
                        mimetype="text/html")
    response.headers["Content-Security-Policy"] = PLAYER_CSP
    response.headers["X-Frame-Options"] = "SAMEORIGIN"
    return response
