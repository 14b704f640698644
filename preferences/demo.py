"""``flask demo``: one account in each paperless status, built through the service as a portal
and a DPO would have built it over the last months (so each has its history).

``A1001`` receives electronic notices (``on``), ``A1002`` cancelled too late (``ending``: one
last electronic notice), ``A1003`` asked this week (``pending``) and ``A1004`` went back to
paper by a letter the DPO recorded (``off``). Run with ``PREFERENCES_PATH`` at the demo
catalogue (``make run`` does) to see its five themes.
"""
from __future__ import annotations

import datetime as dt

from consent_service import clock
from consent_service.extensions import db

from . import services
from .catalogue import DEMO_PATH
from .models import AccountPreferences
from .services import Actor

PORTAL = Actor.portal("demo-portal")
DPO = Actor.dpo("dpo@demo.example.fr", "post", "Courrier du locataire : retour aux avis papier")


def _at(days_ago: int) -> dt.datetime:
    return clock.now() - dt.timedelta(days=days_ago)


def _subscribe(account_id: str, billing: dt.date, days_before: int, themes: dict[str, bool]) -> None:
    """Direct debit, then paperless asked ``days_before`` calendar days before ``billing``."""
    asked = dt.datetime.combine(billing - dt.timedelta(days=days_before), dt.time(9), tzinfo=dt.UTC)
    services.set_direct_debit(account_id, PORTAL, True, now=asked - dt.timedelta(days=1))
    services.start_paperless(account_id, PORTAL, billing, now=asked)
    if themes:
        services.update(account_id, PORTAL, _known(themes), email=True, now=asked + dt.timedelta(days=1))


def _known(themes: dict[str, bool]) -> dict[str, bool]:
    keys = services.catalogue().keys
    return {key: on for key, on in themes.items() if key in keys}


def load_demo_preferences() -> str:
    """Create the demo accounts' preferences that do not exist yet (idempotent)."""
    today = services.today()
    made = []
    plans = {
        "A1001": lambda: _subscribe("A1001", clock.add_months(today, -1), 30,
                                    {"building_works": True, "satisfaction_surveys": False}),
        "A1002": lambda: _ending("A1002", today),
        "A1003": lambda: _pending("A1003", today),
        "A1004": lambda: _back_to_paper("A1004", today),
    }
    gone = [account_id for account_id in plans if services.is_purged(account_id)]
    for account_id, plan in plans.items():
        if account_id not in gone and db.session.get(AccountPreferences, account_id) is None:
            plan()
            made.append(account_id)
    states = ", ".join(f"{a} {'purged' if a in gone else services.preferences_of(a)['paperless']['status']}"
                       for a in plans)
    hint = "" if services.catalogue().path == str(DEMO_PATH) else f"; set PREFERENCES_PATH={DEMO_PATH} for its themes"
    return f"paperless notices: {states}" + (f" (created {', '.join(made)})" if made else "") + hint


def _ending(account_id: str, today: dt.date) -> None:
    """Electronic since last month; cancelled today, 3 days before billing: too late."""
    billing = today + dt.timedelta(days=3)
    _subscribe(account_id, clock.add_months(billing, -1), 30, {"payment_reminders": True})
    services.stop_paperless(account_id, PORTAL, billing)


def _pending(account_id: str, today: dt.date) -> None:
    """Asked today for a billing date a month away: in time, electronic from then."""
    services.set_direct_debit(account_id, PORTAL, True, now=_at(2))
    services.start_paperless(account_id, PORTAL, clock.add_months(today, 1))


def _back_to_paper(account_id: str, today: dt.date) -> None:
    """Electronic for a few months, then a letter asking for paper again, recorded by the DPO
    20 days before today's billing date: in time, so today's notice was on paper."""
    first = clock.add_months(today, -3)
    _subscribe(account_id, first, 30, {})
    services.stop_paperless(account_id, DPO, today, now=_at(20))
