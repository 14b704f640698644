"""The sealer's canonical JSON, written directly from a row, is byte for byte the reference:
``json.dumps(fields(row), sort_keys=True, separators=(",", ":"), ensure_ascii=False)`` (the
encoding of docs/proofs.md's recipe), for generated rows of every kind of value a column may
hold. The verifier keeps the reference path, so a difference would also show there."""
from __future__ import annotations

import datetime as dt
import json

from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import JSON

from consent_service.types import UTCDateTime
from proofs import merkle
from proofs.sources import CONSENTS, PREFERENCES, Source, utc_text

TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=40)  # any text but lone surrogates
# what a column may hand back (SQLite keeps any type in any column)
SCALAR = st.one_of(TEXT, st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False, allow_infinity=False))
JSON_VALUE = st.recursive(st.one_of(st.none(), st.booleans(), st.integers(), TEXT,
                                    st.floats(allow_nan=False, allow_infinity=False)),
                          lambda inner: st.lists(inner, max_size=4) | st.dictionaries(TEXT, inner, max_size=4),
                          max_leaves=12)
ZONES = st.builds(lambda minutes: dt.timezone(dt.timedelta(minutes=minutes)), st.integers(-14 * 60, 14 * 60))
MOMENTS = st.datetimes(min_value=dt.datetime(1000, 1, 2), max_value=dt.datetime(9998, 12, 30), timezones=ZONES)


@st.composite
def stored_json(draw):
    """A JSON column's stored text, written any which way (key order, spacing, escapes)."""
    value = draw(JSON_VALUE)
    return value, json.dumps(value, ensure_ascii=draw(st.booleans()), indent=draw(st.sampled_from([None, 0, 2])),
                             separators=draw(st.sampled_from([None, (",", ":"), (" , ", " : ")])))


def _row(source: Source, draw) -> tuple[tuple, dict]:
    """A row of ``source.columns()`` (JSON as stored text) and the same row as SQLAlchemy maps it."""
    as_stored, as_mapped = [], {}
    for column in source.table.columns:
        if isinstance(column.type, UTCDateTime):
            value = draw(MOMENTS)
            as_stored.append(value)
            as_mapped[column.name] = value
        elif isinstance(column.type, JSON):
            parsed, text = draw(stored_json())
            as_stored.append(text)
            as_mapped[column.name] = parsed
        else:
            value = draw(SCALAR)
            as_stored.append(value)
            as_mapped[column.name] = value
    return tuple(as_stored), as_mapped


def _reference(source: Source, mapped: dict) -> bytes:
    fields = source.fields(mapped)
    reference = json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    assert merkle.canonical(fields) == reference
    return reference


@settings(max_examples=400, deadline=None)
@given(data=st.data())
def test_a_consent_rows_direct_canonical_json_is_the_references(data):
    row, mapped = _row(CONSENTS, data.draw)
    assert CONSENTS.canonical(row, utc_text(mapped["recorded_at"])) == _reference(CONSENTS, mapped)


@settings(max_examples=400, deadline=None)
@given(data=st.data())
def test_a_preference_rows_direct_canonical_json_is_the_references(data):
    row, mapped = _row(PREFERENCES, data.draw)
    assert PREFERENCES.canonical(row, utc_text(mapped["recorded_at"])) == _reference(PREFERENCES, mapped)

