"""docs/api.md cannot drift from the code: its table lists exactly the operations of
/v1/openapi.json, each with the key scopes the view requires (``apikeys.require_scope`` puts
them in the description as ``x-scopes``)."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from consent_service import create_app

API_DOC = Path(__file__).resolve().parents[2] / "docs" / "api.md"
ROW = re.compile(r"^\| `(GET|POST|PUT|PATCH|DELETE) (/v1/[^` ?]*)` \| ([^|]+) \|", re.MULTILINE)
METHODS = {"get", "post", "put", "patch", "delete"}


def documented(doc: Path = API_DOC) -> dict[tuple[str, str], str]:
    rows = ROW.findall(doc.read_text(encoding="utf-8"))
    table = {(method, path): who.strip() for method, path, who in rows}
    assert len(table) == len(rows), "an operation has two rows in docs/api.md"
    return table


@pytest.fixture(scope="module")
def operations() -> dict[tuple[str, str], dict]:
    app = create_app({"TESTING": True, "SECRET_KEY": "k", "SQLALCHEMY_DATABASE_URI": "sqlite://"},
                     environ={"SECRET_KEY": "k"})
    spec = app.test_client().get("/v1/openapi.json").get_json()
    return {(method.upper(), path): operation for path, item in spec["paths"].items()
            for method, operation in item.items() if method in METHODS}


def test_every_operation_of_the_api_is_in_docs_api_md(operations):
    missing = sorted(set(operations) - set(documented()))
    assert not missing, f"add a row to docs/api.md for: {missing}"


def test_docs_api_md_lists_no_operation_the_api_lacks(operations):
    stale = sorted(set(documented()) - set(operations))
    assert not stale, f"docs/api.md lists operations that do not exist: {stale}"


def test_each_row_names_who_may_call_the_operation(operations):
    table = documented()
    for key, operation in operations.items():
        who = table[key]
        security = operation.get("security")
        if not security:
            assert who.startswith("public"), f"{key}: the API has no key check, docs/api.md says {who!r}"
        elif {} in security:
            assert "cookie" in who, f"{key}: a key or the consent cookie, docs/api.md says {who!r}"
        else:
            scopes = operation.get("x-scopes") or []
            assert scopes and all(f"`{scope}`" in who for scope in scopes), (key, scopes, who)


def test_a_renamed_row_is_caught_both_ways(operations, tmp_path):
    """The checks above can fail: a row whose path no longer matches is missing and stale."""
    edited = tmp_path / "api.md"
    edited.write_text(API_DOC.read_text(encoding="utf-8").replace(
        "| `GET /v1/dsar/outbox` |", "| `GET /v1/dsar/outbox-gone` |"), encoding="utf-8")
    table = documented(edited)
    assert ("GET", "/v1/dsar/outbox") in set(operations) - set(table)
    assert ("GET", "/v1/dsar/outbox-gone") in set(table) - set(operations)
