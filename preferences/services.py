"""Reading and changing an account's preferences, each change with its history row. Flush,
never commit.

Every change locks the account's row (created first when the account has none: an
``INSERT … ON CONFLICT DO NOTHING`` both concurrent callers survive), so two changes at the
same time are applied one after the other: the second one's "before" is the first one's
"after", both are in the history, and neither is lost.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Iterable
from typing import Any

from flask import current_app
from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite

from consent_service import clock, hooks
from consent_service.errors import Conflict, Invalid
from consent_service.extensions import db
from dsar.deadlines import paris_day

from . import paperless, texts
from .catalogue import Catalogue
from .models import AccountPreferences, PreferenceChange
from .paperless import Paperless

BILLING_HORIZON_MONTHS = 2  # a next billing date further away is not the next one of a monthly billing
PREFERENCES = AccountPreferences.__table__


@dataclasses.dataclass(frozen=True)
class Actor:
    """Who makes a change: ``portal`` (on the tenant's behalf; ``name`` is the API key's name),
    ``dpo`` (``name`` is the DPO's e-mail; ``channel`` how the tenant asked) or ``dsar`` (an
    objection; ``name`` is the request's reference)."""

    kind: str
    name: str | None = None
    channel: str | None = None
    note: str | None = None

    @classmethod
    def portal(cls, key_name: str | None) -> Actor:
        return cls("portal", key_name, "web")

    @classmethod
    def dpo(cls, name: str, channel: str = "post", note: str | None = None) -> Actor:
        return cls("dpo", name, channel, note or None)

    @classmethod
    def dsar(cls, reference: str | None) -> Actor:
        return cls("dsar", reference, None)


def catalogue() -> Catalogue:
    found: Catalogue = current_app.extensions["preferences_catalogue"]
    return found


def today(now: dt.datetime | None = None) -> dt.date:
    """The Paris day of ``now`` (default: the clock's now): the day a request is made on."""
    return paris_day(now or clock.now())


def _paperless_of(row: AccountPreferences | None) -> Paperless:
    if row is None:
        return paperless.OFF
    return Paperless(row.electronic_from, row.paper_from, row.last_electronic_on)


def _iso(day: dt.date | None) -> str | None:
    return day.isoformat() if day else None


def state_of(row: AccountPreferences | None, day: dt.date) -> dict[str, Any]:
    """The preferences as the API shows them on ``day`` (dates as ``YYYY-MM-DD``)."""
    cat = catalogue()
    state = _paperless_of(row).public(day)
    return {
        "themes": cat.themes_of(row.themes if row else {}),
        "email": row.email if row else cat.email_default,
        "paperless": {**state, "effective_on": _iso(state["effective_on"]),
                      "last_electronic_on": _iso(state["last_electronic_on"])},
        "direct_debit": bool(row and row.direct_debit),
    }


def get(account_id: str) -> AccountPreferences | None:
    return db.session.get(AccountPreferences, account_id)


def preferences_of(account_id: str, now: dt.datetime | None = None) -> dict[str, Any]:
    """The account's preferences today: the catalogue's defaults for an account never seen."""
    return state_of(get(account_id), today(now))


def history(account_id: str, limit: int = 1000, before: int | None = None) -> list[PreferenceChange]:
    """The account's changes, newest first; ``before``: only those older than that change id."""
    query = select(PreferenceChange).where(PreferenceChange.account_id == account_id)
    if before is not None:
        query = query.where(PreferenceChange.id < before)
    return list(db.session.execute(query.order_by(PreferenceChange.id.desc()).limit(limit)).scalars())


# --- validation that needs the catalogue or the day ------------------------------------------


def check_themes(themes: dict[str, bool]) -> None:
    """Unknown themes and mandatory themes turned off are refused (422), all named at once."""
    cat = catalogue()
    errors: dict[str, list[str]] = {}
    for key, on in themes.items():
        theme = cat.theme(key)
        if theme is None:
            errors[key[:64]] = [f"Unknown theme; the themes are: {', '.join(cat.keys)}."]
        elif theme.mandatory and not on:
            errors[key] = [texts.MANDATORY_THEME["en"]]
    if errors:
        raise Invalid("Some themes cannot be set so.", {"themes": errors})


def check_billing_date(billing_date: dt.date, day: dt.date, field: str = "next_billing_date") -> None:
    if billing_date < day:
        raise Invalid("The next billing date is in the past.",
                      {field: [f"Give the next billing date to come (today is {day.isoformat()} in Paris)."]})
    if billing_date > clock.add_months(day, BILLING_HORIZON_MONTHS):
        raise Invalid("The next billing date is too far away.",
                      {field: [f"Rent notices are monthly: give a date at most {BILLING_HORIZON_MONTHS} months away."]})


# --- changes --------------------------------------------------------------------------------


def _insert_unless_present():
    dialect = postgresql if db.session.get_bind().dialect.name == "postgresql" else sqlite
    return dialect.insert(PREFERENCES).on_conflict_do_nothing()


def is_purged(account_id: str) -> bool:
    """Whether the account's purge has started (or is done): it gets no new preferences."""
    purged = hooks.ACCOUNT_PURGED.find()
    return purged is not None and purged(account_id)


def _refuse_if_purged(account_id: str) -> None:
    if is_purged(account_id):
        raise Conflict(texts.ACCOUNT_PURGED["en"], {"account_id": [texts.ACCOUNT_PURGED["en"]]})


def _locked(account_id: str, now: dt.datetime) -> tuple[AccountPreferences, bool]:
    """The account's row, locked until the transaction ends (created when absent). A purged
    account gets no new preferences: checked before (the check may need its own transaction)
    and again once the row is held, for a purge that started meanwhile."""
    _refuse_if_purged(account_id)
    created = db.session.execute(
        _insert_unless_present().values(account_id=account_id, themes={}, email=catalogue().email_default,
                                        direct_debit=False, version=0, updated_at=now)
        .returning(PREFERENCES.c.account_id)).scalar_one_or_none() is not None
    row = db.session.execute(select(AccountPreferences).where(AccountPreferences.account_id == account_id)
                             .with_for_update().execution_options(populate_existing=True)).scalar_one()
    _refuse_if_purged(account_id)
    return row, created


Mutation = Callable[[AccountPreferences, dt.date], None]


def _change(account_id: str, actor: Actor, change: str, asked: dict[str, Any] | None, mutate: Mutation,
            now: dt.datetime | None = None, expected_version: int | None = None) -> dict[str, Any]:
    """Apply ``mutate`` to the locked row; when the preferences shown change, or a choice is
    recorded for the first time, write the history row. Returns the preferences after.
    ``expected_version``: the version a form was built from; another change since then is a 409
    (checked once the row is held, so nothing can slip in between)."""
    now = now or clock.now()
    day = today(now)
    row, created = _locked(account_id, now)
    if expected_version is not None and row.version != expected_version:
        raise Conflict(texts.CHANGED_SINCE["en"])
    before_themes = dict(row.themes or {})
    before = state_of(row, day)
    mutate(row, day)
    after = state_of(row, day)
    if after == before and row.themes == before_themes:
        if created:  # nothing to remember: leave no row behind for an account never seen
            db.session.delete(row)
            db.session.flush()
        return after
    row.version += 1
    row.updated_at = now
    db.session.add(PreferenceChange(account_id=account_id, recorded_at=now, actor=actor.kind,
                                    actor_name=actor.name, channel=actor.channel, change=change, asked=asked,
                                    before=before, after=after, note=actor.note))
    db.session.flush()
    return after


def update(account_id: str, actor: Actor, themes: dict[str, bool] | None = None, email: bool | None = None,
           now: dt.datetime | None = None, expected_version: int | None = None) -> dict[str, Any]:
    """Turn themes on or off and the e-mail channel; unknown or mandatory themes: 422."""
    if themes:
        check_themes(themes)

    def mutate(row: AccountPreferences, day: dt.date) -> None:
        if themes:
            row.themes = {**(row.themes or {}), **themes}
        if email is not None:
            row.email = email

    kind = "themes" if themes else "email"
    asked = {**({"themes": themes} if themes else {}), **({"email": email} if email is not None else {})}
    return _change(account_id, actor, kind, asked, mutate, now, expected_version)


def _next_billing(row: AccountPreferences, given: dt.date | None, day: dt.date) -> dt.date:
    if given is not None:
        return given
    if row.billing_anchor is None:
        raise Invalid("Give the next billing date.", {"next_billing_date": ["Missing data for required field."]})
    return paperless.next_billing_after(row.billing_anchor, day)


def _stop(row: AccountPreferences, day: dt.date, billing_date: dt.date | None) -> None:
    current = _paperless_of(row)
    if current.status(day) in ("off", "ending"):
        return
    billing = _next_billing(row, billing_date, day)
    stopped = paperless.stop(current, day, billing)
    row.electronic_from, row.paper_from, row.last_electronic_on = (
        stopped.electronic_from, stopped.paper_from, stopped.last_electronic_on)
    row.billing_anchor = billing


def start_paperless(account_id: str, actor: Actor, next_billing_date: dt.date,
                    now: dt.datetime | None = None, expected_version: int | None = None) -> dict[str, Any]:
    """Electronic rent notices, for a tenant who pays by direct debit (else 409)."""
    check_billing_date(next_billing_date, today(now))

    def mutate(row: AccountPreferences, day: dt.date) -> None:
        if not row.direct_debit:
            raise Conflict(texts.DIRECT_DEBIT_REQUIRED["en"],
                           {"direct_debit": {"reason": "direct_debit_required", **texts.DIRECT_DEBIT_REQUIRED}})
        current = _paperless_of(row)
        started = paperless.start(current, day, next_billing_date)
        row.electronic_from, row.paper_from, row.last_electronic_on = (
            started.electronic_from, started.paper_from, started.last_electronic_on)
        if started != current or row.billing_anchor is None:  # the billing the portal gives now
            row.billing_anchor = next_billing_date

    return _change(account_id, actor, "paperless_start", {"next_billing_date": next_billing_date.isoformat()},
                   mutate, now, expected_version)


def stop_paperless(account_id: str, actor: Actor, next_billing_date: dt.date | None = None,
                   now: dt.datetime | None = None, expected_version: int | None = None) -> dict[str, Any]:
    """Back to paper; without ``next_billing_date``, the next one of the monthly billing the
    portal gave when paperless was asked for."""
    if next_billing_date is not None:
        check_billing_date(next_billing_date, today(now))
    asked = {"next_billing_date": _iso(next_billing_date)}
    return _change(account_id, actor, "paperless_end", asked,
                   lambda row, day: _stop(row, day, next_billing_date), now, expected_version)


def set_direct_debit(account_id: str, actor: Actor, active: bool, next_billing_date: dt.date | None = None,
                     now: dt.datetime | None = None, expected_version: int | None = None) -> dict[str, Any]:
    """Direct debit on or off; off also ends paperless, by the same rule as a cancellation."""
    if next_billing_date is not None:
        check_billing_date(next_billing_date, today(now))

    def mutate(row: AccountPreferences, day: dt.date) -> None:
        row.direct_debit = active
        if not active:
            _stop(row, day, next_billing_date)

    asked = {"active": active, **({"next_billing_date": _iso(next_billing_date)} if next_billing_date else {})}
    return _change(account_id, actor, "direct_debit", asked, mutate, now, expected_version)


def apply_objection(account_id: str, categories: Iterable[str], actor: Actor) -> list[str]:
    """An objection (GDPR art. 21) naming themes turns them off; mandatory themes stay on (they
    protect the account). Returns the themes turned off."""
    cat = catalogue()
    named = [key for key in dict.fromkeys(categories) if (theme := cat.theme(key)) and not theme.mandatory]
    if not named:
        return []
    before = preferences_of(account_id)["themes"]
    after = _change(account_id, actor, "objection", {"themes": named},
                    lambda row, day: setattr(row, "themes", {**(row.themes or {}), **dict.fromkeys(named, False)}))
    return [key for key in named if before[key] and not after["themes"][key]]
