"""Timeline notes as the back-office reads them: the request tables' own (``dsar.wording.NOTES``),
and before them the notes of the data map's executors that name keys whose words only the
back-office can reach: an objection's cookie categories (the sites' current policies) and the
notification themes it turned off (the preferences catalogue)."""
from __future__ import annotations

from collections.abc import Callable

from consent_service import i18n
from consent_service.errors import NotFound
from consent_service.extensions import db
from cookies import policies
from cookies.models import Site
from dsar.wording import NOTES
from preferences import services as preference_services


def _category(key: str, lang: str) -> str:
    """The label a site's current policy gives the cookie category ``key`` (the key if none does)."""
    for site_key in db.session.execute(db.select(Site.key).order_by(Site.key)).scalars():
        try:
            document = policies.current_policy(site_key).document
        except NotFound:  # a site without a policy yet
            continue
        for category in document.get("categories", []):
            if category.get("key") == key and isinstance(category.get("label"), dict):
                return str(category["label"].get(lang) or key)
    return key


def _theme(key: str, lang: str) -> str:
    """The preferences catalogue's label for the notification theme ``key`` (the key if it left)."""
    theme = preference_services.catalogue().theme(key)
    return theme.label.get(lang, key) if theme else key


def _each(word: Callable[[str, str], str]) -> i18n.Converter:
    """A converter for a comma-separated list of keys."""
    return lambda value, lang: ", ".join(word(key.strip(), lang) for key in value.split(","))


_THEMES = {"fr": " Thèmes de notification désactivés : {}.", "en": " Notification themes turned off: {}."}

_EXECUTORS = i18n.Catalog()
_EXECUTORS.add(r"Objection recorded to: (?P<categories>[^.]+)\.(?: Notification themes turned off: (?P<themes>.+)\.)?",
               "Opposition enregistrée : {categories}.{themes}", "Objection recorded to: {categories}.{themes}",
               categories=_each(_category),
               themes=lambda value, lang: _THEMES[i18n.locale_of(lang)].format(_each(_theme)(value, lang)))

TIMELINE_NOTES = i18n.Catalog(_EXECUTORS, NOTES)
