"""HTML pages outside /v1: the embeddable banner script, the cookie policy page, the demo portal."""
from __future__ import annotations

import functools
import gzip
import json
import secrets
from pathlib import Path

from flask import Blueprint, Response, abort, current_app, render_template, request

from proofs import bundles

from . import policies, services
from .demo import DEMO_SITE

pages_blp = Blueprint("cookie_pages", __name__, template_folder="templates")

# Generated from static/banner.js by `npm run banner` (terser); a test keeps the two in step.
BANNER_SOURCE = Path(__file__).resolve().parent / "static" / "banner.min.js"
BANNER_MAX_AGE = 3600
PAGE_CSP = ("default-src 'self'; script-src 'self' 'nonce-{nonce}'; style-src 'self' 'nonce-{nonce}'; "
            "img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
            "frame-ancestors 'none'")

# Prose of the policy page; every figure, name and address in it comes from the policy or the config.
PAGE_TEXT = {
    "fr": {
        "title": "Politique de cookies", "version": "Version {version} publiée le {date}.",
        "what_h": "Qu'est-ce qu'un cookie ?",
        "what": ("Un cookie est un petit fichier texte déposé sur votre terminal (ordinateur, mobile, tablette) "
                 "par le site que vous visitez. Il permet au site de reconnaître votre navigateur pendant la "
                 "durée de validité du cookie."),
        "uses_h": "À quoi servent les cookies de ce site ?",
        "required": "Toujours actifs", "optional": "Soumis à votre accord",
        "table_h": "Les cookies utilisés",
        "cols": ("Nom", "Description", "Type", "Finalité", "Durée de vie"),
        "months": ("{n} mois", "{n} mois"),
        "prefix": "(tous les cookies dont le nom commence par « {stem} »)",
        "banner_h": "Votre choix et sa durée",
        "banner_accept": ("Lors de votre première visite, un bandeau vous permet de tout accepter, de tout refuser "
                          "ou de choisir catégorie par catégorie. Aucun cookie soumis à votre accord n'est déposé "
                          "avant votre choix. Si vous acceptez au moins une catégorie, votre choix est conservé "
                          "{accept} ; si vous refusez, il est conservé {refuse}. Le bandeau s'affiche "
                          "de nouveau à l'échéance, ou dès que cette politique change."),
        "implied": ("Si vous consultez cette page puis poursuivez votre navigation sans faire de choix, vous êtes "
                    "considéré(e) comme ayant accepté les cookies (sauf si votre navigateur envoie le signal "
                    "Global Privacy Control)."),
        "change_h": "Modifier ou retirer votre choix",
        "change": ("Vous pouvez changer d'avis à tout moment avec le bouton « {manage} » présent sur chaque page, "
                   "ou ci-dessous. Retirer votre consentement supprime les cookies concernés."),
        "withdraw": "Retirer mon consentement", "withdrawing": "Retrait de votre consentement en cours…",
        "withdrawn": "C'est fait : votre consentement est retiré et les cookies concernés sont supprimés de ce "
                     "navigateur.",
        "withdraw_failed": "Le retrait n'a pas pu être enregistré. Vérifiez votre connexion et réessayez.",
        "browser_h": "Contrôler les cookies dans votre navigateur",
        "browser": ("Votre navigateur permet aussi de consulter, bloquer ou supprimer les cookies, dans ses "
                    "réglages de confidentialité (rubrique « Cookies et données des sites »). Bloquer tous "
                    "les cookies peut empêcher le fonctionnement du service, qui a besoin des cookies de "
                    "fonctionnement listés ci-dessus."),
        "dpo_h": "Nous contacter",
        "dpo": "Pour toute question sur les cookies ou vos données personnelles, écrivez à notre délégué à la "
               "protection des données :",
        "rights": "Exercer vos droits sur vos données (accès, rectification, effacement…) : formulaire en ligne",
        "other": "English version",
    },
    "en": {
        "title": "Cookie policy", "version": "Version {version} published on {date}.",
        "what_h": "What is a cookie?",
        "what": ("A cookie is a small text file that the site you visit stores on your device (computer, phone, "
                 "tablet). It lets the site recognise your browser for as long as the cookie lasts."),
        "uses_h": "What are this site's cookies for?",
        "required": "Always on", "optional": "Only with your consent",
        "table_h": "The cookies we use",
        "cols": ("Name", "Description", "Type", "Purpose", "Lifetime"),
        "months": ("{n} month", "{n} months"),
        "prefix": "(every cookie whose name starts with “{stem}”)",
        "banner_h": "Your choice and how long it lasts",
        "banner_accept": ("On your first visit a banner lets you accept all, refuse all or choose category by "
                          "category. No cookie that needs your consent is set before you choose. If you accept at "
                          "least one category your choice is kept {accept}; if you refuse, it is kept "
                          "{refuse}. The banner shows again when that time is up, or as soon as this "
                          "policy changes."),
        "implied": ("If you read this page and then keep browsing without choosing, you are taken to accept the "
                    "cookies (unless your browser sends the Global Privacy Control signal)."),
        "change_h": "Change or withdraw your choice",
        "change": ("You can change your mind at any time with the “{manage}” button on every page, or below. "
                   "Withdrawing your consent deletes the cookies concerned."),
        "withdraw": "Withdraw my consent", "withdrawing": "Withdrawing your consent…",
        "withdrawn": "Done: your consent is withdrawn and the cookies concerned are deleted from this browser.",
        "withdraw_failed": "The withdrawal could not be recorded. Check your connection and try again.",
        "browser_h": "Controlling cookies in your browser",
        "browser": ("Your browser also lets you see, block or delete cookies in its privacy settings "
                    "(“Cookies and site data”). Blocking every cookie may stop the service from working, "
                    "as it needs the functional cookies listed above."),
        "dpo_h": "Contact us",
        "dpo": "For any question about cookies or your personal data, write to our data protection officer:",
        "rights": "Exercise your rights over your data (access, rectification, erasure…): online form",
        "other": "Version française",
    },
}


def minify(source: str) -> str:
    """Drop indentation, blank lines and whole-line ``//`` comments. Line breaks stay, so automatic
    semicolon insertion reads the code exactly as before; banner.js keeps every string on one line."""
    lines = (line.strip() for line in source.splitlines())
    return "\n".join(line for line in lines if line and not line.startswith("//")) + "\n"


_built: dict = {}


def banner_build() -> bundles.Bundle:
    """The served script, stamped with its bundle id (docs/proofs.md), rebuilt when the source
    file changes."""
    mtime = BANNER_SOURCE.stat().st_mtime_ns
    if _built.get("mtime") != mtime:
        _built.update(mtime=mtime, bundle=bundles.stamp(BANNER_SOURCE.read_text(encoding="utf-8")))
    return _built["bundle"]


@functools.lru_cache(maxsize=64)
def gzipped(body: bytes) -> bytes:
    """``body`` gzip-compressed once (the same bytes object keeps its hash: a cheap cache key)."""
    return gzip.compress(body, 9, mtime=0)


def page_lang() -> str:
    return "en" if request.args.get("lang", "").lower().startswith("en") else "fr"


def with_csp(html: str, nonce: str, status: int = 200) -> Response:
    response = Response(html, status=status, mimetype="text/html")
    response.headers["Content-Security-Policy"] = PAGE_CSP.format(nonce=nonce)
    return response


def public_asset(body: bytes, mimetype: str, max_age: int, etag: str, compressed: bytes | None = None) -> Response:
    """A static asset any page may load: cacheable, revalidated by its ETag (304), CORS-open. With
    ``compressed`` (the body gzipped ahead), a client that accepts gzip gets that: the bytes on the
    wire then do not depend on a proxy's compression settings (Debian's nginx compresses HTML only)."""
    response = Response(body, mimetype=mimetype)
    if compressed is not None:
        response.vary.add("Accept-Encoding")
        if request.accept_encodings["gzip"]:
            response.set_data(compressed)
            response.headers["Content-Encoding"] = "gzip"
            etag += "-gzip"  # another representation, another validator
    response.set_etag(etag)
    response.headers["Cache-Control"] = f"public, max-age={max_age}"
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.make_conditional(request)  # in place: a 304 without the body when the ETag matches
    return response


@pages_blp.get("/banner.js")
def banner_js():
    bundle = banner_build()
    bundles.note_served(bundle)
    return public_asset(bundle.body, "text/javascript", BANNER_MAX_AGE, bundle.banner_hash[:32],
                        gzipped(bundle.body))


@pages_blp.get("/sites/<string:site>/cookies")
def policy_page(site):
    """The cookie policy page, generated from the current policy version and ``DPO_EMAIL``."""
    try:
        policy = policies.current_policy(site)
    except services.NotFound:
        abort(404)
    lang = page_lang()
    document = json.loads(policy.body)
    categories = {c["key"]: c for c in document["categories"]}
    nonce = secrets.token_urlsafe(16)
    one, many = PAGE_TEXT[lang]["months"]

    def months(n: int) -> str:
        return (one if n == 1 else many).format(n=n)

    html = render_template(
        "cookies/policy.html", months=months, lang=lang, t=PAGE_TEXT[lang], policy=document, categories=categories,
        banner_texts=document["texts"][lang], dpo_email=current_app.config["DPO_EMAIL"], nonce=nonce,
        published=document["published_at"][:10])
    return with_csp(html, nonce)


@pages_blp.get("/demo")
def demo_page():
    """A fake portal page: the banner, a gtag stub and a fake analytics script that sets ``_ga``.
    ``?banner=0`` leaves the banner out (the benchmark's baseline)."""
    nonce = secrets.token_urlsafe(16)
    page = request.args.get("page", "1")
    html = render_template(
        "cookies/demo.html", lang=page_lang(), nonce=nonce, site=DEMO_SITE,
        with_banner=request.args.get("banner") != "0",
        page=int(page) if page.isdigit() and len(page) < 4 else 1, base=current_app.config["PUBLIC_BASE_URL"])
    return with_csp(html, nonce)
