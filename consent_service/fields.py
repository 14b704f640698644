"""Marshmallow fields that refuse what a database or a log should never see."""
from __future__ import annotations

import re
from typing import Any

from marshmallow import ValidationError, fields, validate

from .clock import rfc3339

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_CONTROL_ONE_LINE = re.compile(r"[\x00-\x1f\x7f]")
# The same rules as JSON Schema patterns, for the OpenAPI document (ECMA-262 syntax).
LINE_PATTERN = "^[^\\u0000-\\u001f\\u007f]*$"
TEXT_PATTERN = "^[^\\u0000-\\u0008\\u000b\\u000c\\u000e-\\u001f\\u007f]*$"


class CleanString(fields.String):
    """A string with a length limit and no NUL or control characters.

    ``multiline`` keeps newlines and tabs (free-text messages); otherwise any control
    character is refused.
    """

    def __init__(self, *, max_length: int = 200, min_length: int = 0, multiline: bool = False, **kwargs: Any) -> None:
        self._pattern = _CONTROL if multiline else _CONTROL_ONE_LINE
        validators = list(kwargs.pop("validate", []) or [])
        validators.insert(0, validate.Length(min=min_length, max=max_length))
        if not any(isinstance(v, validate.Regexp) for v in validators):  # the OpenAPI document says it too
            kwargs.setdefault("metadata", {}).setdefault("pattern", TEXT_PATTERN if multiline else LINE_PATTERN)
        super().__init__(validate=validators, **kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        text: str = super()._deserialize(value, attr, data, **kwargs)
        if self._pattern.search(text):
            raise ValidationError("Control characters are not allowed.")
        return text


def identifier(max_length: int = 64, **kwargs: Any) -> CleanString:
    """Opaque ids: letters, digits, ``_`` and ``-``."""
    extra = list(kwargs.pop("validate", []) or [])
    pattern = validate.Regexp(r"^[A-Za-z0-9_-]+$", error="Use letters, digits, '_' or '-'.")
    return CleanString(max_length=max_length, min_length=1, validate=[pattern, *extra], **kwargs)


# A letter or digit, then letters, digits and "._@:-" with no ".." (the OpenAPI document says it
# with maxLength 128; no lookahead, so that any JSON Schema tool can generate from it).
ACCOUNT_ID_PATTERN = r"^[A-Za-z0-9](\.?[A-Za-z0-9_@:-])*\.?$"
ACCOUNT_ID_MAX = 128


def account_id_is_valid(value: str) -> bool:
    """Account ids are opaque but must never reach outside a folder or a URL segment."""
    return len(value) <= ACCOUNT_ID_MAX and bool(re.fullmatch(ACCOUNT_ID_PATTERN, value)) and ".." not in value


class StrictBoolean(fields.Boolean):
    """Only JSON ``true`` and ``false``; ``"yes"`` or ``1`` are refused rather than guessed."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> bool:
        if not isinstance(value, bool):
            raise self.make_error("invalid", input=value)
        return value


class Rfc3339(fields.String):
    """A UTC time written as the contract wants it: ``2027-01-31T09:00:00Z``."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("metadata", {}).setdefault("format", "date-time")
        super().__init__(**kwargs)

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> str | None:
        return rfc3339(value) if value is not None else None
