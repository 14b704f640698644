"""An account's preferences for the DPO: the look-up (audited, by id count only) and a change
the tenant asked for by post, e-mail or phone, recorded with the DPO's name. The rules are the
preferences API's own (``preferences.services`` and ``preferences.schemas``). Flush, never commit."""
from __future__ import annotations

import dataclasses
from typing import Any

from marshmallow import ValidationError

from consent_service import i18n
from consent_service.errors import ServiceError
from consent_service.fields import account_id_is_valid
from preferences import paperless, schemas
from preferences import services as preferences
from preferences import texts as preference_texts
from preferences.catalogue import Catalogue
from preferences.models import PreferenceChange

from . import Refused
from .audit import audit

HISTORY_LIMIT = 200
PAPERLESS_ACTIONS = ("keep", "start", "stop")
FORM_INCOMPLETE = "The form is incomplete: show the account again."


@dataclasses.dataclass
class AccountPreferences:
    account_id: str
    state: dict[str, Any]
    catalogue: Catalogue
    history: list[PreferenceChange]
    next_billing: str | None  # the next date of the monthly billing the portal gave, YYYY-MM-DD
    version: int  # the preferences' version shown: the DPO's form sends it back


def valid_account(account_id: str) -> str:
    account_id = (account_id or "").strip()
    if not account_id_is_valid(account_id):
        raise Refused(None, {"account_id": ["Not a valid account id."]}, 422)
    return account_id


def look_up(account_id: str, actor: str) -> AccountPreferences:
    """The account's preferences today and its latest changes; audited with the count only."""
    account_id = valid_account(account_id)
    row = preferences.get(account_id)
    day = preferences.today()
    history = preferences.history(account_id, HISTORY_LIMIT)
    anchor = row.billing_anchor if row else None
    audit(actor, "preferences_viewed", f"{len(history)} preference change(s)")
    return AccountPreferences(account_id, preferences.state_of(row, day), preferences.catalogue(), history,
                              paperless.next_billing_after(anchor, day).isoformat() if anchor else None,
                              row.version if row else 0)


def record(account_id: str, form: dict[str, Any], actor: str) -> list[int]:
    """Apply what the DPO's form changes, each as its own history row with the DPO as actor;
    returns the ids of the rows written. Refused (nothing written) when a value is wrong, or
    when the preferences changed since the form was shown (the form would undo that change)."""
    account_id = valid_account(account_id)
    try:
        meta = schemas.PostalChangeIn().load({"channel": form.get("channel"), "note": form.get("note") or None,
                                              "next_billing_date": form.get("next_billing_date") or None,
                                              "version": form.get("version")})
    except ValidationError as err:
        messages = err.normalized_messages()
        if "version" in messages:  # a hidden field: the form did not come whole from the page
            messages = {**{k: v for k, v in messages.items() if k != "version"}, "_": [FORM_INCOMPLETE]}
        raise Refused(None, messages, 422) from None
    who = preferences.Actor.dpo(actor, meta["channel"], meta["note"])
    billing = meta["next_billing_date"]
    action = form.get("paperless", "keep")
    if action not in PAPERLESS_ACTIONS:
        raise Refused(None, {"paperless": ["Choose keep, start or stop."]}, 422)
    if action == "start" and billing is None:
        raise Refused(None, {"next_billing_date": ["Give the next billing date."]}, 422)
    current = preferences.preferences_of(account_id)
    cat = preferences.catalogue()
    themes = {t.key: bool(form.get(f"theme_{t.key}")) for t in cat.themes if not t.mandatory}
    themes = {key: on for key, on in themes.items() if on != current["themes"][key]}
    email = bool(form.get("email"))
    direct_debit = form.get("direct_debit") == "yes"
    last = max((c.id for c in preferences.history(account_id, 1)), default=0)
    shown: list[int | None] = [meta["version"]]

    def first() -> int | None:
        """The version shown, for the first change only: it locks the row until commit, so the
        changes after it cannot meet another one."""
        return shown.pop() if shown else None

    try:
        if themes or email != current["email"]:
            preferences.update(account_id, who, themes or None, email if email != current["email"] else None,
                               expected_version=first())
        if direct_debit and not current["direct_debit"]:
            preferences.set_direct_debit(account_id, who, True, expected_version=first())
        if action == "start":
            preferences.start_paperless(account_id, who, billing, expected_version=first())
        elif action == "stop":
            preferences.stop_paperless(account_id, who, billing, expected_version=first())
        if not direct_debit and current["direct_debit"]:
            preferences.set_direct_debit(account_id, who, False, billing, expected_version=first())
    except ServiceError as err:
        raise Refused(err.message, err.errors, err.code) from None
    written = [c.id for c in preferences.history(account_id, 10) if c.id > last]
    audit(actor, "preferences_changed", f"preference change ids {', '.join(map(str, sorted(written)))}"
          if written else "no preference change")
    return written


def describe(change: PreferenceChange, catalogue: Catalogue, lang: str) -> list[str]:
    """What a change changed, in words (« Travaux dans ma résidence : activé »)."""
    on, off, colon = ("activé", "désactivé", " : ") if lang == "fr" else ("on", "off", ": ")
    before, after = change.before, change.after
    lines = []
    for key, value in after["themes"].items():
        if before["themes"].get(key) != value:
            theme = catalogue.theme(key)
            lines.append(f"{theme.label[lang] if theme else key}{colon}{on if value else off}")
    if before["email"] != after["email"]:
        lines.append(f"{catalogue.email_label[lang]}{colon}{on if after['email'] else off}")
    if before["direct_debit"] != after["direct_debit"]:
        lines.append(f"{preference_texts.DIRECT_DEBIT[lang]}{colon}{on if after['direct_debit'] else off}")
    if before["paperless"] != after["paperless"]:
        lines.append(paperless_words(after["paperless"], lang))
    return lines


def paperless_words(state: dict[str, Any], lang: str) -> str:
    """« Avis d'échéance électroniques, depuis le 10 mai 2027 »…"""
    words: str = preference_texts.STATUS[state["status"]][lang]
    effective: str | None = state.get("effective_on")
    last: str | None = state.get("last_electronic_on")
    if state["status"] == "ending" and last and effective:
        words += (f" le {i18n.iso_day(last, 'fr')}, papier à partir du {i18n.iso_day(effective, 'fr')}" if lang == "fr"
                  else f" on {i18n.iso_day(last, 'en')}, paper from {i18n.iso_day(effective, 'en')}")
    elif effective:
        words += (f" (à partir du {i18n.iso_day(effective, 'fr')})" if lang == "fr"
                  else f" (from {i18n.iso_day(effective, 'en')})")
    return words
