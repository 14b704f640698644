"""The back-office's rules: users, sign-in and lock, the audit trail, and the read models of
the pages. DSAR actions go through ``dsar.workflow`` with ``dsar.schemas`` (their rules, not a
copy). Services flush, never commit."""
from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import re

from flask import current_app
from marshmallow import ValidationError
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.security import check_password_hash, generate_password_hash

from consent_service import clock
from consent_service.extensions import db
from consent_service.fields import account_id_is_valid

from . import paging
from .models import EMAIL_MAX, ROLES, AuditEntry, BackofficeUser

log = logging.getLogger(__name__)

DEFAULTS = {
    "BACKOFFICE_LOCK_AFTER": 5,            # failed sign-ins in a row before the account locks
    "BACKOFFICE_LOCK_MINUTES": 15,         # how long it stays locked
    "BACKOFFICE_IDLE_MINUTES": 30,         # idle time after which the session is signed out
    "BACKOFFICE_LOGIN_RATE_LIMIT": "10 per minute",  # sign-in POSTs per client address, or "off"
}
PASSWORD_MIN = 12
PASSWORD_MAX = 1024  # scrypt of a megabyte is a cheap way to burn a server's CPU
COMMON_PASSWORDS = frozenset({
    "motdepasse123", "password1234", "azertyuiop12", "123456789012", "qwertyuiop12", "administrateur",
    "motdepassedpo", "changeme1234", "bienvenue123", "passwordpassword",
})
EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def setting(name: str):
    return current_app.config.get(name, DEFAULTS[name])


# --- users ------------------------------------------------------------------------------------


class UserError(ValueError):
    pass


def normalise_email(address: str) -> str:
    return address.strip().lower()


def password_problem(password: str, email: str = "") -> str | None:
    """Why ``password`` is too weak, or None."""
    if not password or not password.strip():
        return "The password is empty."
    if len(password) < PASSWORD_MIN:
        return f"The password must have at least {PASSWORD_MIN} characters."
    if len(password) > PASSWORD_MAX:
        return f"The password must have at most {PASSWORD_MAX} characters."
    if len(set(password)) < 5:
        return "The password repeats too few different characters."
    lowered = password.lower()
    if lowered in COMMON_PASSWORDS:
        return "The password is too common."
    local = email.partition("@")[0].lower()
    if len(local) >= 4 and local in lowered:
        return "The password must not contain the e-mail address."
    return None


def create_user(email: str, password: str, role: str) -> BackofficeUser:
    """A new user; raises :class:`UserError` for a bad address, role or password, or a duplicate."""
    email = normalise_email(email or "")
    if not EMAIL_PATTERN.match(email) or len(email) > EMAIL_MAX:
        raise UserError(f"Not a valid e-mail address (at most {EMAIL_MAX} characters).")
    if role not in ROLES:
        raise UserError(f"The role must be one of {', '.join(ROLES)}.")
    problem = password_problem(password, email)
    if problem:
        raise UserError(problem)
    if db.session.execute(db.select(BackofficeUser.id).where(BackofficeUser.email == email)).first():
        raise UserError("A user with this e-mail address already exists.")
    user = BackofficeUser(email=email, password_hash=generate_password_hash(password, method="scrypt"), role=role,
                          failed_logins=0, created_at=clock.now())
    db.session.add(user)
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError:
        raise UserError("A user with this e-mail address already exists.") from None
    return user


def get_user(user_id) -> BackofficeUser | None:
    try:
        return db.session.get(BackofficeUser, int(user_id))
    except (TypeError, ValueError):
        return None


# --- sign-in ----------------------------------------------------------------------------------

_dummy_hash: str | None = None


def _spend_the_same_time(password: str) -> None:
    """Check the password against a throwaway hash, so an unknown address answers as slowly
    as a known one (the timing must not tell whether an account exists)."""
    global _dummy_hash
    if _dummy_hash is None:
        _dummy_hash = generate_password_hash("not a real password, only for timing", method="scrypt")
    check_password_hash(_dummy_hash, password)


def is_locked(user: BackofficeUser) -> bool:
    return user.locked_until is not None and clock.utc(user.locked_until) > clock.now()


def authenticate(email: str, password: str) -> BackofficeUser | None:
    """The user when ``email`` and ``password`` match an unlocked account, else None.

    Every failure looks the same to the caller. A wrong password counts towards the lock;
    ``BACKOFFICE_LOCK_AFTER`` failures in a row lock the account for ``BACKOFFICE_LOCK_MINUTES``
    (a right password does not open a locked account).
    """
    email = normalise_email(email or "")
    password = password or ""
    user = None
    if email and len(email) <= EMAIL_MAX:
        user = db.session.execute(db.select(BackofficeUser).where(BackofficeUser.email == email)
                                  .with_for_update()).scalar_one_or_none()
    if user is None or len(password) > PASSWORD_MAX:
        _spend_the_same_time(password[:PASSWORD_MAX])
        return None
    if is_locked(user):
        _spend_the_same_time(password)
        audit(user.email, "sign_in_refused_locked")
        return None
    if not check_password_hash(user.password_hash, password):
        if user.locked_until is not None:  # an expired lock: start counting afresh
            user.locked_until = None
            user.failed_logins = 0
        user.failed_logins = (user.failed_logins or 0) + 1
        audit(user.email, "sign_in_failed")
        if user.failed_logins >= int(setting("BACKOFFICE_LOCK_AFTER")):
            user.locked_until = clock.now() + dt.timedelta(minutes=int(setting("BACKOFFICE_LOCK_MINUTES")))
            user.failed_logins = 0
            audit(user.email, "locked", f"{setting('BACKOFFICE_LOCK_MINUTES')} minutes")
            log.warning("backoffice user %s locked after repeated failures", user.id)
        db.session.flush()
        return None
    user.failed_logins = 0
    user.locked_until = None
    user.last_login = clock.now()
    audit(user.email, "signed_in")
    return user


# --- the audit trail --------------------------------------------------------------------------


def audit(actor: str, action: str, target: str | None = None) -> None:
    db.session.add(AuditEntry(at=clock.now(), actor=actor[:EMAIL_MAX], action=action[:32],
                              target=target[:200] if target else None))
    db.session.flush()


@dataclasses.dataclass
class TrailItem:
    at: dt.datetime
    actor: str
    action: str
    target: str | None
    note: str | None
    reference: str | None = None


def _trail():
    """Both sources of the audit trail as one UNION ALL: the DSAR events whose actor is a
    person or an API key (not the subject, not the system), and the back-office's entries.
    ``source`` (0 for events, 1 for entries) and ``id`` make the order total, so rows with the
    same time still sit at one offset only."""
    from dsar.models import DsarEvent, DsarRequest
    from dsar.services import SUBJECT, SYSTEM

    events = (db.select(DsarEvent.at.label("at"), DsarEvent.actor.label("actor"), DsarEvent.kind.label("action"),
                        DsarEvent.to_status.label("target"), DsarEvent.note.label("note"),
                        DsarRequest.reference.label("reference"), db.literal_column("0", db.Integer).label("source"),
                        DsarEvent.id.label("id"))
              .join(DsarRequest, DsarEvent.request_id == DsarRequest.id)
              .where(DsarEvent.actor.not_in((SUBJECT, SYSTEM))))
    entries = db.select(AuditEntry.at, AuditEntry.actor, AuditEntry.action, AuditEntry.target,
                        db.cast(db.null(), db.Text), db.cast(db.null(), db.String),
                        db.literal_column("1", db.Integer), AuditEntry.id)
    return db.union_all(events, entries).subquery("trail")


def audit_trail(limit: int = 500, offset: int = 0) -> list[TrailItem]:
    """What staff did, newest first (time, then source, then id): ``limit`` items after
    skipping ``offset``, read from the database in that order."""
    trail = _trail()
    rows = db.session.execute(db.select(trail).order_by(trail.c.at.desc(), trail.c.source, trail.c.id.desc())
                              .limit(limit).offset(offset)).all()
    return [TrailItem(clock.utc(r.at), r.actor, r.action, r.target, r.note, r.reference) for r in rows]


def audit_trail_page(number: int, size: int) -> paging.Page[TrailItem]:
    """Page ``number`` of the audit trail; raises :class:`paging.NoSuchPage` past the last."""
    total = db.session.execute(db.select(db.func.count()).select_from(_trail())).scalar_one()
    return paging.paginate(number, size, total, audit_trail)


# --- requests ---------------------------------------------------------------------------------


def dashboard() -> dict:
    """Open requests by deadline (soonest first) and the counts by status and by type."""
    from dsar import services as dsar_services
    from dsar.models import OPEN_STATUSES, DsarRequest

    open_requests = []
    for status in OPEN_STATUSES:
        open_requests += dsar_services.list_requests(status=status)
    open_requests.sort(key=lambda r: (clock.utc(r.due_at), r.reference))
    by_status = dict(db.session.execute(db.select(DsarRequest.status, db.func.count())
                                        .group_by(DsarRequest.status)).all())
    by_type = dict(db.session.execute(db.select(DsarRequest.type, db.func.count())
                                      .group_by(DsarRequest.type)).all())
    unclassified = by_type.pop(None, 0)
    return {"open": [(r, dsar_services.is_overdue(r)) for r in open_requests],
            "overdue": sum(1 for r in open_requests if dsar_services.is_overdue(r)),
            "by_status": by_status, "by_type": by_type,
            "unclassified": unclassified}


def register_page(number: int, size: int, *, status: str | None = None, type: str | None = None) -> paging.Page:
    """Page ``number`` of the register (``dsar.services.list_requests``, newest first) with the
    register's filters; raises :class:`paging.NoSuchPage` past the last page."""
    from dsar import services as dsar_services

    total = dsar_services.count_requests(status=status, type=type)
    return paging.paginate(number, size, total, lambda limit, offset: dsar_services.list_requests(
        status=status, type=type, limit=limit, offset=offset))


class Refused(Exception):
    """A DSAR action the workflow refused: ``message`` and per-field ``errors`` to show."""

    def __init__(self, message: str | None, errors: dict | None = None, code: int = 409):
        super().__init__(message or "refused")
        self.message, self.errors, self.code = message, errors or {}, code


def _workflow_call(action: str):
    from dsar import workflow

    return {
        "classify": lambda ref, d, actor: workflow.classify(ref, d["type"], actor),
        "verify": lambda ref, d, actor: workflow.verify(ref, d["method"], d["note"], actor),
        "extend": lambda ref, d, actor: workflow.extend(ref, d["reason"], actor),
        "execute": lambda ref, d, actor: workflow.execute(ref, d, actor),
        "reject": lambda ref, d, actor: workflow.reject(ref, d["ground"], d["reason"], actor),
        "complete": lambda ref, d, actor: workflow.complete(ref, d["summary"], actor),
        "withdraw": lambda ref, d, actor: workflow.withdraw(ref, d.get("note"), actor),
    }[action]


def _schema(action: str):
    from dsar import schemas

    return {"classify": schemas.ClassifyIn, "verify": schemas.VerifyIn, "extend": schemas.ExtendIn,
            "execute": schemas.ExecuteIn, "reject": schemas.RejectIn, "complete": schemas.CompleteIn,
            "withdraw": schemas.WithdrawIn}[action]


ACTIONS = ("classify", "verify", "extend", "execute", "reject", "complete", "withdraw")


def act(action: str, reference: str, body: dict, actor: str):
    """Run one DSAR workflow action as ``actor`` (the signed-in user's e-mail); the body is
    checked by the DSAR API's own schema. Raises :class:`Refused`; the caller commits."""
    from dsar import services as dsar_services

    try:
        data = _schema(action)().load(body)
    except ValidationError as err:
        raise Refused(None, err.messages, 422) from None
    try:
        return _workflow_call(action)(reference, data, actor)
    except dsar_services.NotFound as err:
        raise Refused(str(err), code=404) from None
    except dsar_services.Invalid as err:
        raise Refused(None, err.errors, 422) from None
    except dsar_services.Conflict as err:
        raise Refused(str(err)) from None
    except dsar_services.ExecutionError as err:
        raise Refused(err.message, err.errors, err.code) from None
    except StaleDataError:
        raise Refused("The request changed at the same time; reload it and try again.") from None


def intake(body: dict, actor: str):
    """Open a request received by post, phone or e-mail, checked by the DSAR API's intake schema."""
    from dsar import intake as dsar_intake
    from dsar import schemas

    try:
        data = schemas.IntakeIn().load(body)
    except ValidationError as err:
        raise Refused(None, err.messages, 422) from None
    note = data.pop("note", None)
    return dsar_intake.open_request(actor=actor, notify_dpo=False, note=note, **data).request


# --- consent proofs ---------------------------------------------------------------------------

SEARCH_KINDS = ("consent_id", "visitor_id", "account_id")
_OPAQUE_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


PROOF_LIMIT = 500  # the most recent proofs a search shows; the page says when there were more


@dataclasses.dataclass
class ProofResults:
    records: list
    cut: bool  # more than PROOF_LIMIT matched: only the most recent are in ``records``


def find_proofs(kind: str, value: str, actor: str) -> ProofResults:
    """Consent proofs by consent id, visitor id or account id (newest first, at most
    ``PROOF_LIMIT``, ``cut`` when there were more); the look-up is audited with the kind and
    the count (the id itself only for a consent id)."""
    from cookies import services as cookie_services

    value = (value or "").strip()
    if kind not in SEARCH_KINDS:
        raise Refused(None, {"kind": ["Choose what to search by."]}, 422)
    valid = account_id_is_valid(value) if kind == "account_id" else bool(_OPAQUE_ID.match(value))
    if not valid:
        raise Refused(None, {"value": ["Not a valid identifier."]}, 422)
    if kind == "consent_id":
        try:
            found = [cookie_services.get_proof(value)]
        except cookie_services.NotFound:
            found = []
    else:
        found = cookie_services.history(**{kind: value}, limit=PROOF_LIMIT + 1)
    cut = len(found) > PROOF_LIMIT
    found = found[:PROOF_LIMIT]
    more = "+" if cut else ""
    target = f"consent_id {value}" if kind == "consent_id" else f"{kind}: {len(found)}{more} record(s)"
    audit(actor, "proof_search", target)
    return ProofResults(found, cut)


def proof(consent_id: str, actor: str):
    from cookies import services as cookie_services

    if not _OPAQUE_ID.match(consent_id or ""):
        return None
    try:
        record = cookie_services.get_proof(consent_id)
    except cookie_services.NotFound:
        return None
    audit(actor, "proof_viewed", f"consent_id {consent_id}")
    return record


# --- policies ---------------------------------------------------------------------------------

SETTINGS = ("accept_validity_months", "refuse_validity_months", "implied_consent_on_continue")


def sites() -> list:
    from cookies.models import Site

    return list(db.session.execute(db.select(Site).order_by(Site.key)).scalars())


def _flatten(value, prefix: str = "") -> dict:
    if isinstance(value, dict):
        flat = {}
        for key, inner in value.items():
            flat.update(_flatten(inner, f"{prefix}.{key}" if prefix else str(key)))
        return flat
    return {prefix: value}


@dataclasses.dataclass
class Change:
    section: str  # categories, cookies, texts, settings
    item: str
    change: str   # added, removed, changed
    field: str | None = None
    before: object = None
    after: object = None


def _diff_keyed(section: str, key: str, old: list, new: list) -> list[Change]:
    before = {item[key]: item for item in old}
    after = {item[key]: item for item in new}
    changes = [Change(section, name, "removed") for name in before if name not in after]
    changes += [Change(section, name, "added") for name in after if name not in before]
    for name in before.keys() & after.keys():
        a, b = _flatten(before[name]), _flatten(after[name])
        for field in sorted(a.keys() | b.keys()):
            if a.get(field) != b.get(field):
                changes.append(Change(section, name, "changed", field, a.get(field), b.get(field)))
    return changes


def diff_policies(old: dict, new: dict) -> list[Change]:
    """What changed from the document ``old`` to ``new``: categories (by key), cookies (by
    name), texts (by locale and text) and settings, each added, removed or changed."""
    changes = _diff_keyed("categories", "key", old.get("categories", []), new.get("categories", []))
    changes += _diff_keyed("cookies", "name", old.get("cookies", []), new.get("cookies", []))
    a, b = _flatten(old.get("texts") or {}), _flatten(new.get("texts") or {})
    for field in sorted(a.keys() | b.keys()):
        if field not in b:
            changes.append(Change("texts", field, "removed", before=a[field]))
        elif field not in a:
            changes.append(Change("texts", field, "added", after=b[field]))
        elif a[field] != b[field]:
            changes.append(Change("texts", field, "changed", before=a[field], after=b[field]))
    for name in SETTINGS:
        if old.get(name) != new.get(name):
            changes.append(Change("settings", name, "changed", before=old.get(name), after=new.get(name)))
    order = {"categories": 0, "cookies": 1, "texts": 2, "settings": 3}
    changes.sort(key=lambda c: (order[c.section], c.item, c.field or ""))
    return changes


# --- purge receipts ---------------------------------------------------------------------------


def purges(limit: int = 200, offset: int = 0) -> list:
    """Purges, newest first (then by id): ``limit`` of them after skipping ``offset``."""
    from datamap.models import Purge

    return list(db.session.execute(db.select(Purge).order_by(Purge.requested_at.desc(), Purge.purge_id)
                                   .limit(limit).offset(offset)).scalars())


def purges_page(number: int, size: int) -> paging.Page:
    """Page ``number`` of the purge receipts; raises :class:`paging.NoSuchPage` past the last."""
    from datamap.models import Purge

    total = db.session.execute(db.select(db.func.count()).select_from(Purge)).scalar_one()
    return paging.paginate(number, size, total, purges)


def purge_receipt(purge_id: str) -> dict | None:
    from datamap import engine

    if not _OPAQUE_ID.match(purge_id or ""):
        return None
    purge = engine.get_purge(purge_id)
    return engine.receipt(purge) if purge is not None else None
