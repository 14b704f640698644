"""GET /v1/proofs/seals and GET /v1/consents/{id}/inclusion, and the recipe of docs/proofs.md."""
from __future__ import annotations

import datetime as dt
import hashlib
import re
from pathlib import Path

import pytest

from proofs import merkle

from .conftest import T0, at, execute, seal

RECIPE = Path(__file__).resolve().parents[2] / "docs" / "proofs.md"


@pytest.fixture
def reader(api_key):
    return api_key("consents:read")


@pytest.fixture
def sealed(record):
    ids = []
    for day in range(3):
        at(T0 + dt.timedelta(days=day))
        ids += [record() for _ in range(3)]
        seal()
    return ids


def test_seals_are_listed_newest_first_for_a_reader(client, reader, sealed):
    items = client.get("/v1/proofs/seals", headers=reader).get_json()["items"]
    assert [s["number"] for s in items] == [3, 2, 1]
    assert items[-1]["previous_hash"] == merkle.GENESIS and items[0]["previous_hash"] == items[1]["hash"]
    assert items[0]["sealed_at"] == "2027-03-03T09:00:00Z" and items[0]["leaf_count"] == 3


def test_seals_since_a_day_or_a_time_and_paged_by_number(client, reader, sealed):
    assert [s["number"] for s in client.get("/v1/proofs/seals?since=2027-03-02", headers=reader)
            .get_json()["items"]] == [3, 2]
    assert [s["number"] for s in client.get("/v1/proofs/seals?since=2027-03-02T09:00:01Z", headers=reader)
            .get_json()["items"]] == [3]
    assert [s["number"] for s in client.get("/v1/proofs/seals?before=3&limit=1", headers=reader)
            .get_json()["items"]] == [2]


@pytest.mark.parametrize("query", ["since=yesterday", "since=2027-02-30", "since=2027-03-01T09:00:00",
                                   "limit=0", "limit=5000", "before=x", "before=0"])
def test_bad_seal_queries_are_422(client, reader, sealed, query):
    response = client.get(f"/v1/proofs/seals?{query}", headers=reader)
    assert response.status_code == 422, response.get_json()


def test_seals_need_a_consents_read_key(client, api_key, sealed):
    assert client.get("/v1/proofs/seals").status_code == 401
    assert client.get("/v1/proofs/seals", headers=api_key("sites:admin")).status_code == 403


def test_an_inclusion_path_leads_from_the_record_to_its_seal(client, reader, sealed):
    body = client.get(f"/v1/consents/{sealed[4]}/inclusion", headers=reader).get_json()
    proof = client.get(f"/v1/consents/{sealed[4]}", headers=reader).get_json()
    assert body["record"] == proof
    assert body["seal"]["number"] == 2
    assert body["position"] == sorted(sealed[3:6]).index(sealed[4])  # recorded the same second: by id
    record_digest = hashlib.sha256(merkle.canonical(body["record"])).hexdigest()
    assert record_digest == body["record_digest"]
    envelope = {"kind": "consent", "id": sealed[4], "recorded_at": proof["recorded_at"], "record": record_digest}
    assert merkle.leaf_digest(envelope) == body["leaf_hash"]
    assert merkle.fold(body["leaf_hash"], body["path"]) == body["seal"]["merkle_root"]


def test_every_position_of_odd_sized_seals_has_a_valid_path(client, reader, record):
    at(T0)
    ids = [record() for _ in range(7)]
    seal(max_leaves=5)
    for consent_id in ids:
        body = client.get(f"/v1/consents/{consent_id}/inclusion", headers=reader).get_json()
        assert merkle.fold(body["leaf_hash"], body["path"]) == body["seal"]["merkle_root"], consent_id


def test_the_holder_of_the_consent_cookie_gets_its_inclusion_path(client, site, sealed, record):
    at(T0 + dt.timedelta(days=5))
    mine = record()  # the client now holds this decision's cookie
    seal()
    assert client.get(f"/v1/consents/{mine}/inclusion").status_code == 200
    assert client.get(f"/v1/consents/{sealed[0]}/inclusion").status_code == 401


def test_inclusion_of_an_unknown_record_is_404_and_of_an_unsealed_one_409(client, reader, sealed, record):
    for unknown in ("0123456789abcdef0123456789abcdef", "x" * 3000, "%00%27%22", "é"):
        assert client.get(f"/v1/consents/{unknown}/inclusion", headers=reader).status_code == 404, unknown
    fresh = record()
    response = client.get(f"/v1/consents/{fresh}/inclusion", headers=reader)
    assert response.status_code == 409 and "not sealed yet" in response.get_json()["message"]


def _recipe() -> str:
    text = RECIPE.read_text(encoding="utf-8")
    return re.search(r"<!-- recipe -->\n```python\n(.*?)```", text, re.S).group(1)


def test_the_documented_recipe_checks_a_record_against_a_seal_hash(client, reader, sealed):
    code = _recipe()
    assert len(code.strip().splitlines()) <= 16 and "import hashlib" in code
    namespace: dict = {}
    exec(compile(code, str(RECIPE), "exec"), namespace)  # noqa: S102 - the documented snippet, as written
    inclusion = client.get(f"/v1/consents/{sealed[7]}/inclusion", headers=reader).get_json()
    seal_hash = client.get("/v1/proofs/seals", headers=reader).get_json()["items"][0]["hash"]
    assert namespace["check"](inclusion, seal_hash) is True
    assert namespace["check"](inclusion, "0" * 64) is False
    edited = {**inclusion, "record": {**inclusion["record"], "action": "accept_all", "page": "https://x.example/"}}
    assert namespace["check"](edited, seal_hash) is False


def test_the_recipe_rejects_a_record_edited_in_the_database(client, reader, sealed):
    namespace: dict = {}
    exec(compile(_recipe(), str(RECIPE), "exec"), namespace)  # noqa: S102
    seal_hash = client.get("/v1/proofs/seals", headers=reader).get_json()["items"][-1]["hash"]
    execute("UPDATE consent_records SET ip = '192.0.2.0' WHERE consent_id = :id", id=sealed[1])
    inclusion = client.get(f"/v1/consents/{sealed[1]}/inclusion", headers=reader).get_json()
    assert namespace["check"](inclusion, seal_hash) is False
