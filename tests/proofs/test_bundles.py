"""The banner that asked: every served banner.js bundle kept, its hash in each proof."""
from __future__ import annotations

import datetime as dt
import hashlib

import pytest
import sqlalchemy as sa

from consent_service.extensions import db
from cookies import pages
from proofs import bundles
from proofs.models import BannerBundle

from ..cookies.helpers import decide
from .conftest import T0, at

SOURCE = "(function(){var BUNDLE='__BANNER_BUNDLE__';window.asked=BUNDLE;})();\n"


@pytest.fixture
def banner(tmp_path, monkeypatch, site):
    """banner.js served from a file of the test's own (H13 changes the real one meanwhile)."""
    source = tmp_path / "banner.min.js"
    source.write_text(SOURCE)
    monkeypatch.setattr(pages, "BANNER_SOURCE", source)
    pages._built.clear()
    yield source
    pages._built.clear()


def _bundles():
    return db.session.execute(sa.select(BannerBundle).order_by(BannerBundle.first_served_at)).scalars().all()


def _bundle_id(client) -> str:
    body = client.get("/banner.js").data.decode()
    return body.split("var BUNDLE='")[1][:16]


def test_the_served_bundle_is_stamped_and_kept_with_its_hash(client, banner):
    at(T0)
    response = client.get("/banner.js")
    bundle_id = hashlib.sha256(SOURCE.encode()).hexdigest()[:16]
    assert response.data == SOURCE.replace("__BANNER_BUNDLE__", bundle_id).encode()
    (kept,) = _bundles()
    assert kept.banner_hash == hashlib.sha256(response.data).hexdigest()
    assert kept.body.encode() == response.data and kept.bundle_id == bundle_id
    assert kept.first_served_at == kept.last_served_at == T0
    assert response.headers["ETag"] == f'"{kept.banner_hash[:32]}"'


def test_serving_again_moves_last_served_and_a_new_version_is_kept_beside_the_old(client, banner):
    at(T0)
    client.get("/banner.js")
    bundles.forget()  # as another process would
    at(T0 + dt.timedelta(hours=2))
    assert client.get("/banner.js", headers={"If-None-Match": "stale"}).status_code == 200
    (kept,) = _bundles()
    assert (kept.first_served_at, kept.last_served_at) == (T0, T0 + dt.timedelta(hours=2))
    banner.write_text(SOURCE.replace("asked", "askedAgain"))
    at(T0 + dt.timedelta(days=1))
    newer = client.get("/banner.js").data
    old, new = _bundles()
    assert old.last_served_at == T0 + dt.timedelta(hours=2) and new.first_served_at == T0 + dt.timedelta(days=1)
    assert new.banner_hash == hashlib.sha256(newer).hexdigest() != old.banner_hash


def test_a_decision_names_the_bundle_that_asked(client, api_key, banner, site):
    at(T0)
    bundle_id = _bundle_id(client)
    bundles.forget()  # the decision reaches a process that did not serve the script
    consent_id = decide(client, site, banner=bundle_id).get_json()["consent_id"]
    proof = client.get(f"/v1/consents/{consent_id}", headers=api_key("consents:read")).get_json()
    assert proof["banner_hash"] == _bundles()[0].banner_hash


@pytest.mark.parametrize("body", [{}, {"banner": "0123456789abcdef"}])
def test_no_or_an_unknown_bundle_records_no_banner(client, api_key, banner, site, body):
    _bundle_id(client)
    consent_id = decide(client, site, **body).get_json()["consent_id"]
    proof = client.get(f"/v1/consents/{consent_id}", headers=api_key("consents:read")).get_json()
    assert proof["banner_hash"] is None


@pytest.mark.parametrize("value", ["0123456789ABCDEF", "0123", "0123456789abcdef0", 12, None, "../../etc/passwd"])
def test_a_malformed_bundle_id_is_422(client, banner, site, value):
    response = decide(client, site, banner=value)
    assert response.status_code == 422 and "banner" in response.get_json()["errors"]


def test_the_banner_is_served_even_when_its_version_cannot_be_recorded(client, banner, monkeypatch):
    def broken(*args, **kwargs):
        raise sa.exc.OperationalError("INSERT", {}, Exception("database down"))

    monkeypatch.setattr(bundles.db.engine, "begin", broken)
    assert client.get("/banner.js").status_code == 200
    monkeypatch.undo()
    assert _bundles() == []


def test_the_real_banner_is_served_stamped_with_its_bundle_id(client):
    pages._built.clear()
    text = pages.BANNER_SOURCE.read_text(encoding="utf-8")
    assert text.count(bundles.PLACEHOLDER) == 1
    served = client.get("/banner.js").data.decode()
    assert bundles.PLACEHOLDER not in served and f"'{bundles.stamp(text).bundle_id}'" in served.replace('"', "'")


def test_a_bundle_is_given_back_by_its_hash_to_a_reader(client, api_key, banner):
    served = client.get("/banner.js").data
    banner_hash = hashlib.sha256(served).hexdigest()
    reader = api_key("consents:read")
    body = client.get(f"/v1/proofs/bundles/{banner_hash}", headers=reader).get_json()
    assert hashlib.sha256(body["body"].encode()).hexdigest() == banner_hash == body["banner_hash"]
    assert client.get(f"/v1/proofs/bundles/{'0' * 64}", headers=reader).status_code == 404
    assert client.get(f"/v1/proofs/bundles/{banner_hash}").status_code == 401
    assert client.get(f"/v1/proofs/bundles/{banner_hash}", headers=api_key("sites:admin")).status_code == 403
