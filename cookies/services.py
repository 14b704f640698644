"""Consent decisions and their proof: recording, the consent state, a subject's history
and visitor links (sites and policies: cookies/policies.py). Flush, never commit."""
from __future__ import annotations

import dataclasses
import ipaddress
import types
import uuid
from urllib.parse import urlsplit, urlunsplit

from flask import Flask
from sqlalchemy import Connection
from sqlalchemy.exc import IntegrityError

from consent_service import clock, hooks, metrics, tokens
from consent_service.errors import Conflict, NotFound
from consent_service.extensions import db

from .group_commit import GroupCommit
from .models import ConsentRecord, VisitorLink
from .policies import CurrentPolicy

CONSENT_SALT = "cookies.cookie_consent"
RCI_SALT = "cookies.r_ci"
CONSENT_COOKIE = "cookie_consent"
RCI_COOKIE = "r_ci"


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


CONSENT_PAYLOAD_KEYS = frozenset({"id", "vid", "site", "ver", "cat", "until"})


def read_consent_token(raw: str | None, app: Flask | None = None) -> dict | None:
    """The payload of a ``cookie_consent`` value, or None when absent; raises BadData if altered."""
    if not raw:
        return None
    payload = tokens.readable(CONSENT_SALT, None if app is None else app.config).loads(raw)
    if not isinstance(payload, dict) or not CONSENT_PAYLOAD_KEYS <= payload.keys():
        raise tokens.BadData("unexpected payload")
    return payload


def consent_state(policy: CurrentPolicy, raw_consent: str | None, raw_rci: str | None, gpc: bool,
                  app: Flask | None = None) -> ConsentState:
    """Whether the banner must show, from the two cookies alone (no database read). ``app``:
    the application, for the hot handler that answers outside its context (the current one's
    by default)."""
    def show(reason):
        return ConsentState(True, reason, {**{k: True for k in policy.required},
                                           **{k: False for k in policy.optional}}, gpc=gpc)

    if not raw_consent and not raw_rci:
        return show("no_choice")
    try:
        payload = read_consent_token(raw_consent, app)
        rci = tokens.readable(RCI_SALT, None if app is None else app.config).loads(raw_rci) if raw_rci else None
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
    objected = objected_categories(payload["vid"], app)
    chosen = payload["cat"]
    categories = {k: True for k in policy.required}
    for k in policy.optional:
        categories[k] = bool(chosen.get(k, False)) and k not in objected
    return ConsentState(False, None, categories,
                        consent_id=payload["id"], policy_version=payload["ver"],
                        valid_until=clock.rfc3339_at(payload["until"]),
                        gpc=gpc)


def objected_categories(visitor_id: str, app: Flask | None = None) -> frozenset[str]:
    """Categories the visitor's account objected to (GDPR art. 21), from the lookup another
    package registers as :data:`hooks.CONSENT_OBJECTIONS`; that lookup must answer from a
    short-lived cache, not a database read per call."""
    return frozenset(hooks.CONSENT_OBJECTIONS.get(app)(visitor_id))


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

