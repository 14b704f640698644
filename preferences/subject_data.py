"""An account's preferences and their history, for access exports and erasures (the data map
engine calls these). Flush, never commit."""
from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlalchemy import delete, select

from consent_service import clock
from consent_service.extensions import db
from proofs import erasures

from . import services, texts
from .models import AccountPreferences, PreferenceChange
from .schemas import ChangeOut

CHUNK = 500
CHANGE_OUT = ChangeOut()
# What Article 15 requires the subject be told about this data, in each language (the export's
# summary page), and in both at once (its article15.json, one text per field).
ABOUT_BY_LANG: dict[str, dict[str, Any]] = {
    "fr": {"purpose": "Vos choix de notifications et d'avis d'échéance (« Mes préférences »), et la preuve de "
                      "chacun",
           "lawful_basis": "Consentement (RGPD art. 6(1)(a)) et exécution du bail (art. 6(1)(b))",
           "recipients": ("Le service gestion locative du bailleur",),
           "retention_period": "Tant que votre compte existe ; effacés avec lui",
           "source": "Vos choix sur l'espace locataire, ou vos courriers au bailleur"},
    "en": {"purpose": "Your notification and rent-notice choices (\"My preferences\"), and the proof of each",
           "lawful_basis": "Consent (GDPR art. 6(1)(a)) and the lease contract (art. 6(1)(b))",
           "recipients": ("The landlord's tenancy management",),
           "retention_period": "As long as your account exists; erased with it",
           "source": "Your choices on the tenant portal, or your letters to the landlord"},
}
ABOUT = {key: (tuple(f"{fr} / {en}" for fr, en in zip(value, ABOUT_BY_LANG["en"][key], strict=True))
               if isinstance(value, tuple) else f"{value} / {ABOUT_BY_LANG['en'][key]}")
         for key, value in ABOUT_BY_LANG["fr"].items()}
TABLES = ("account_preferences", "preference_changes")


def _labelled(state: dict[str, Any]) -> dict[str, Any]:
    """A preferences snapshot with the French and English words a tenant reads."""
    cat = services.catalogue()
    themes = []
    for key, on in state["themes"].items():
        theme = cat.theme(key)
        themes.append({"key": key, "on": on, "label": dict(theme.label) if theme else {"fr": key, "en": key}})
    status = state["paperless"]["status"]
    return {
        "themes": themes,
        "email": {"on": state["email"], "label": dict(cat.email_label)},
        "direct_debit": {"on": state["direct_debit"], "label": texts.DIRECT_DEBIT},
        "paperless": {**state["paperless"], "label": texts.STATUS[status]},
    }


def export_account(account_id: str) -> dict[str, Iterator[dict[str, Any]]]:
    """The account's preferences today (one row, when it has any) and its history (oldest first)."""
    return {"account_preferences": _current(account_id), "preference_changes": _changes(account_id)}


def _current(account_id: str) -> Iterator[dict[str, Any]]:
    row = services.get(account_id)
    if row is not None:
        yield {**_labelled(services.state_of(row, services.today())), "updated_at": clock.rfc3339(row.updated_at)}


def _changes(account_id: str) -> Iterator[dict[str, Any]]:
    query = (select(PreferenceChange).where(PreferenceChange.account_id == account_id)
             .order_by(PreferenceChange.id).execution_options(yield_per=CHUNK))
    for change in db.session.execute(query).scalars():
        yield {**CHANGE_OUT.dump(change),
               "change_label": texts.CHANGE[change.change], "actor_label": texts.ACTOR[change.actor],
               "channel_label": texts.CHANNEL.get(change.channel or "", None),
               "before": _labelled(change.before), "after": _labelled(change.after)}


def erase_account(account_id: str) -> dict[str, int]:
    """Delete the account's preferences, then its history (in this order: a change being made
    holds the preferences row, so the history is read after it committed)."""
    preferences = db.session.execute(delete(AccountPreferences).where(AccountPreferences.account_id == account_id)
                                     .returning(AccountPreferences.account_id)).scalars().all()
    erased = db.session.execute(delete(PreferenceChange).where(PreferenceChange.account_id == account_id)
                                .returning(PreferenceChange.id)).scalars().all()
    counts = {"account_preferences": len(preferences),
              # sealed leaves stay (docs/proofs.md): the seals learn these rows went lawfully
              "preference_changes": erasures.note_erased("preference", [str(i) for i in erased])}
    db.session.flush()
    return counts


def count_account(account_id: str) -> dict[str, int]:
    """How many preference rows and history rows the account has (for checks)."""
    session = db.session
    return {
        "account_preferences": session.execute(select(db.func.count()).select_from(AccountPreferences)
                                               .where(AccountPreferences.account_id == account_id)).scalar_one(),
        "preference_changes": session.execute(select(db.func.count()).select_from(PreferenceChange)
                                              .where(PreferenceChange.account_id == account_id)).scalar_one(),
    }
