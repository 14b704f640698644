"""Hostile input turned into the contract's errors before any view runs (docs/api.md, "What
the service accepts").

One ``before_request`` hook reads every JSON body once with a parser that cannot be pushed
into a crash, and checks query strings and form fields; one URL converter keeps path
integers inside the range of the columns they look up. So no view, schema or query ever
meets text PostgreSQL cannot store, a number Python refuses to convert, or a document deep
enough to exhaust the stack:

- a body that is not UTF-8 or not JSON (``NaN`` and ``Infinity`` included) → 400;
- nesting deeper than :data:`MAX_DEPTH` → 400;
- a string or key holding a lone surrogate (``"\\ud800"``) or U+0000 → 422 naming the field
  (400 when the whole body is that string);
- a number longer than :data:`MAX_NUMBER_CHARS` characters, an integer outside 64 bits or a
  float that overflows → 422 naming the field;
- U+0000 in a query parameter or form field → 422 naming it under ``/v1``, 400 elsewhere;
- ``<int:…>`` path segments above :data:`MAX_PATH_INT` → 404 (no such resource).
"""
from __future__ import annotations

import json
import math
import re
from typing import Any, cast

from apispec import BasePlugin
from flask import Flask, Request, request
from werkzeug import exceptions as werkzeug_exceptions
from werkzeug.routing import IntegerConverter, Map

from .errors import BadRequest, Invalid
from .extensions import api
from .fields import ACCOUNT_ID_PATTERN
from .openapi_rules import SchemaRules

Path = tuple[str | int, ...]  # where a value sits in a document: keys and list indexes

MAX_DEPTH = 32
MAX_NUMBER_CHARS = 32
INT64 = 2**63
MAX_PATH_INT = 2**31 - 1  # the service's integer keys are 32-bit (PostgreSQL integer)
MAX_REPORTED = 20  # field errors listed at most; the first ones are enough to fix the client

NOT_UNICODE = "Not valid Unicode text (a lone surrogate)."
NUL = "The character U+0000 is not allowed."
KEY_NOT_UNICODE = "This key is not valid Unicode text, or holds U+0000."
TOO_LONG_NUMBER = f"Numbers have at most {MAX_NUMBER_CHARS} characters."
OUT_OF_RANGE = "Integers must fit in 64 bits (from -2^63 to 2^63-1)."
NOT_FINITE = "This number is too large."

RULES = {
    "body": "JSON bodies are UTF-8 JSON (RFC 8259; no NaN or Infinity) of at most 64 KiB.",
    "max_depth": MAX_DEPTH,
    "max_number_chars": MAX_NUMBER_CHARS,
    "integers": "from -2^63 to 2^63-1",
    "strings": "valid Unicode (no lone surrogate) without U+0000, in bodies, query parameters and form fields",
    "path_integers": f"from 0 to {MAX_PATH_INT}; larger names no resource (404)",
}


class _Oversized:
    """A number literal the parser kept as text: reported as a field error, never converted."""

    __slots__ = ("problem",)

    def __init__(self, problem: str) -> None:
        self.problem = problem


_KEPT_AS_TEXT = [0]  # numbers the parser kept as text, ever (a concurrent parse only costs a scan)


def _kept_as_text(problem: str) -> _Oversized:
    _KEPT_AS_TEXT[0] += 1
    return _Oversized(problem)


def _parse_int(text: str) -> int | _Oversized:
    if len(text) > MAX_NUMBER_CHARS:
        return _kept_as_text(TOO_LONG_NUMBER)
    value = int(text)
    return value if -INT64 <= value < INT64 else _kept_as_text(OUT_OF_RANGE)


def _parse_float(text: str) -> float | _Oversized:
    if len(text) > MAX_NUMBER_CHARS:
        return _kept_as_text(TOO_LONG_NUMBER)
    value = float(text)
    return value if math.isfinite(value) else _kept_as_text(NOT_FINITE)


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _text_problem(text: str) -> str | None:
    if "\x00" in text:
        return NUL
    if text.isascii():
        return None
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return NOT_UNICODE
    return None


def _printable_key(key: str) -> str:
    return key.encode("utf-8", "replace").decode("utf-8").replace("\x00", "\ufffd")[:100]


def scan(document: Any) -> tuple[int, dict[Path, str]]:
    """The document's depth and its problems by path (iteratively: no recursion to exhaust)."""
    problems: dict[Path, str] = {}
    deepest = 0
    stack: list[tuple[Any, Path, int]] = [(document, (), 0)]
    while stack:
        value, path, depth = stack.pop()
        if isinstance(value, dict):
            depth += 1
            deepest = max(deepest, depth)
            for key, inner in value.items():
                if _text_problem(key):
                    problems[path + (_printable_key(key),)] = KEY_NOT_UNICODE
                    continue
                stack.append((inner, path + (key,), depth))
        elif isinstance(value, list):
            depth += 1
            deepest = max(deepest, depth)
            stack.extend((inner, path + (index,), depth) for index, inner in enumerate(value))
        elif isinstance(value, str):
            problem = _text_problem(value)
            if problem:
                problems[path] = problem
        elif isinstance(value, _Oversized):
            problems[path] = value.problem
        if deepest > MAX_DEPTH:
            break
    return deepest, problems


def _bad_request(message: str) -> Exception:
    """400 in the family of the answer: the API's error, or a page's HTTP error (rendered
    without ending the transaction a signed-in page still reads its user from)."""
    if request and request.path.startswith("/v1"):
        return BadRequest(message)
    return werkzeug_exceptions.BadRequest(message)


_DECODER = json.JSONDecoder(parse_int=_parse_int, parse_float=_parse_float, parse_constant=_refuse_constant)
# Lone surrogates and U+0000 can only come from \u escapes (valid UTF-8 holds neither, and JSON
# refuses raw control characters in strings): a body without such an escape, in which the
# parser kept no number as text, needs no full scan.
_SUSPECT_ESCAPE = re.compile(r"\\u(?:0000|[dD][89a-fA-F])")


def _depth(document: Any) -> int:
    """How deep containers nest, visiting containers only (the common case stays cheap)."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(document, 1)] if isinstance(document, (dict, list)) else []
    while stack:
        value, depth = stack.pop()
        if depth > deepest:
            deepest = depth
            if deepest > MAX_DEPTH:
                break
        children = value.values() if isinstance(value, dict) else value
        stack.extend((child, depth + 1) for child in children if isinstance(child, (dict, list)))
    return deepest


def _parse(text: str) -> tuple[Any, bool]:
    """The document, and whether it needs :func:`scan` (a suspect escape, a number kept as text)."""
    kept_before = _KEPT_AS_TEXT[0]
    document = _DECODER.decode(text)
    suspect = _KEPT_AS_TEXT[0] != kept_before or ("\\u" in text and _SUSPECT_ESCAPE.search(text) is not None)
    return document, suspect


def _problems(document: Any, suspect: bool) -> tuple[int, dict[tuple[Any, ...], str]]:
    return scan(document) if suspect else (_depth(document), {})


def loads(data: bytes) -> Any:
    """Parse a JSON body under the rules above; raises :class:`BadRequest` (400) or :class:`Invalid` (422)."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise _bad_request("The body is not valid UTF-8.") from None
    try:
        document, suspect = _parse(text)
    except RecursionError:
        raise _bad_request(f"The body is nested deeper than {MAX_DEPTH} levels.") from None
    except ValueError:  # JSONDecodeError and NaN/Infinity
        raise _bad_request("The body is not valid JSON.") from None
    depth, problems = _problems(document, suspect)
    if depth > MAX_DEPTH:
        raise _bad_request(f"The body is nested deeper than {MAX_DEPTH} levels.")
    if problems:
        if () in problems:
            raise _bad_request(f"The body is not acceptable: {problems[()]}")
        # by location, as webargs reports them (errors.py unwraps it; a lone field called
        # "cookies" or "json" must not be taken for a location)
        if not request.path.startswith("/v1"):
            raise werkzeug_exceptions.BadRequest("Some values cannot be accepted.")
        raise Invalid("Some values cannot be accepted.", {"json": _nested(problems)})
    return document


def acceptable(data: bytes) -> Any | None:
    """The document when :func:`loads` would accept ``data``, else None: for handlers in front
    of Flask (cookies/hot.py), which then hand the request to Flask to answer the error."""
    try:
        text = data.decode("utf-8")
        document, suspect = _parse(text)
    except (ValueError, RecursionError):  # UnicodeDecodeError is a ValueError
        return None
    depth, problems = _problems(document, suspect)
    return None if depth > MAX_DEPTH or problems else document


def _nested(problems: dict[Path, str]) -> dict[str, Any]:
    """Field errors shaped like the schemas' (nested by field, list items by index)."""
    errors: dict[str, Any] = {}
    for path, problem in sorted(problems.items(), key=lambda item: [str(p) for p in item[0]])[:MAX_REPORTED]:
        target = errors
        for part in path[:-1]:
            target = target.setdefault(str(part), {})
            if not isinstance(target, dict):
                break
        else:
            target[str(path[-1])] = [problem]
    return errors


class GuardedRequest(Request):
    """The app's request class (``Flask.request_class``): once the guard has read a JSON body,
    ``get_json()`` answers from that single parse instead of parsing the body again: the
    document, or None for a body the guard refused, so that whatever renders the refusal (a
    page's forms read JSON bodies as form data) never meets the hostile body."""

    guarded_json: tuple[Any] | None = None  # (document,) once the guard has read the body

    def get_json(self, force: bool = False, silent: bool = False, cache: bool = True) -> Any:
        if self.guarded_json is not None:
            return self.guarded_json[0]
        return super().get_json(force=force, silent=silent, cache=cache)


def _check_body() -> None:
    if not request.is_json:
        return
    data = request.get_data(cache=True)  # over MAX_CONTENT_LENGTH: 413, raised here
    if not data.strip():
        return
    guarded = cast(GuardedRequest, request)
    try:
        document = loads(data)
    except Exception:
        guarded.guarded_json = (None,)
        raise
    guarded.guarded_json = (document,)


def _check_fields() -> None:
    """U+0000 in a query parameter or a form field (werkzeug already turned undecodable
    bytes into U+FFFD there)."""
    sources = [request.args]
    if request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        sources.append(request.form)
    bad = sorted({name for source in sources for name, value in source.items(multi=True)
                  if "\x00" in value or "\x00" in name})
    if not bad:
        return
    if request.path.startswith("/v1"):
        raise Invalid("Some values cannot be accepted.",
                      {"query": {_printable_key(name): [NUL] for name in bad[:MAX_REPORTED]}})
    raise _bad_request("A field holds a character that is not allowed.")


def guard() -> None:
    _check_body()
    _check_fields()


class BoundedInt(IntegerConverter):
    """``<int:…>`` limited to the range of the integer column it looks up: a larger number
    names no resource (404 from routing) instead of reaching the database."""

    def __init__(self, map: Map, fixed_digits: int = 0, min: int | None = None, max: int | None = None,  # noqa: A002
                 signed: bool = False) -> None:
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=MAX_PATH_INT if max is None else max,
                         signed=signed)


def _converter_schema(converter: BoundedInt) -> dict[str, Any]:
    return {"type": "integer", "minimum": 0 if not converter.signed else -MAX_PATH_INT - 1,
            "maximum": converter.max}


class _PathRules(BasePlugin):
    """Path parameters say what the service accepts: an ``account_id`` has the account-id
    pattern (anything else is refused with 422)."""

    def path_helper(self, path: str | None = None, operations: dict[str, Any] | None = None,
                    parameters: list[Any] | None = None, **kwargs: Any) -> None:
        shared = list(parameters or [])
        for operation in (operations or {}).values():
            shared.extend(operation.get("parameters", []) if isinstance(operation, dict) else [])
        for parameter in shared:
            if isinstance(parameter, dict) and parameter.get("in") == "path" and parameter.get("name") == "account_id":
                parameter.setdefault("schema", {}).update(pattern=ACCOUNT_ID_PATTERN, maxLength=128)


def init_app(app: Flask) -> None:
    """Before any blueprint registers its routes: the converter must exist when they compile."""
    app.request_class = GuardedRequest
    app.url_map.converters["int"] = BoundedInt
    api.register_converter(BoundedInt, _converter_schema)
    app.before_request(guard)
    api.spec.plugins.append(_PathRules())
    api.spec.plugins.append(SchemaRules())
    info = api.spec.options.setdefault("info", {})
    info["description"] = (info.get("description", "") + DESCRIPTION).strip()
    api.spec.options["x-input-rules"] = RULES


DESCRIPTION = f"""

**What the service accepts.** Errors are JSON `{{"code", "status", "message", "errors"}}`;
no input yields a 5xx. JSON bodies: UTF-8 JSON (no `NaN`/`Infinity`), at most 64 KiB (413),
nested at most {MAX_DEPTH} levels (400); malformed → 400. Every string (and key) must be valid
Unicode without U+0000: a lone surrogate such as `"\\ud800"` or U+0000 → 422 naming the field.
Numbers: at most {MAX_NUMBER_CHARS} characters, integers within 64 bits, floats finite → else
422 naming the field. Unknown fields → 422. Query parameters and form fields: no U+0000
(422). Integer path segments: 0 to {MAX_PATH_INT} (a larger one names no resource: 404).
"""
