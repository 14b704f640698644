"""Back-office users, sign-in and the lock after repeated failures."""
from __future__ import annotations

import datetime as dt
import logging
import re

import pyotp
from sqlalchemy.exc import IntegrityError
from werkzeug.security import check_password_hash, generate_password_hash

from consent_service import clock
from consent_service.extensions import db

from ..models import EMAIL_MAX, ROLES, BackofficeUser
from . import setting
from .audit import audit

log = logging.getLogger(__name__)

PASSWORD_MIN = 12
PASSWORD_MAX = 1024  # scrypt of a megabyte is a cheap way to burn a server's CPU
COMMON_PASSWORDS = frozenset({
    "motdepasse123", "password1234", "azertyuiop12", "123456789012", "qwertyuiop12", "administrateur",
    "motdepassedpo", "changeme1234", "bienvenue123", "passwordpassword",
})
EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")

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
    """The signed-in user of a session; None (signed out) once the user is disabled."""
    try:
        user = db.session.get(BackofficeUser, int(user_id))
    except (TypeError, ValueError):
        return None
    return user if user is not None and user.disabled_at is None else None


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
    if user.disabled_at is not None:
        _spend_the_same_time(password)
        audit(user.email, "sign_in_refused_disabled")
        return None
    if is_locked(user):
        _spend_the_same_time(password)
        audit(user.email, "sign_in_refused_locked")
        return None
    if not check_password_hash(user.password_hash, password):
        _count_failure(user)
        return None
    if needs_code(user):
        return user  # the second step (a one-time code) finishes the sign-in
    return finish_sign_in(user)


def _count_failure(user: BackofficeUser) -> None:
    """A wrong password or code: ``BACKOFFICE_LOCK_AFTER`` in a row lock the account."""
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


def finish_sign_in(user: BackofficeUser) -> BackofficeUser:
    user.failed_logins = 0
    user.locked_until = None
    user.last_login = clock.now()
    audit(user.email, "signed_in")
    return user


# --- the second factor (TOTP) -----------------------------------------------------------------


def needs_code(user: BackofficeUser) -> bool:
    """A user with an enrolled second factor always gives a code; with BACKOFFICE_REQUIRE_2FA
    every DPO must (an auditor only reads)."""
    return user.totp_secret is not None or (bool(setting("BACKOFFICE_REQUIRE_2FA")) and user.role == "dpo")


def new_secret() -> str:
    return pyotp.random_base32()


def provisioning_uri(user: BackofficeUser, secret: str) -> str:
    """What an authenticator app reads (typed in, or from a QR code another tool draws)."""
    return pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name="Espace DPO")


def _code_matches(secret: str, code: str) -> bool:
    code = (code or "").replace(" ", "")
    return len(code) == 6 and code.isdigit() and pyotp.TOTP(secret).verify(code, for_time=clock.now(),
                                                                          valid_window=1)


def check_code(user: BackofficeUser, code: str, secret: str | None = None) -> BackofficeUser | None:
    """Finish a sign-in with a one-time code: the enrolled secret's, or, while enrolling, the
    new ``secret``'s (then kept). A wrong code counts like a wrong password."""
    if user.disabled_at is not None or is_locked(user):
        audit(user.email, "sign_in_refused_locked" if user.disabled_at is None else "sign_in_refused_disabled")
        return None
    enrolling = user.totp_secret is None
    if not _code_matches(user.totp_secret or secret or "", code):
        _count_failure(user)
        return None
    if enrolling and secret:
        user.totp_secret = secret
        audit(user.email, "totp_enabled")
    return finish_sign_in(user)


# --- the DPO's commands -------------------------------------------------------------------------


def _existing(email: str) -> BackofficeUser:
    user = db.session.execute(db.select(BackofficeUser).where(
        BackofficeUser.email == normalise_email(email or ""))).scalar_one_or_none()
    if user is None:
        raise UserError("No back-office user has this e-mail address.")
    return user


def disable_user(email: str, actor: str = "cli") -> BackofficeUser:
    """The user can no longer sign in, and an open session ends at its next page."""
    user = _existing(email)
    if user.disabled_at is None:
        user.disabled_at = clock.now()
        audit(actor, "user_disabled", f"user {user.id}")
    db.session.flush()
    return user


def reset_password(email: str, password: str, actor: str = "cli") -> BackofficeUser:
    """A new password (the same rules as a new user's); the lock and the failure count are cleared."""
    user = _existing(email)
    problem = password_problem(password, user.email)
    if problem:
        raise UserError(problem)
    user.password_hash = generate_password_hash(password, method="scrypt")
    user.failed_logins = 0
    user.locked_until = None
    audit(actor, "password_reset", f"user {user.id}")
    db.session.flush()
    return user

