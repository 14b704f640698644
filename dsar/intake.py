"""Opening a request (form, DPO intake, inbound e-mail) and verifying control of the address."""
from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import logging
import secrets

from flask import current_app

from consent_service import clock, hooks, tokens
from consent_service.errors import NotFound

from . import deadlines, notify
from .models import DsarEvent, DsarRequest
from .services import SUBJECT, SYSTEM, add_event, get_request, new_reference
from consent_service.extensions import db

log = logging.getLogger(__name__)

VERIFY_SALT = "dsar.verify-email"
VERIFY_VALID = dt.timedelta(days=7)
REMINDER_AFTER = dt.timedelta(days=3)
DUPLICATE_WINDOW = dt.timedelta(minutes=10)


def normalise_email(address: str) -> str:
    return address.strip().lower()


@dataclasses.dataclass
class Intake:
    request: DsarRequest
    folded: bool  # True when it joined an open request instead of opening one


def _open_duplicate(email: str, type_: str | None) -> DsarRequest | None:
    """The same address's request of the same type still awaiting verification, opened
    within the duplicate window (a double submit, a re-sent e-mail)."""
    since = clock.now() - DUPLICATE_WINDOW
    query = (db.select(DsarRequest)
             .where(DsarRequest.email == email, DsarRequest.status == "awaiting_verification",
                    DsarRequest.created_at >= since)
             .where(DsarRequest.type.is_(None) if type_ is None else DsarRequest.type == type_)
             .order_by(DsarRequest.created_at.desc()).limit(1).with_for_update())
    return db.session.execute(query).scalar_one_or_none()


def open_request(*, type: str | None, channel: str, actor: str, email: str | None = None,
                 full_name: str | None = None, account_id: str | None = None, birth_date: dt.date | None = None,
                 message: str | None = None, locale: str = "fr", received_at: dt.datetime | None = None,
                 acknowledge: bool = True, notify_dpo: bool = True, note: str | None = None) -> Intake:
    """Open a request (or fold a duplicate into the open one) and queue its e-mails.

    With an address, the subject gets an acknowledgement carrying a single-use
    verification link (unless ``acknowledge`` is False); the DPO gets a notice without
    personal data when ``notify_dpo``.
    """
    now = clock.now()
    email = normalise_email(email) if email else None
    if email:
        existing = _open_duplicate(email, type)
        if existing is not None:
            add_event(existing, "duplicate_received", actor, note=f"Same request received again via {channel}.")
            return Intake(existing, True)
    received_at = (received_at or now).replace(microsecond=0)
    due_on, due_at = deadlines.deadline(received_at)
    dsar_request = DsarRequest(
        reference=new_reference(deadlines.paris_day(received_at).year), type=type, status="awaiting_verification",
        channel=channel, email=email, full_name=full_name, account_id=account_id, birth_date=birth_date,
        message=message, locale=locale, received_at=received_at, due_on=due_on, due_at=due_at, first_due_at=due_at,
        extended=False, verify_nonce=secrets.token_hex(8), created_at=now,
    )
    db.session.add(dsar_request)
    db.session.flush()
    dsar_request.events.append(DsarEvent(at=now, kind="received", actor=actor, from_status=None,
                                         to_status="awaiting_verification", note=note or f"Received via {channel}."))
    db.session.flush()
    log.info("dsar %s: received via %s", dsar_request.reference, channel)
    if acknowledge and email:
        notify.acknowledgement(dsar_request, verify_url(dsar_request))
    if notify_dpo:
        notify.dpo_notice(dsar_request)
    return Intake(dsar_request, False)


def submit_form(**fields) -> Intake:
    """A submission of the public form: open the case, try the registered identity check,
    and send the confirmation link only when that check did not already verify it."""
    result = open_request(channel="web", actor=SUBJECT, acknowledge=False, **fields)
    if not result.folded and not try_identity_verifier(result.request) and result.request.email:
        notify.acknowledgement(result.request, verify_url(result.request))
    return result


def try_identity_verifier(dsar_request: DsarRequest) -> bool:
    """Ask the verifier another package registers as :data:`hooks.IDENTITY_VERIFIER` (optional).
    True verifies the request with the method ``account_birth_date``; False changes nothing
    anyone can see."""
    verifier = hooks.IDENTITY_VERIFIER.find()
    if verifier is None or not dsar_request.account_id or not dsar_request.birth_date or not dsar_request.email:
        return False
    try:
        matched = bool(verifier(dsar_request.account_id, dsar_request.birth_date, dsar_request.email))
    except Exception as err:  # its message might quote the subject: log the type only
        log.error("dsar %s: the identity verifier failed (%s)", dsar_request.reference, type(err).__name__)
        return False
    if matched:
        mark_verified(dsar_request, "account_birth_date", SYSTEM, "Account id and birth date matched.")
    return matched


def mark_verified(dsar_request: DsarRequest, method: str, actor: str, note: str | None, *,
                  tell_subject: bool = True) -> None:
    """Move an awaiting request to verified (and tell the subject); the birth date, no
    longer needed, is dropped."""
    dsar_request.verification_method = method
    dsar_request.verified_at = clock.now()
    dsar_request.birth_date = None
    add_event(dsar_request, "verified", actor, to_status="verified", note=note or f"Verified by {method}.")
    if tell_subject:
        notify.verified(dsar_request)


# --- the e-mailed link ----------------------------------------------------------------------


def verify_token(dsar_request: DsarRequest) -> str:
    """A signed link token for this request; its issue time comes from the service clock."""
    return tokens.timed(VERIFY_SALT).dumps({"ref": dsar_request.reference, "n": dsar_request.verify_nonce,
                                            "iat": int(clock.now().timestamp()), "l": dsar_request.locale})


def verify_url(dsar_request: DsarRequest) -> str:
    return f"{current_app.config['PUBLIC_BASE_URL']}/dsar/verify?token={verify_token(dsar_request)}"


class LinkState(enum.Enum):
    VALID = "valid"
    INVALID = "invalid"  # altered, unknown or not ours
    EXPIRED = "expired"
    USED = "used"  # already used, or the case no longer waits for it
    VERIFIED = "verified"  # this call verified the request


@dataclasses.dataclass
class LinkCheck:
    state: LinkState
    locale: str = "fr"
    request: DsarRequest | None = None


def check_link(token: str | None, *, use: bool = False) -> LinkCheck:
    """Read a verification token; with ``use``, verify the request once. A token never
    verifies twice and never writes a second event."""
    if not token or len(token) > 1000:
        return LinkCheck(LinkState.INVALID)
    try:
        payload = tokens.timed(VERIFY_SALT).loads(token)
        if not isinstance(payload, dict) or not {"ref", "n", "iat"} <= payload.keys():
            raise tokens.BadData("unexpected payload")
        issued = dt.datetime.fromtimestamp(int(payload["iat"]), dt.timezone.utc)
    except (tokens.BadData, TypeError, ValueError, OverflowError):
        return LinkCheck(LinkState.INVALID)
    locale = payload.get("l") if payload.get("l") in ("fr", "en") else "fr"
    if clock.now() - issued > VERIFY_VALID:
        return LinkCheck(LinkState.EXPIRED, locale)
    try:
        dsar_request = get_request(str(payload["ref"]), for_update=use)
    except NotFound:
        return LinkCheck(LinkState.INVALID, locale)
    if not secrets.compare_digest(str(payload["n"]), dsar_request.verify_nonce):
        return LinkCheck(LinkState.INVALID, locale)
    if dsar_request.status != "awaiting_verification":
        return LinkCheck(LinkState.USED, locale, dsar_request)
    if not use:
        return LinkCheck(LinkState.VALID, locale, dsar_request)
    mark_verified(dsar_request, "email_link", SUBJECT, "The subject confirmed the address by the e-mailed link.")
    return LinkCheck(LinkState.VERIFIED, locale, dsar_request)


def send_reminders() -> int:
    """Worker job: one reminder, with a fresh link, to each address still unverified 3 days
    after its acknowledgement."""
    due = clock.now() - REMINDER_AFTER
    candidates = list(db.session.execute(
        db.select(DsarRequest.id).where(DsarRequest.status == "awaiting_verification",
                                        DsarRequest.email.is_not(None), DsarRequest.reminder_sent_at.is_(None),
                                        DsarRequest.created_at <= due)).scalars())
    sent = 0
    for request_id in candidates:
        # A conditional update claims the reminder, so two workers never both send it.
        claimed = db.session.execute(
            db.update(DsarRequest).where(DsarRequest.id == request_id, DsarRequest.reminder_sent_at.is_(None),
                                         DsarRequest.status == "awaiting_verification")
            .values(reminder_sent_at=clock.now(), version=DsarRequest.version + 1)
            .execution_options(synchronize_session=False)).rowcount
        if claimed != 1:
            db.session.rollback()
            continue
        dsar_request = db.session.get(DsarRequest, request_id, populate_existing=True)
        add_event(dsar_request, "reminder_sent", SYSTEM, note="Verification reminder sent.")
        notify.acknowledgement(dsar_request, verify_url(dsar_request), reminder=True)
        db.session.commit()
        sent += 1
    return sent
