"""The rules of sites, policy versions and consent decisions. Flush, never commit."""
from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import ipaddress
import json
import threading
import time
import types
import uuid
from urllib.parse import urlsplit, urlunsplit

from flask import current_app
from sqlalchemy import Connection
from sqlalchemy.exc import IntegrityError

from consent_service import clock, hooks, metrics, tokens
from consent_service.errors import Conflict, NotFound
from consent_service.extensions import db

from . import consent_mode
from .group_commit import GroupCommit
from .models import ConsentRecord, Policy, Site, VisitorLink
from .texts import DEFAULT_TEXTS

CONSENT_SALT = "cookies.cookie_consent"
RCI_SALT = "cookies.r_ci"
CONSENT_COOKIE = "cookie_consent"
RCI_COOKIE = "r_ci"
CNIL_GOOD_PRACTICE_MONTHS = 6


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


def policy_json(site_key: str, policy: Policy) -> dict:
    return {"site": site_key, "version": policy.version, "published_at": clock.rfc3339(policy.published_at),
            **policy.document}


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
    payload = policy_json(site.key, policy)
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


# --- consent decisions -------------------------------------------------------------------


def truncate_ip(address: str | None) -> str | None:
    """IPv4 to its /24, IPv6 to its /48; the full address is never kept."""
    if not address:
        return None
    try:
        ip = ipaddress.ip_address(address.split("%")[0])
    except ValueError:
        return None
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    # The network address of the /24 or /48, by masking (no network object per decision).
    mask = _IPV4_24 if ip.version == 4 else _IPV6_48
    return str(type(ip)(int(ip) & mask))


_IPV4_24 = (2**32 - 1) ^ (2**8 - 1)
_IPV6_48 = (2**128 - 1) ^ (2**80 - 1)


def page_without_query(page: str | None) -> str | None:
    if not page:
        return None
    parts = urlsplit(page)
    return urlunsplit((parts.scheme, parts.netloc.rpartition("@")[2], parts.path, "", ""))


def decide_categories(policy: CurrentPolicy, action: str, chosen: dict | None, gpc: bool) -> dict[str, bool]:
    """The categories a decision grants; required ones are always on."""
    if action == "continue" and not policy.document["implied_consent_on_continue"]:
        raise Conflict("This policy does not treat continuing to browse as consent.")
    if action == "custom":
        unknown = sorted(set(chosen or {}) - set(policy.optional) - set(policy.required))
        if unknown:
            raise ValueError(unknown)
        granted = {key: bool((chosen or {}).get(key, False)) for key in policy.optional}
    else:
        # GPC is an objection: it never lets implied consent switch anything on.
        on = action == "accept_all" or (action == "continue" and not gpc)
        granted = {key: on for key in policy.optional}
    return {**{key: True for key in policy.required}, **granted}


_INSERT_RECORD = ConsentRecord.__table__.insert()


@dataclasses.dataclass
class Decision:
    record: types.SimpleNamespace  # the proof's columns as attributes (what was inserted)
    cookie_consent: str
    r_ci: str
    max_age: int


def record_decision(policy: CurrentPolicy, *, action: str, chosen: dict | None, visitor_id: str | None,
                    locale: str, page: str | None, ip: str | None, user_agent: str | None,
                    gpc: bool, banner_hash: str | None = None,
                    into: Connection | GroupCommit | None = None) -> Decision:
    """Append the proof of one decision and mint its two signed cookies. The row goes into the
    session's transaction, or into ``into``: a Core connection, or the group commit through
    which the consent API writes (cookies/views.py ``record``)."""
    categories = decide_categories(policy, action, chosen, gpc)
    now = clock.now().replace(microsecond=0)
    any_optional = any(categories[key] for key in policy.optional)
    months = policy.accept_months if any_optional else policy.refuse_months
    valid_until = clock.add_months(now, months)
    values = dict(
        consent_id=uuid.uuid4().hex, site=policy.site_key, policy_version=policy.version,
        texts_hash=policy.texts_hashes[locale], action=action, categories=categories, recorded_at=now,
        valid_until=valid_until, visitor_id=visitor_id or uuid.uuid4().hex, ip=truncate_ip(ip),
        user_agent=(user_agent or "").replace("\x00", "")[:512] or None, page=page_without_query(page),
        gpc=gpc, locale=locale, banner_hash=banner_hash,
    )
    # One INSERT in the session's transaction, without the unit of work: the proof is
    # append-only, so nothing needs the row as a tracked object.
    (into if into is not None else db.session).execute(_INSERT_RECORD, values)
    metrics.count_decision(policy.site_key, action)
    record = types.SimpleNamespace(**values)  # what the caller reads back
    until = int(valid_until.timestamp())
    consent_token = tokens.readable(CONSENT_SALT).dumps({
        "id": record.consent_id, "vid": record.visitor_id, "site": policy.site_key, "ver": policy.version,
        "cat": categories, "until": until,
    })
    rci_token = tokens.readable(RCI_SALT).dumps({"site": policy.site_key, "due": until})
    return Decision(record, consent_token, rci_token, max(0, until - int(now.timestamp())))


@dataclasses.dataclass
class ConsentState:
    show_banner: bool
    reason: str | None
    categories: dict
    consent_id: str | None = None
    policy_version: int | None = None
    valid_until: str | None = None
    gpc: bool = False


def read_consent_token(raw: str | None) -> dict | None:
    """The payload of a ``cookie_consent`` value, or None when absent; raises BadData if altered."""
    if not raw:
        return None
    payload = tokens.readable(CONSENT_SALT).loads(raw)
    if not isinstance(payload, dict) or not {"id", "vid", "site", "ver", "cat", "until"} <= payload.keys():
        raise tokens.BadData("unexpected payload")
    return payload


def consent_state(policy: CurrentPolicy, raw_consent: str | None, raw_rci: str | None, gpc: bool) -> ConsentState:
    """Whether the banner must show, from the two cookies alone (no database read)."""
    nothing = {**{k: True for k in policy.required}, **{k: False for k in policy.optional}}

    def show(reason):
        return ConsentState(True, reason, dict(nothing), gpc=gpc)

    if not raw_consent and not raw_rci:
        return show("no_choice")
    try:
        payload = read_consent_token(raw_consent)
        rci = tokens.readable(RCI_SALT).loads(raw_rci) if raw_rci else None
        if rci is not None and (not isinstance(rci, dict) or not isinstance(rci.get("due"), int)):
            raise tokens.BadData("unexpected payload")
    except (tokens.BadData, TypeError, ValueError):
        return show("invalid")
    if payload is None or payload["site"] != policy.site_key or (rci and rci.get("site") != policy.site_key):
        return show("no_choice")
    now = clock.now().timestamp()
    due = min(payload["until"], rci["due"]) if rci else payload["until"]
    if due <= now:
        return show("expired")
    if payload["ver"] != policy.version:
        return show("policy_changed")
    objected = objected_categories(payload["vid"])
    granted = {k: bool(payload["cat"].get(k, False)) and k not in objected for k in policy.optional}
    return ConsentState(False, None, {**{k: True for k in policy.required}, **granted},
                        consent_id=payload["id"], policy_version=payload["ver"],
                        valid_until=clock.rfc3339(dt.datetime.fromtimestamp(payload["until"], dt.timezone.utc)),
                        gpc=gpc)


def objected_categories(visitor_id: str) -> frozenset[str]:
    """Categories the visitor's account objected to (GDPR art. 21), from the lookup another
    package registers as :data:`hooks.CONSENT_OBJECTIONS`; that lookup must answer from a
    short-lived cache, not a database read per call."""
    return frozenset(hooks.CONSENT_OBJECTIONS.get()(visitor_id))


def get_proof(consent_id: str) -> ConsentRecord:
    record = db.session.execute(db.select(ConsentRecord).where(  # the key holds recorded_at (partitions)
        ConsentRecord.consent_id == consent_id).limit(1)).scalar_one_or_none()
    if record is None:
        raise NotFound("No such consent record.")
    return record


def history(*, visitor_id: str | None = None, account_id: str | None = None, limit: int = 1000) -> list[ConsentRecord]:
    """A subject's decisions, newest first."""
    query = db.select(ConsentRecord)
    if visitor_id is not None:
        query = query.where(ConsentRecord.visitor_id == visitor_id)
    else:
        visitors = db.select(VisitorLink.visitor_id).where(VisitorLink.account_id == account_id)
        query = query.where(ConsentRecord.visitor_id.in_(visitors))
    query = query.order_by(ConsentRecord.recorded_at.desc(), ConsentRecord.consent_id).limit(limit)
    return list(db.session.execute(query).scalars())


def link_visitor(account_id: str, visitor_id: str) -> None:
    """Remember that ``visitor_id`` belongs to ``account_id`` (idempotent). An account whose
    purge has started takes no new link: the link would outlive the purge and tie the
    visitor's future decisions to a deleted account."""
    if hooks.ACCOUNT_PURGED.get()(account_id):
        raise Conflict("This account has been deleted (or is being deleted): no visitor can be linked to it.")
    exists = db.session.execute(db.select(VisitorLink.id).where(
        VisitorLink.account_id == account_id, VisitorLink.visitor_id == visitor_id)).first()
    if exists:
        return
    try:
        with db.session.begin_nested():
            db.session.add(VisitorLink(account_id=account_id, visitor_id=visitor_id, linked_at=clock.now()))
    except IntegrityError:
        pass  # linked by a concurrent call: the same outcome


def proof_json(record: ConsentRecord) -> dict:
    return {
        "consent_id": record.consent_id, "site": record.site, "policy_version": record.policy_version,
        "texts_hash": record.texts_hash, "action": record.action, "categories": record.categories,
        "recorded_at": clock.rfc3339(record.recorded_at), "valid_until": clock.rfc3339(record.valid_until),
        "visitor_id": record.visitor_id, "ip": record.ip, "user_agent": record.user_agent, "page": record.page,
        "gpc": record.gpc, "locale": record.locale, "banner_hash": record.banner_hash,
    }
