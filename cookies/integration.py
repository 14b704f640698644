"""What a portal developer loads besides banner.js (docs/banner.md): the TypeScript declarations
of ``window.consentBanner`` and each site's Consent Mode defaults script."""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

from flask import Blueprint, Response, abort

from consent_service.errors import NotFound

from . import consent_mode, policies
from .pages import gzipped, minify, public_asset

kit_blp = Blueprint("banner_kit", __name__)

STATIC = Path(__file__).resolve().parent / "static"
DECLARATIONS = STATIC / "banner.d.ts"
DEFAULTS_TEMPLATE = STATIC / "consent-defaults.js"
DECLARATIONS_MAX_AGE = 3600
# A new policy version reaches pages within this time; banner.js corrects the signals at once anyway
# (it reads the current version and sends an update).
DEFAULTS_MAX_AGE = 300


def defaults_script(policy: policies.CurrentPolicy) -> bytes:
    """consent-defaults.js for a site's current policy: the template with its arguments filled in."""
    arguments = ", ".join(json.dumps(value, separators=(",", ":")) for value in (
        policy.site_key, policy.version, consent_mode.signal_owners(policy.document),
        consent_mode.WAIT_FOR_UPDATE_MS))
    source = DEFAULTS_TEMPLATE.read_text(encoding="utf-8").replace("__ARGUMENTS__", arguments)
    return minify(source).encode()


def _asset(body: bytes, mimetype: str, max_age: int, compress: bool = False) -> Response:
    return public_asset(body, mimetype, max_age, hashlib.sha256(body).hexdigest()[:32],
                        gzipped(body) if compress else None)


@kit_blp.get("/sites/<string:site>/consent-defaults.js")
def consent_defaults(site: str) -> Response:
    """Consent Mode v2 defaults for the page's cookies, to load synchronously before any tag."""
    try:
        policy = policies.current_policy(site)
    except NotFound:
        abort(404)
    return _asset(defaults_script(policy), "text/javascript", DEFAULTS_MAX_AGE, compress=True)


@kit_blp.get("/banner.d.ts")
def banner_declarations() -> Response:
    """TypeScript declarations of ``window.consentBanner``."""
    return _asset(DECLARATIONS.read_bytes(), "text/plain", DECLARATIONS_MAX_AGE)
