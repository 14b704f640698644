"""Timeline notes as the back-office reads them: the request tables' own (``dsar.wording.NOTES``),
and before them the notes of the data map's executors that name keys whose words only the
back-office can reach: an objection's cookie categories (the sites' current policies) and the
notification themes it turned off (the preferences catalogue), a rectification's columns and
tables (the data map's ``label`` and ``columns``)."""
from __future__ import annotations

from collections.abc import Callable

from consent_service import i18n
from consent_service.errors import NotFound
from consent_service.extensions import db
from cookies import policies
from cookies.models import Site
from datamap import services as datamap_services
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


def _column(name: str, lang: str) -> str:
    """The data map's label for a rectified column (the name if no table labels it)."""
    for _store, table in datamap_services.datamap().sql_tables():
        if name in table.column_labels:
            return table.column_labels[name].get(lang) or name
    return name


def _table(name: str, lang: str) -> str:
    """``store.table`` as the data map labels the table (the name if it does not)."""
    store_name, _, table_name = name.partition(".")
    store = datamap_services.datamap().store(store_name)
    table = store.table(table_name) if store else None
    return (table.label or {}).get(lang) or name if table else name


def _each(word: Callable[[str, str], str]) -> i18n.Converter:
    """A converter for a comma-separated list of keys."""
    return lambda value, lang: ", ".join(word(key.strip(), lang) for key in value.split(","))


_THEMES = {"fr": " Thèmes de notification désactivés : {}.", "en": " Notification themes turned off: {}."}

_EXECUTORS = i18n.Catalog()
_EXECUTORS.add(r"Objection recorded to: (?P<categories>[^.]+)\.(?: Notification themes turned off: (?P<themes>.+)\.)?",
               "Opposition enregistrée : {categories}.{themes}", "Objection recorded to: {categories}.{themes}",
               categories=_each(_category),
               themes=lambda value, lang: _THEMES[i18n.locale_of(lang)].format(_each(_theme)(value, lang)))

_EXECUTORS.add(r"Rectified (?P<fields>.+) in (?P<rows>\d+) row\(s\) of (?P<tables>.+)\.",
               "Rectifié : {fields} ({rows} ligne(s) ; {tables}).",
               "Rectified: {fields} ({rows} row(s); {tables}).", fields=_each(_column), tables=_each(_table))

TIMELINE_NOTES = i18n.Catalog(_EXECUTORS, NOTES)
