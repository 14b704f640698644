"""Hostile input on every operation of /v1/openapi.json and on every page: the cases are
generated from the document and from the URL map, not listed by hand. Each must answer the
contract's error (the exact code, the field named), never a 5xx.

What the generator covers, per operation: each path parameter (an integer past its column's
range; U+0000 and undecodable bytes in a string), each query parameter (U+0000), each string
of the request body, at any depth (a lone surrogate, U+0000), each number of the body (5,000
digits, 1e999), and bodies that are hostile as a whole (20,000-deep arrays, 5,000-deep
objects, a lone surrogate as the whole body, invalid UTF-8, NaN, an oversized number in an
unknown field). Per page (every non-/v1 route, the back-office signed in): U+0000 in a query
parameter and a form field, undecodable bytes, a 20,000-deep JSON body.
"""
from __future__ import annotations

import json
import re

import pytest

from consent_service import apikeys, input_guard
from consent_service.extensions import db

SURROGATE = "\ud800"
DEEP_ARRAYS = b"[" * 20000 + b"]" * 20000
DEEP_OBJECTS = b'{"a":' * 5000 + b"1" + b"}" * 5000
HUGE = "9" * 5000
CASES_RUN: dict[str, int] = {}


def _resolve(spec: dict, schema: dict | None) -> dict:
    while schema and "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        schema = spec["components"]["schemas"][name]
    return schema or {}


def _skeleton(spec: dict, schema: dict, depth: int = 0):
    """A body with every property present, shaped like the schema (values need not be valid:
    the guard must answer before any validation)."""
    schema = _resolve(spec, schema)
    for key in ("allOf", "oneOf", "anyOf"):
        if key in schema:
            return _skeleton(spec, schema[key][0], depth)
    kind = schema.get("type")
    if depth > 6:
        return "x"
    if kind == "object" or "properties" in schema:
        body = {name: _skeleton(spec, inner, depth + 1) for name, inner in schema.get("properties", {}).items()}
        extra = schema.get("additionalProperties")
        if isinstance(extra, dict):
            body["k"] = _skeleton(spec, extra, depth + 1)
        return body
    if kind == "array":
        return [_skeleton(spec, schema.get("items", {}), depth + 1)]
    if kind in ("integer", "number"):
        return 1
    if kind == "boolean":
        return True
    return "x"


def _leaves(value, path=()):
    if isinstance(value, dict):
        for key, inner in value.items():
            yield from _leaves(inner, path + (key,))
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            yield from _leaves(inner, path + (index,))
    else:
        yield path, value


def _replaced(document, path, new):
    copied = json.loads(json.dumps(document))
    target = copied
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = new
    return copied


def _named(errors: dict, path: tuple) -> bool:
    target = errors
    for part in path:
        if not isinstance(target, dict) or str(part) not in target:
            return False
        target = target[str(part)]
    return isinstance(target, list) and bool(target)


def _url(template: str, values: dict) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: values[m.group(1)], template)


def _operations(spec: dict):
    for template, item in spec["paths"].items():
        shared = item.get("parameters", [])
        for method, operation in item.items():
            if method in ("get", "post", "put", "patch", "delete"):
                yield template, method, operation, shared + operation.get("parameters", [])


def _check(response, code: int, label: str, field: tuple | None = None) -> None:
    CASES_RUN[label] = CASES_RUN.get(label, 0) + 1
    text = response.get_data(as_text=True)
    assert response.status_code == code, f"{label}: {response.status_code} {text[:300]}"
    body = response.get_json()
    assert body["code"] == code and body["status"], f"{label}: not the error shape: {text[:200]}"
    if field is not None:
        assert _named(body.get("errors") or {}, field), f"{label}: {field} not named in {body.get('errors')}"


@pytest.fixture
def everything(client):
    key = apikeys.create_key("hostile", list(apikeys.SCOPES))
    db.session.commit()
    return {"Authorization": f"Bearer {key}"}


def test_every_operation_answers_hostile_input_with_the_contract_errors(client, everything):
    spec = client.get("/v1/openapi.json").get_json()
    operations = list(_operations(spec))
    assert len(operations) >= 25, "the OpenAPI document lost operations"
    for template, method, operation, parameters in operations:
        path_params = [p for p in parameters if p["in"] == "path"]
        plain = {p["name"]: ("1" if p.get("schema", {}).get("type") == "integer" else "x") for p in path_params}
        url = _url(template, plain)
        call = getattr(client, method)
        label = f"{method.upper()} {template}"

        for param in path_params:
            if param.get("schema", {}).get("type") == "integer":
                too_big = _url(template, {**plain, param["name"]: "9" * 26})
                _check(call(too_big, headers=everything), 404, f"{label} path {param['name']} 26 digits")
            else:
                for hostile in ("a%00b", "%ED%A0%80"):
                    answer = call(_url(template, {**plain, param["name"]: hostile}), headers=everything)
                    CASES_RUN[label + " path"] = CASES_RUN.get(label + " path", 0) + 1
                    assert answer.status_code < 500 and answer.is_json, f"{label} path {hostile}: {answer.status_code}"
        for param in (p for p in parameters if p["in"] == "query"):
            _check(call(url, query_string={param["name"]: "a\x00b"}, headers=everything), 422,
                   f"{label} query {param['name']}", (param["name"],))

        for raw, code in ((DEEP_ARRAYS, 400), (DEEP_OBJECTS, 400), (b'"\\ud800"', 400), (b"\xff\xfe{}", 400),
                          (b'{"a": NaN}', 400), (f'{{"zz": {HUGE}}}'.encode(), 422)):
            _check(call(url, data=raw, content_type="application/json", headers=everything), code,
                   f"{label} body {raw[:12]!r}", ("zz",) if code == 422 else None)

        content = operation.get("requestBody", {}).get("content", {})
        if "application/json" not in content:
            continue
        skeleton = _skeleton(spec, content["application/json"].get("schema", {}))
        leaves = list(_leaves(skeleton)) if isinstance(skeleton, (dict, list)) else []
        for path, value in leaves:
            if not path:
                continue
            hostile_values = (SURROGATE, "nul\x00") if isinstance(value, str) else (HUGE, "1e999")
            for hostile in hostile_values:
                if isinstance(value, str):
                    raw = json.dumps(_replaced(skeleton, path, hostile)).encode()
                else:  # a number literal spliced in as text: json.dumps cannot write it
                    marker = "__hostile_number__"
                    raw = json.dumps(_replaced(skeleton, path, marker)).replace(f'"{marker}"', hostile).encode()
                _check(call(url, data=raw, content_type="application/json", headers=everything), 422,
                       f"{label} body {'.'.join(map(str, path))}", path)
    total = sum(CASES_RUN.values())
    print(f"\nhostile-input generator: {len(operations)} operations, {total} cases")
    assert total > 10 * len(operations)


PAGE_DEFAULTS = {"int": "1"}


def _pages(app):
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/v1") or rule.endpoint == "static" or "static" in rule.rule:
            continue
        values = {arg: PAGE_DEFAULTS.get(type(rule._converters[arg]).__name__.lower(), "x")
                  for arg in rule.arguments}
        if any(isinstance(c, input_guard.BoundedInt) for c in rule._converters.values()):
            values.update({a: "1" for a, c in rule._converters.items() if isinstance(c, input_guard.BoundedInt)})
        path = rule.rule
        for arg, value in values.items():
            path = re.sub(rf"<(?:[^:<>]+:)?{arg}>", value, path)
        for method in sorted((rule.methods or set()) & {"GET", "POST"}):
            yield method, path


def test_every_page_and_form_answers_hostile_input_without_a_5xx(app, make_user):
    from ..backoffice.conftest import sign_in

    app.config["WTF_CSRF_ENABLED"] = False
    app.config["BACKOFFICE_LOGIN_RATE_LIMIT"] = "off"
    make_user()
    client = app.test_client()
    assert sign_in(client).status_code == 302
    pages = list(_pages(app))
    assert any(p.startswith("/backoffice/requests/") for _m, p in pages) and ("POST", "/dsar/verify") in pages
    html = {"Accept": "text/html"}
    count = 0
    for method, path in pages:
        call = getattr(client, method.lower())
        answer = call(path, query_string={"q": "a\x00b", "token": "t\x00"}, headers=html)
        assert answer.status_code == 400, f"{method} {path} query NUL: {answer.status_code}"
        answer = call(path + "?lang=%ED%A0%80&token=%FF%FE", headers=html)
        assert answer.status_code < 500, f"{method} {path} undecodable query: {answer.status_code}"
        count += 2
        if method == "POST":
            answer = call(path, data={"token": "a\x00b", "email": "x\x00@y"}, headers=html)
            assert answer.status_code == 400, f"POST {path} form NUL: {answer.status_code}"
            raw = call(path, data=b"token=%ED%A0%80&email=%FF", content_type="application/x-www-form-urlencoded",
                       headers=html)
            assert raw.status_code < 500, f"POST {path} undecodable form: {raw.status_code}"
            deep = call(path, data=DEEP_ARRAYS, content_type="application/json", headers=html)
            assert deep.status_code == 400, f"POST {path} deep JSON: {deep.status_code}"
            count += 3
    print(f"\nhostile pages: {len(pages)} routes, {count} cases")


def test_the_hot_consent_path_hands_hostile_json_to_the_guard(client, everything):
    """``POST …/consents`` is answered in front of Flask once the policy is cached: hostile
    bodies must still get the guard's answers, and record nothing."""
    from cookies.models import ConsentRecord

    from ..cookies.helpers import decide, make_site

    make_site(client, everything)
    assert decide(client).status_code == 201  # the policy is now cached: the hot handler answers
    before = db.session.execute(db.select(db.func.count()).select_from(ConsentRecord)).scalar_one()
    url = "/v1/sites/espace-locataire/consents"
    for field in ("visitor_id", "page", "locale", "action"):
        raw = json.dumps({"action": "accept_all", "locale": "fr", field: SURROGATE}).encode()
        _check(client.post(url, data=raw, content_type="application/json"), 422, f"hot {field}", (field,))
    _check(client.post(url, data=b'{"action": "accept_all", "categories": {"analytics": ' + HUGE.encode() + b"}}",
                       content_type="application/json"), 422, "hot number", ("categories", "analytics"))
    _check(client.post(url, data=DEEP_ARRAYS, content_type="application/json"), 400, "hot deep")
    db.session.expire_all()
    assert db.session.execute(db.select(db.func.count()).select_from(ConsentRecord)).scalar_one() == before


@pytest.mark.parametrize("page", ["http://9]/v", "https://[::1/x", "http://[zz]/"])
def test_a_page_url_python_cannot_split_is_a_422(client, everything, page):
    """Found by schemathesis once the document said pages are http(s) URLs: urlsplit raises."""
    from ..cookies.helpers import make_site

    make_site(client, everything)
    for _ in range(2):  # Flask first, then the hot handler (the policy is cached by then)
        answer = client.post("/v1/sites/espace-locataire/consents", json={"action": "accept_all", "page": page})
        _check(answer, 422, f"page {page}", ("page",))
