"""What the data map's ``identity`` block says about an account: its address on file and the
automatic account + birth-date check (docs/rights-requests.md, "Who may verify a request").

Both read the one table the block names. Neither ever says *why* an account does not match
to the subject; the DPO sees the outcome (``AddressCheck``) on the request.
"""
from __future__ import annotations

import datetime as dt
import enum
import hmac
import logging

import sqlalchemy as sa

from .mapping import Identity
from .services import datamap, valid_account_id

log = logging.getLogger(__name__)


class AddressCheck(enum.StrEnum):
    """How a confirmed address compares with the account's address on file."""

    MATCH = "match"
    MISMATCH = "mismatch"
    NO_ACCOUNT = "no_account"  # no row for this account id in the identity table
    NOT_MAPPED = "not_mapped"  # the data map has no identity block
    UNAVAILABLE = "unavailable"  # the identity store did not answer


def normalise(address: str | None) -> str:
    """Addresses compare without surrounding spaces and case."""
    return (address or "").strip().casefold()


def _same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())


def _as_date_text(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    try:
        return dt.date.fromisoformat(str(value).strip()[:10]).isoformat()
    except ValueError:
        return None


def _identity_row(identity: Identity, account_id: str) -> dict | None:
    """The account's e-mail and birth date from the identity table (None: no such account)."""
    store = datamap().store(identity.store)
    table = identity.sa_table
    if store is None or store.engine is None or table is None:
        raise LookupError("the identity store is not reachable")
    subject = table.c[identity.subject_column]
    value: object = account_id
    if _python_type(subject) is int:
        if not account_id.isdigit():
            return None
        value = int(account_id)
    columns = [table.c[identity.email_column].label("email")]
    if identity.birth_date_column:
        columns.append(table.c[identity.birth_date_column].label("birth_date"))
    with store.engine.connect() as conn:
        rows = conn.execute(sa.select(*columns).where(subject == value).limit(2)).mappings().all()
    return dict(rows[0]) if len(rows) == 1 else None  # two accounts with one id identify no one


def _python_type(column) -> type | None:
    try:
        return column.type.python_type
    except NotImplementedError:
        return None


def check_address(account_id: str | None, address: str | None) -> AddressCheck:
    """Compare ``address`` (just confirmed by its owner) with the account's address on file."""
    identity = datamap().identity
    if identity is None:
        return AddressCheck.NOT_MAPPED
    if not account_id or not valid_account_id(account_id):
        return AddressCheck.NO_ACCOUNT
    try:
        row = _identity_row(identity, account_id)
    except Exception as err:
        log.warning("address check could not complete (%s)", type(err).__name__)
        return AddressCheck.UNAVAILABLE
    if row is None or not row["email"]:
        return AddressCheck.NO_ACCOUNT
    return AddressCheck.MATCH if _same(normalise(str(row["email"])), normalise(address)) else AddressCheck.MISMATCH


def verify_identity(account_id, birth_date, email) -> bool:
    """The automatic check: True only when the identity table holds this account with this
    birth date *and* this address (normalised). Knowing the id and the birth date is not
    enough: the answer would go to an address the account never had. Never says why not."""
    identity = datamap().identity
    if identity is None or not identity.birth_date_column or not valid_account_id(account_id):
        return False
    try:
        row = _identity_row(identity, account_id)
    except Exception as err:
        log.warning("identity check could not complete (%s)", type(err).__name__)
        return False
    if row is None:
        return False
    birth_matches = _same(_as_date_text(row["birth_date"]) or "\0", _as_date_text(birth_date) or "")
    email_matches = bool(row["email"]) and _same(normalise(str(row["email"])), normalise(email))
    return birth_matches and email_matches
