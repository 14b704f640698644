"""Back-office users, sign-in and the lock after repeated failures."""
from __future__ import annotations

import datetime as dt
import logging
import re

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

