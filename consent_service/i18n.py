"""Dates, times and amounts as a French or English reader expects them, in Paris time.

Every page and mail a tenant or a DPO reads writes its dates through these functions:
« lundi 2 mars 2026 », « 29 novembre 2026 à 14 h 02 », « 1 234,56 € »; in English
"Monday 2 March 2026", "29 November 2026 at 14:02", "€1,234.56".
"""
from __future__ import annotations

import datetime as dt
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
    text = f"{number} {MONTHS[locale][value.month - 1]} {value.year}"
    return f"{WEEKDAYS[locale][value.weekday()]} {text}" if weekday else text


def moment(value: dt.datetime | None, locale: str = "fr") -> str:
    """An instant in words, Paris time: « 29 novembre 2026 à 14 h 02 », "29 November 2026 at 14:02"."""
    if value is None:
        return "—"
    local = paris(value)
    locale = locale_of(locale)
    if locale == "fr":
        return f"{day(local.date(), 'fr')} à {local.hour} h {local.minute:02d}"
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
