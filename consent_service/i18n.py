"""Dates, times and amounts as a French or English reader expects them, in Paris time.

Every page and mail a tenant or a DPO reads writes its dates through these functions:
« lundi 2 mars 2026 », « 29 novembre 2026 à 14 h 02 », « 1 234,56 € »; in English
"Monday 2 March 2026", "29 November 2026 at 14:02", "€1,234.56".

French dates and times hold together with no-break spaces (U+00A0), so a narrow table cell never
wraps between « 14 h » and « 02 », nor between « 1er » and « mars »: inside a time (« 14 h 02 »),
after « à », and between the day, the month and the year. Only the space after the weekday and
the one before « à » may break. Plain-text mails carry them as UTF-8 like any other letter.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Callable, Mapping
from zoneinfo import ZoneInfo

from . import clock

LOCALES = ("fr", "en")
PARIS = ZoneInfo("Europe/Paris")

MONTHS = {
    "fr": ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
           "novembre", "décembre"),
    "en": ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December"),
}
WEEKDAYS = {
    "fr": ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"),
    "en": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
}
NARROW_NBSP = "\u202f"  # French puts it before « € » and between groups of digits
NBSP = "\u00a0"


def locale_of(value: object) -> str:
    """``en`` when asked for (``en``, ``en-GB``…), else French."""
    return "en" if isinstance(value, str) and value.lower().startswith("en") else "fr"


def paris(moment: dt.datetime) -> dt.datetime:
    """An instant (aware, or naive UTC as SQLite gives it back) in Paris time."""
    return clock.utc(moment).astimezone(PARIS)


def day(value: dt.date | dt.datetime | None, locale: str = "fr", *, weekday: bool = False) -> str:
    """A calendar day in words: « 1er mars 2026 », « lundi 2 mars 2026 », "Monday 2 March 2026".
    An instant is first taken to its Paris day."""
    if value is None:
        return "—"
    if isinstance(value, dt.datetime):
        value = paris(value).date()
    locale = locale_of(locale)
    number = "1er" if locale == "fr" and value.day == 1 else str(value.day)
    space = NBSP if locale == "fr" else " "
    text = f"{number}{space}{MONTHS[locale][value.month - 1]}{space}{value.year}"
    return f"{WEEKDAYS[locale][value.weekday()]} {text}" if weekday else text


def moment(value: dt.datetime | None, locale: str = "fr") -> str:
    """An instant in words, Paris time: « 29 novembre 2026 à 14 h 02 », "29 November 2026 at 14:02"."""
    if value is None:
        return "—"
    local = paris(value)
    locale = locale_of(locale)
    if locale == "fr":
        return f"{day(local.date(), 'fr')} à{NBSP}{local.hour}{NBSP}h{NBSP}{local.minute:02d}"
    return f"{day(local.date(), 'en')} at {local.hour:02d}:{local.minute:02d}"


def month(year: int, number: int, locale: str = "fr") -> str:
    """« mars 2026 », "March 2026"."""
    return f"{MONTHS[locale_of(locale)][number - 1]} {year}"


def number(value: int | float, locale: str = "fr", decimals: int = 0) -> str:
    """« 1 234,5 » (narrow no-break space, decimal comma), "1,234.5"."""
    text = f"{value:,.{decimals}f}"
    if locale_of(locale) == "fr":
        text = text.replace(",", NARROW_NBSP).replace(".", ",")
    return text


def euros(cents: int | None, locale: str = "fr") -> str:
    """An amount in cents: « 1 234,56 € », "€1,234.56"."""
    if cents is None:
        return "—"
    sign = "-" if cents < 0 else ""
    amount = number(abs(cents) / 100, locale, 2)
    return f"{sign}{amount}{NBSP}€" if locale_of(locale) == "fr" else f"{sign}€{amount}"


def plural(count: int, one: str, many: str, locale: str = "fr") -> str:
    """``one`` or ``many`` with ``{n}`` filled in (French counts 0 as singular, English does not)."""
    singular = count <= 1 if locale_of(locale) == "fr" else count == 1
    return (one if singular else many).format(n=number(count, locale))


# A code value → the reader's word for it (``None``: the word for no value, as an unclassified
# request's type). The label tables of dsar, datamap and the back-office map kinds to these.
Words = dict[str | None, str]


# --- sentences the service writes in English, as a French or English reader reads them --------

Converter = Callable[[str, str], str]  # (captured text, locale) -> the reader's words


@dataclasses.dataclass(frozen=True)
class Entry:
    pattern: re.Pattern[str]
    fr: str
    en: str | None = None  # None: the English text stays as written
    convert: Mapping[str, Converter] = dataclasses.field(default_factory=dict)


class Catalog:
    """English sentences the service writes (timeline notes, refusals, field errors), each a
    pattern with named parts, and how a reader reads them in French or English. A part may be
    converted (a code to its label, an ISO day to words). Text no entry matches is the
    reader's own words (a note the DPO typed) and comes back unchanged."""

    def __init__(self, *catalogs: Catalog) -> None:
        self.entries: list[Entry] = [entry for catalog in catalogs for entry in catalog.entries]

    def add(self, pattern: str, fr: str, en: str | None = None, **convert: Converter) -> None:
        self.entries.append(Entry(re.compile(pattern, re.DOTALL), fr, en, convert))

    def _match(self, text: str) -> tuple[Entry, re.Match[str]] | None:
        """The first sentence ``text`` is, with what its pattern captured."""
        for entry in self.entries:
            found = entry.pattern.fullmatch(text)
            if found:
                return entry, found
        return None

    def __call__(self, text: str | None, locale: str = "fr") -> str:
        if not text:
            return text or ""
        stripped = text.strip()
        matched = self._match(stripped)
        if matched is None:
            return text
        entry, found = matched
        template = entry.fr if locale_of(locale) == "fr" else entry.en
        if template is None:
            return text
        parts = found.groupdict()
        words = {name: (entry.convert[name](value, locale) if name in entry.convert and value is not None
                        else value or "") for name, value in parts.items()}
        return template.format(**words)


def iso_day(text: str, locale: str) -> str:
    """A converter: ``2027-03-01`` → « 1er mars 2027 »."""
    try:
        return day(dt.date.fromisoformat(text), locale)
    except ValueError:
        return text


def size(text: str, locale: str) -> str:
    """A converter: a byte count → « 6,9 Ko », "6.9 kB"."""
    count = int(text)
    units = ("octets", "Ko", "Mo", "Go") if locale_of(locale) == "fr" else ("bytes", "kB", "MB", "GB")
    value, unit = float(count), 0
    while value >= 1000 and unit < 3:
        value, unit = value / 1000, unit + 1
    return f"{number(value, locale, 0 if unit == 0 else 1)}{NBSP}{units[unit]}"


# Marshmallow's and the schemas' field messages.
FIELD_ERRORS = Catalog()
FIELD_ERRORS.add(r"Missing data for required field\.|Field may not be null\.", "Ce champ est requis.",
                 "This field is required.")
FIELD_ERRORS.add(r"Unknown field\.", "Champ inconnu.")
FIELD_ERRORS.add(r"Not a valid string\.", "Texte attendu.")
FIELD_ERRORS.add(r"Not a valid email address\.", "Adresse e-mail non valide.")
FIELD_ERRORS.add(r"Not a valid date\.", "Date non valide.")
FIELD_ERRORS.add(r"Not a valid datetime\.", "Date et heure non valides.")
FIELD_ERRORS.add(r"Not a valid boolean\.", "Oui ou non attendu.")
FIELD_ERRORS.add(r"Not a valid integer\.", "Nombre entier attendu.")
FIELD_ERRORS.add(r"Must be one of: .*", "Choisissez une des valeurs proposées.", "Choose one of the values offered.")
FIELD_ERRORS.add(r"Shorter than minimum length (?P<n>\d+)\.", "Trop court ({n} caractère(s) au moins).")
FIELD_ERRORS.add(r"Longer than maximum length (?P<n>\d+)\.", "Trop long ({n} caractères au plus).")
FIELD_ERRORS.add(r"Length must be between (?P<a>\d+) and (?P<b>\d+)\.", "Entre {a} et {b} caractères.")
FIELD_ERRORS.add(r"Control characters are not allowed\.", "Les caractères de contrôle ne sont pas admis.")
FIELD_ERRORS.add(r"Use letters, digits, '_' or '-'\.", "Lettres, chiffres, « _ » ou « - » seulement.")
FIELD_ERRORS.add(r"Invalid input type\.", "Type de valeur non valide.")
