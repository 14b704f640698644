"""Opening a request (form, DPO intake, inbound e-mail) and verifying control of the address."""
from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import hashlib
import logging
import secrets

from flask import current_app
from sqlalchemy.exc import IntegrityError

from consent_service import clock, hooks, tokens
from consent_service.errors import NotFound
from consent_service.extensions import db

from . import deadlines, notify
from .models import DsarEvent, DsarRequest
from .services import SUBJECT, SYSTEM, add_event, get_request, new_reference

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


def dedup_key(email: str, type_: str | None) -> str:
    """One value per address and type: unique among requests awaiting verification (the
    workflow clears it when a request leaves that status), so two identical submissions at
    the same instant open one case whatever the database's isolation."""
    return hashlib.sha256(f"{email}\n{type_ or ''}".encode()).hexdigest()


def _awaiting(key: str) -> DsarRequest | None:
    query = db.select(DsarRequest).where(DsarRequest.dedup_key == key).with_for_update()
    return db.session.execute(query).scalar_one_or_none()


def _fold(existing: DsarRequest, channel: str, actor: str) -> Intake:
    """Join a submission to the same address's open case of the same type. A copy sent within
    minutes (a double submit) changes nothing more; a later one (the first link lost) gets a
    fresh link while the address is still unconfirmed."""
    add_event(existing, "duplicate_received", actor, note=f"Same request received again via {channel}.")
    if existing.email_confirmed_at is None and clock.now() - clock.utc(existing.created_at) > DUPLICATE_WINDOW:
        notify.acknowledgement(existing, verify_url(existing))
    return Intake(existing, True)


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
    key = dedup_key(email, type) if email else None
    if key is not None:
        existing = _awaiting(key)
        if existing is not None:
            return _fold(existing, channel, actor)
    received_at = (received_at or now).replace(microsecond=0)
    due_on, due_at = deadlines.deadline(received_at)
    dsar_request = DsarRequest(
        reference=new_reference(deadlines.paris_day(received_at).year), type=type, status="awaiting_verification",
        channel=channel, email=email, full_name=full_name, account_id=account_id, birth_date=birth_date,
        message=message, locale=locale, received_at=received_at, due_on=due_on, due_at=due_at, first_due_at=due_at,
        extended=False, verify_nonce=secrets.token_hex(8), created_at=now, dedup_key=key,
    )
    try:
        with db.session.begin_nested():
            db.session.add(dsar_request)
    except IntegrityError:  # the same submission, committed by another process meanwhile
        existing = _awaiting(key) if key is not None else None
        if existing is None:
            raise
        return _fold(existing, channel, actor)
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
        dsar_request.address_check = "match"
        mark_verified(dsar_request, "account_birth_date", SYSTEM,
                      "Account id, birth date and the account's address on file matched.")
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
    CONFIRMED = "confirmed"  # this call confirmed the address; the identity is still to be verified


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
        issued = dt.datetime.fromtimestamp(int(payload["iat"]), dt.UTC)
    except (tokens.BadData, TypeError, ValueError, OverflowError):
        return LinkCheck(LinkState.INVALID)
    locale: str = payload["l"] if payload.get("l") in ("fr", "en") else "fr"
    if clock.now() - issued > VERIFY_VALID:
        return LinkCheck(LinkState.EXPIRED, locale)
    try:
        dsar_request = get_request(str(payload["ref"]), for_update=use)
    except NotFound:
        return LinkCheck(LinkState.INVALID, locale)
    if not secrets.compare_digest(str(payload["n"]), dsar_request.verify_nonce):
        return LinkCheck(LinkState.INVALID, locale)
    if dsar_request.status != "awaiting_verification" or dsar_request.email_confirmed_at is not None:
        return LinkCheck(LinkState.USED, locale, dsar_request)
    if not use:
        return LinkCheck(LinkState.VALID, locale, dsar_request)
    return _confirm_address(dsar_request, locale)


# What the DPO reads on the timeline when a confirmed address did not verify the request (no
# address in it: a subject's export holds their requests' timelines).
NOT_VERIFIED_NOTES = {
    "mismatch": "The subject confirmed an address that is not the account's address on file.",
    "no_account": "The subject confirmed the address, but no account with this id has an address on file.",
    "not_mapped": "The subject confirmed the address; the data map has no identity block to compare it with.",
    "unavailable": "The subject confirmed the address; the account's address on file could not be read.",
}
VERIFY_ANOTHER_WAY = " Verify the subject's identity another way (document, in person) before executing."


def _confirm_address(dsar_request: DsarRequest, locale: str) -> LinkCheck:
    """The link proves control of the address. It verifies a request naming no account, and
    one naming an account only when this address is the account's address on file;
    otherwise the request keeps waiting for the DPO (an ``email_confirmed`` event)."""
    dsar_request.email_confirmed_at = clock.now()
    if not dsar_request.account_id:
        mark_verified(dsar_request, "email_link", SUBJECT, "The subject confirmed the address by the e-mailed link.")
        return LinkCheck(LinkState.VERIFIED, locale, dsar_request)
    outcome = str(hooks.ADDRESS_CHECK.get()(dsar_request.account_id, dsar_request.email))
    dsar_request.address_check = outcome
    if outcome == "match":
        mark_verified(dsar_request, "email_link", SUBJECT,
                      "The subject confirmed, by the e-mailed link, the account's address on file.")
        return LinkCheck(LinkState.VERIFIED, locale, dsar_request)
    note = NOT_VERIFIED_NOTES.get(outcome, NOT_VERIFIED_NOTES["unavailable"]) + VERIFY_ANOTHER_WAY
    add_event(dsar_request, "email_confirmed", SUBJECT, note=note)
    log.info("dsar %s: address confirmed, not verified (%s)", dsar_request.reference, outcome)
    return LinkCheck(LinkState.CONFIRMED, locale, dsar_request)


def identity_blocker(dsar_request: DsarRequest) -> str | None:
    """Why a request awaiting verification cannot be executed yet, in the DPO's words."""
    if dsar_request.status != "awaiting_verification":
        return None
    if dsar_request.email_confirmed_at is not None and dsar_request.address_check:
        return NOT_VERIFIED_NOTES.get(dsar_request.address_check, NOT_VERIFIED_NOTES["unavailable"]) \
            + VERIFY_ANOTHER_WAY
    return "The subject has not confirmed the request yet, and no other verification is recorded."


def send_reminders() -> int:
    """Worker job: one reminder, with a fresh link, to each address still unconfirmed 3 days
    after its acknowledgement (a confirmed address has nothing left to do with a link)."""
    due = clock.now() - REMINDER_AFTER
    candidates = list(db.session.execute(
        db.select(DsarRequest.id).where(DsarRequest.status == "awaiting_verification",
                                        DsarRequest.email.is_not(None), DsarRequest.reminder_sent_at.is_(None),
                                        DsarRequest.email_confirmed_at.is_(None),
                                        DsarRequest.created_at <= due)).scalars())
    sent = 0
    for request_id in candidates:
        # A conditional update claims the reminder, so two workers never both send it.
        claimed = db.session.execute(
            db.update(DsarRequest).where(DsarRequest.id == request_id, DsarRequest.reminder_sent_at.is_(None),
                                         DsarRequest.status == "awaiting_verification")
            .values(reminder_sent_at=clock.now(), version=DsarRequest.version + 1)
            .execution_options(synchronize_session=False)).rowcount  # type: ignore[attr-defined]
        if claimed != 1:
            db.session.rollback()
            continue
        dsar_request = db.session.get(DsarRequest, request_id, populate_existing=True)
        if dsar_request is None:  # deleted meanwhile (a retention sweep)
            db.session.rollback()
            continue
        add_event(dsar_request, "reminder_sent", SYSTEM, note="Verification reminder sent.")
        notify.acknowledgement(dsar_request, verify_url(dsar_request), reminder=True)
        db.session.commit()
        sent += 1
    return sent
