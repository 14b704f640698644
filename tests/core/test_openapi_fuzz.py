"""schemathesis against /v1/openapi.json, in positive (valid inputs) and negative (invalid
inputs) modes: no 5xx, no response that breaks its own schema, and in positive mode no
input the document allows is refused (``positive_data_acceptance``: no 400, 405, 415, 422...).

The document states every rule OpenAPI 3.0 can say (patterns, lengths, bounds, "give X or Y"
as ``minProperties``/``anyOf``). The few it cannot are written in the fields' descriptions,
and positive generation is brought within them by :data:`WITHIN_PROSE_RULES` (each says why):
a generated case is changed only where it breaks such a rule, so everything else the document
allows is still sent as generated.
"""
from __future__ import annotations

import datetime as dt
import email.policy
import time
from collections.abc import Callable
from email.headerregistry import Address
from email.message import EmailMessage
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis.checks import content_type_conformance, not_a_server_error, response_schema_conformance
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import positive_data_acceptance

from consent_service import apikeys, clock
from consent_service.extensions import db
from cookies import policies
from cookies.demo import load_demo_site
from preferences import services as preferences

CHECKS = [not_a_server_error, response_schema_conformance, content_type_conformance]
EXAMPLES = {GenerationMode.POSITIVE: 30, GenerationMode.NEGATIVE: 20}
COUNTS: dict[str, int] = {}  # cases sent per mode, for the run's summary


# --- the body of POST /v1/dsar/inbound-email: an RFC 5322 message, which OpenAPI can only call
# "binary"; schemathesis's media-type registry is where a client's real bodies come from.

_WORD = st.text(st.characters(codec="utf-8", categories=["L", "N"]), min_size=1, max_size=12)
_LOCAL = st.from_regex(r"[a-z0-9]{1,12}(\.[a-z0-9]{1,8})?", fullmatch=True)
_DOMAIN = st.from_regex(r"[a-z0-9]{1,12}\.(fr|org|com|eu)", fullmatch=True)


@st.composite
def _rfc822(draw: st.DrawFn) -> bytes:
    message = EmailMessage(policy=email.policy.SMTP)
    name = " ".join(draw(st.lists(_WORD, max_size=3)))
    message["From"] = Address(display_name=name, addr_spec=f"{draw(_LOCAL)}@{draw(_DOMAIN)}")
    message["To"] = "dpo@example.org"
    message["Subject"] = " ".join(draw(st.lists(_WORD, max_size=6)))
    message.set_content(draw(st.text(st.characters(codec="utf-8", exclude_categories=["Cs", "Cc"]), max_size=300)))
    return message.as_bytes()


schemathesis.openapi.media_type("message/rfc822", _rfc822())


# --- rules the document states in prose only (OpenAPI 3.0 has no keyword for them) ----------

def _clean_keys(mapping: dict[str, Any], max_length: int, choices: list[str] | None = None) -> dict[str, Any]:
    """Keys of a free-form object within a key rule (OpenAPI 3.0 has no ``propertyNames``)."""
    out: dict[str, Any] = {}
    for index, (key, value) in enumerate(mapping.items()):
        if choices is not None:
            key = choices[index % len(choices)]
        elif not key or len(key) > max_length or any(ord(c) < 0x20 or c == "\x7f" for c in key):
            key = f"k{index}"
        out[key] = value
    return out


def _policy(case: Any) -> None:
    # One item naming another's (a cookie's category), and uniqueness by a member: JSON Schema's
    # uniqueItems compares whole items.
    body = case.body
    categories, seen, signals = [], set(), set()
    for category in body["categories"]:
        if category["key"] in seen:
            continue
        seen.add(category["key"])
        if category.get("consent_mode"):
            category["consent_mode"] = [s for s in dict.fromkeys(category["consent_mode"]) if s not in signals]
            signals.update(category["consent_mode"])
        categories.append(category)
    body["categories"] = categories
    keys = [c["key"] for c in categories]
    cookies = list({c["name"]: c for c in body["cookies"]}.values())
    for index, cookie in enumerate(cookies):
        cookie["category"] = keys[index % len(keys)]
    body["cookies"] = cookies


def _consent(case: Any) -> None:
    # a custom choice names the site's current categories, in a locale its texts have: what a
    # site's banner sends, read from GET /v1/sites/{site}/policy
    try:
        policy = policies.current_policy(case.path_parameters["site"])
    except Exception:  # no such site, or no policy yet: 404 whatever the body
        policy = None
    if isinstance(case.body.get("categories"), dict):
        keys = list(policy.required + policy.optional) if policy is not None else None
        case.body["categories"] = _clean_keys(case.body["categories"], 32, keys)
    if policy is not None and case.body.get("locale", "fr") not in policy.texts_hashes:
        case.body["locale"] = sorted(policy.texts_hashes)[0]


def _birth_date(case: Any) -> None:
    # "not after today": a bound that moves with the date
    if case.body.get("birth_date") and case.body["birth_date"] > clock.now().date().isoformat():
        case.body["birth_date"] = clock.now().date().isoformat()


def _received_at(case: Any) -> None:
    # "at most 366 days ago, not in the future": bounds that move with the time
    moment = dt.datetime.fromisoformat(case.body["received_at"].replace("Z", "+00:00"))
    now = clock.now()
    if not now - dt.timedelta(days=365) <= moment <= now:
        case.body["received_at"] = clock.rfc3339(now - dt.timedelta(days=1))


def _billing_date(where: str) -> Callable[[Any], None]:
    # "today or later in Paris, at most 2 months away": bounds that move with the date
    def repair(case: Any) -> None:
        values = case.query if where == "query" else case.body
        day = preferences.today(clock.now())
        if values and values.get("next_billing_date"):
            chosen = dt.date.fromisoformat(values["next_billing_date"])
            if not day <= chosen <= clock.add_months(day, 2):
                values["next_billing_date"] = (day + dt.timedelta(days=chosen.toordinal() % 28)).isoformat()
    return repair


def _themes(case: Any) -> None:
    # theme keys are the catalogue's, which the deployment configures; mandatory themes stay on
    themes = case.body.get("themes")
    if isinstance(themes, dict):
        catalogue = preferences.catalogue()
        themes = _clean_keys(themes, 64, list(catalogue.keys))
        case.body["themes"] = {key: on or bool(catalogue.theme(key).mandatory) for key, on in themes.items()}


def _changes(case: Any) -> None:
    if isinstance(case.body.get("changes"), dict):
        case.body["changes"] = _clean_keys(case.body["changes"], 64)


WITHIN_PROSE_RULES: dict[str, Callable[[Any], None]] = {
    "POST /v1/sites/{site}/policies": _policy,
    "POST /v1/sites/{site}/consents": _consent,
    "POST /v1/dsar/requests": _birth_date,
    "POST /v1/dsar/requests/intake": _received_at,
    "POST /v1/dsar/requests/{reference}/execute": _changes,
    "PATCH /v1/accounts/{account_id}/preferences": _themes,
    "PUT /v1/accounts/{account_id}/direct-debit": _billing_date("body"),
    "POST /v1/accounts/{account_id}/paperless": _billing_date("body"),
    "DELETE /v1/accounts/{account_id}/paperless": _billing_date("query"),
}
# "exactly one of visitor_id or account_id": query parameters are independent in OpenAPI
EXACTLY_ONE = {"GET /v1/consents": ("visitor_id", "account_id")}


def _label(operation: Any) -> str:
    return f"{operation.method.upper()} {operation.path}"


def _strategy(operation: Any, mode: GenerationMode) -> st.SearchStrategy:
    strategy = operation.as_strategy(generation_mode=mode)
    if mode is not GenerationMode.POSITIVE:
        return strategy
    label = _label(operation)
    if label in EXACTLY_ONE:
        one, other = EXACTLY_ONE[label]
        strategy = strategy.filter(lambda case: (one in (case.query or {})) != (other in (case.query or {})))
    repair = WITHIN_PROSE_RULES.get(label)
    if repair is not None:
        def repaired(case: Any) -> Any:
            repair(case)
            return case
        strategy = strategy.map(repaired)
    return strategy


def _operations(app, mode: GenerationMode):
    schema = schemathesis.openapi.from_wsgi("/v1/openapi.json", app)
    # The document says no string holds U+0000 (info.description, x-input-rules): OpenAPI 3.0
    # cannot say it of the keys of free-form objects.
    schema.config.generation.update(allow_x00=mode is not GenerationMode.POSITIVE)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert operations, "the OpenAPI description lists no operation"
    return operations


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=["positive", "negative"])
def test_api_never_fails_and_keeps_to_its_schema(app, mode):
    load_demo_site()
    app.config["CONSENT_RATE_LIMIT"] = "off"
    app.config["DSAR_RATE_LIMIT"] = "off"
    key = apikeys.create_key("fuzzer", list(apikeys.SCOPES))
    db.session.commit()
    headers = {"Authorization": f"Bearer {key}"}
    checks = CHECKS + ([positive_data_acceptance] if mode is GenerationMode.POSITIVE else [])
    failures, sent, started = [], [0], time.monotonic()
    operations = _operations(app, mode)
    for operation in operations:
        @settings(max_examples=EXAMPLES[mode], deadline=None, database=None, suppress_health_check=list(HealthCheck))
        @given(case=_strategy(operation, mode))
        def fuzz(case):
            sent[0] += 1
            case.call_and_validate(headers=headers, checks=checks)
            db.session.rollback()

        try:
            fuzz()
        except Unsatisfiable:
            # negative mode: the only inputs are path segments that any string satisfies
            assert mode is GenerationMode.NEGATIVE, f"{_label(operation)}: no valid input"
        except (Exception, BaseExceptionGroup) as err:  # all operations' failures, reported together
            failures.append(f"{_label(operation)}: {err}")
    print(f"schemathesis {mode.name.lower()}: {sent[0]} cases over {len(operations)} operations "
          f"in {time.monotonic() - started:.0f} s")
    assert not failures, "\n\n".join(failures)
