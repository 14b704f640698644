"""Sites and their immutable, versioned cookie policies: publishing, the per-process cache of
the current version the hot paths read, and the compliance lint. Flush, never commit."""
from __future__ import annotations

import dataclasses
import hashlib
import json
import threading
import time

from flask import current_app
from sqlalchemy.exc import IntegrityError

from consent_service import clock
from consent_service.errors import Conflict, NotFound
from consent_service.extensions import db

from . import consent_mode
from .models import Policy, Site
from .schemas import PolicyOut
from .texts import DEFAULT_TEXTS

CNIL_GOOD_PRACTICE_MONTHS = 6
POLICY_OUT = PolicyOut()


def canonical_json(value) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def sha256_hex(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


# --- sites -----------------------------------------------------------------------------


def create_site(key: str, name: str, allowed_origins: list[str], cookie_domain: str | None) -> Site:
    if db.session.execute(db.select(Site.id).where(Site.key == key)).first():
        raise Conflict(f"The site {key} already exists.")
    site = Site(key=key, name=name, allowed_origins=sorted(set(allowed_origins)), cookie_domain=cookie_domain,
                created_at=clock.now())
    db.session.add(site)
    try:
        db.session.flush()
    except IntegrityError:
        raise Conflict(f"The site {key} already exists.") from None
    return site


def update_site(site: Site, changes: dict) -> Site:
    """Change a site's name, allowed origins or cookie domain (the keys present in ``changes``).
    This process forgets its cached policy at once; others within ``POLICY_CACHE_SECONDS``."""
    if "name" in changes:
        site.name = changes["name"]
    if "allowed_origins" in changes:
        site.allowed_origins = sorted(set(changes["allowed_origins"]))
    if "cookie_domain" in changes:
        site.cookie_domain = changes["cookie_domain"]
    db.session.flush()
    forget_cached_policy(site.key)
    return site


def get_site(key: str) -> Site:
    site = db.session.execute(db.select(Site).where(Site.key == key)).scalar_one_or_none()
    if site is None:
        raise NotFound("No such site.")
    return site


# --- policies --------------------------------------------------------------------------


def publish_policy(site: Site, data: dict) -> Policy:
    """Publish a new immutable version; earlier versions are never touched."""
    document = {
        "categories": consent_mode.with_defaults(data["categories"]),
        "cookies": data["cookies"],
        "accept_validity_months": data["accept_validity_months"],
        "refuse_validity_months": data["refuse_validity_months"],
        "implied_consent_on_continue": data["implied_consent_on_continue"],
        "texts": data.get("texts") or DEFAULT_TEXTS,
    }
    latest = db.session.execute(
        db.select(db.func.max(Policy.version)).where(Policy.site_id == site.id)
    ).scalar_one_or_none() or 0
    policy = Policy(site_id=site.id, version=latest + 1, document=document,
                    digest=sha256_hex(canonical_json(document)), published_at=clock.now())
    db.session.add(policy)
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError:
        raise Conflict("Another version was published at the same time; try again.") from None
    forget_cached_policy(site.key)
    return policy


def get_policy_version(site: Site, version: int) -> Policy:
    policy = db.session.execute(
        db.select(Policy).where(Policy.site_id == site.id, Policy.version == version)
    ).scalar_one_or_none()
    if policy is None:
        raise NotFound("No such policy version.")
    return policy


def latest_policy(site: Site) -> Policy:
    policy = db.session.execute(
        db.select(Policy).where(Policy.site_id == site.id).order_by(Policy.version.desc()).limit(1)
    ).scalar_one_or_none()
    if policy is None:
        raise NotFound("This site has no published policy yet.")
    return policy


@dataclasses.dataclass(frozen=True)
class CurrentPolicy:
    """What the hot paths need about a site's current policy, read once and cached briefly."""

    site_key: str
    allowed_origins: frozenset[str]
    cookie_domain: str | None
    version: int
    document: dict
    etag: str
    body: bytes
    required: tuple[str, ...]
    optional: tuple[str, ...]
    texts_hashes: dict

    @property
    def accept_months(self) -> int:
        return self.document["accept_validity_months"]

    @property
    def refuse_months(self) -> int:
        return self.document["refuse_validity_months"]


_cache: dict[str, tuple[float, CurrentPolicy]] = {}
_cache_lock = threading.Lock()


def forget_cached_policy(site_key: str | None = None) -> None:
    with _cache_lock:
        if site_key is None:
            _cache.clear()
        else:
            _cache.pop(site_key, None)


def cached_policy(site_key: str) -> CurrentPolicy | None:
    """The site's current policy if this process holds a fresh copy, else None (no database,
    no application context needed)."""
    hit = _cache.get(site_key)
    if hit and hit[0] > time.monotonic():
        return hit[1]
    return None


def current_policy(site_key: str) -> CurrentPolicy:
    """The site's current policy; cached for ``POLICY_CACHE_SECONDS`` so every process sees a
    new version within seconds without a database read per request."""
    cached = cached_policy(site_key)
    if cached is not None:
        return cached
    ttl = current_app.config["POLICY_CACHE_SECONDS"]
    site = get_site(site_key)
    policy = latest_policy(site)
    payload = POLICY_OUT.dump(policy)  # once per POLICY_CACHE_SECONDS: the hot path sends these bytes
    document = policy.document
    fresh = CurrentPolicy(
        site_key=site.key,
        allowed_origins=frozenset(site.allowed_origins),
        cookie_domain=site.cookie_domain,
        version=policy.version,
        document=document,
        etag=f'"{site.key}-v{policy.version}-{policy.digest[:16]}"',
        body=json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode(),
        required=tuple(c["key"] for c in document["categories"] if c["required"]),
        optional=tuple(c["key"] for c in document["categories"] if not c["required"]),
        texts_hashes={locale: sha256_hex(canonical_json(texts)) for locale, texts in document["texts"].items()},
    )
    with _cache_lock:
        _cache[site_key] = (time.monotonic() + ttl, fresh)
    return fresh


def lint(document: dict) -> list[dict]:
    """Compliance findings for a policy document, most serious first."""
    findings = []
    if document["implied_consent_on_continue"]:
        findings.append({"rule": "implied_consent", "severity": "error", "message": (
            "Continuing to browse is not consent under the CNIL's 2020 guidelines: "
            "turn implied_consent_on_continue off.")})
    for key, label in (("accept_validity_months", "an acceptance"), ("refuse_validity_months", "a refusal")):
        if document[key] > CNIL_GOOD_PRACTICE_MONTHS:
            findings.append({"rule": "long_validity", "severity": "warning", "message": (
                f"{label.capitalize()} is kept {document[key]} months; the CNIL recommends asking again "
                f"after {CNIL_GOOD_PRACTICE_MONTHS} months at most.")})
    if document["refuse_validity_months"] * 2 < document["accept_validity_months"]:
        findings.append({"rule": "refusal_reasked_sooner", "severity": "warning", "message": (
            f"A refusal is asked again after {document['refuse_validity_months']} month(s) but an acceptance "
            f"only after {document['accept_validity_months']}: refusing must be as durable as accepting.")})
    if not any(not c["required"] for c in document["categories"]):
        findings.append({"rule": "no_optional_category", "severity": "warning", "message": (
            "No category needs consent: a banner is then not needed at all.")})
    findings.sort(key=lambda f: f["severity"] != "error")
    return findings
