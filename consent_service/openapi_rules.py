"""Rules of the input schemas that marshmallow cannot tell apispec by itself, written into
``/v1/openapi.json`` so that a client (or a fuzzer) keeping to the document is never refused.

- :func:`date_pattern`: a ``YYYY-MM-DD`` pattern admitting exactly the calendar dates of a range
  of years (29 February in leap years only), for date fields with static bounds;
- :class:`SchemaRules`: an apispec plugin adding a schema class's ``openapi_rules`` dict (e.g.
  ``minProperties``, ``anyOf``) to its component, for rules across fields ("give X or Y").

What OpenAPI 3.0 cannot state (bounds that move with today's date, one field naming another's
item, rules on the keys of free-form objects) is said in the field's description.
"""
from __future__ import annotations

import calendar
from typing import Any

from apispec import BasePlugin


def _digits(chars: list[str]) -> str:
    if len(chars) == 1:
        return chars[0]
    if chars == [str(d) for d in range(10)]:
        return "\\d"
    ints = sorted(int(c) for c in chars)
    if ints == list(range(ints[0], ints[-1] + 1)):
        return f"[{ints[0]}-{ints[-1]}]"
    return "[" + "".join(chars) + "]"


def _alternation(words: list[str]) -> str:
    """A regular expression (without anchors) matching exactly ``words``, all of one length."""
    if not words or not words[0]:
        return ""
    by_first: dict[str, list[str]] = {}
    for word in words:
        by_first.setdefault(word[0], []).append(word[1:])
    by_rest: dict[str, list[str]] = {}
    for first, rests in sorted(by_first.items()):
        by_rest.setdefault(_alternation(sorted(rests)), []).append(first)
    parts = [_digits(firsts) + (rest if "|" not in rest else f"({rest})") for rest, firsts in by_rest.items()]
    return "|".join(parts)


def date_pattern(first_year: int, last_year: int, last_month: int = 12) -> str:
    """``YYYY-MM-DD`` for every real date from 1 January ``first_year`` to the end of
    ``last_month`` of ``last_year``."""
    years = [f"{year:04d}" for year in range(first_year, last_year)]
    leap = [f"{year:04d}" for year in range(first_year, last_year + 1) if calendar.isleap(year)
            and (year < last_year or last_month >= 2)]

    def month_days(months: range) -> str:
        long = [f"{m:02d}" for m in months if m in (1, 3, 5, 7, 8, 10, 12)]
        short = [f"{m:02d}" for m in months if m in (4, 6, 9, 11)]
        parts = []
        if long:
            parts.append(f"({_alternation(long)})-(0[1-9]|[12]\\d|3[01])")
        if short:
            parts.append(f"({_alternation(short)})-(0[1-9]|[12]\\d|30)")
        if 2 in months:
            parts.append("02-(0[1-9]|1\\d|2[0-8])")
        return "|".join(parts)

    alternatives = [f"({_alternation(years)})-({month_days(range(1, 13))})"] if years else []
    alternatives.append(f"{last_year:04d}-({month_days(range(1, last_month + 1))})")
    if leap:
        alternatives.append(f"({_alternation(leap)})-02-29")
    return "^(" + "|".join(alternatives) + ")$"


def time_pattern(first_year: int, last_year: int) -> str:
    """An RFC 3339 time (``T`` and ``Z`` in upper case, a zone always given) of those years."""
    day = date_pattern(first_year, last_year)[1:-1]
    return f"^{day}T([01]\\d|2[0-3]):[0-5]\\d:[0-5]\\d(\\.\\d{{1,6}})?(Z|[+-]([01]\\d|2[0-3]):[0-5]\\d)$"


def _null_only(prop: dict[str, Any]) -> None:
    """apispec writes an optional nested schema (OpenAPI 3.0) as ``anyOf: [{$ref}, {"type":
    "object", "nullable": true}]``, whose second branch admits any object: it is meant as null."""
    for branch in prop.get("anyOf", ()):
        if branch == {"type": "object", "nullable": True}:
            branch["enum"] = [None]


class SchemaRules(BasePlugin):
    """A schema class's ``openapi_rules`` (JSON Schema keywords OpenAPI 3.0 knows) added to
    its component; nullable nested schemas admit null, not any object."""

    def schema_helper(self, name: str, definition: dict[str, Any], **kwargs: Any) -> dict[str, Any] | None:
        schema = kwargs.get("schema")
        cls = schema if isinstance(schema, type) else type(schema)
        for prop in definition.get("properties", {}).values():
            _null_only(prop)
        rules = getattr(cls, "openapi_rules", None)
        return {**definition, **rules} if rules else definition
