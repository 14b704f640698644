"""Hostile strings in every field: a clear JSON error or a clean success, never a 500,
and nothing half-written."""
import copy

import pytest

from consent_service.extensions import db
from cookies.demo import DEMO_POLICY
from cookies.models import ConsentRecord, Policy, Site, VisitorLink

HOSTILE = [
    "'; DROP TABLE consent_records; --",
    "x" * 10_000,
    "nul\x00byte",
    "\u202eevil\u202c mixed \u05d0\u05d1 direction",
    "<script>alert(1)</script>",
    "\ud800" if False else "emoji \U0001f36a",
    "",
    "   ",
    "../../etc/passwd",
    "%00%0d%0aSet-Cookie: x=1",
]


def _count(model):
    return db.session.execute(db.select(db.func.count()).select_from(model)).scalar()


def _paths(value, prefix=()):
    """Every leaf path of a JSON document."""
    if isinstance(value, dict):
        for key, inner in value.items():
            yield from _paths(inner, prefix + (key,))
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            yield from _paths(inner, prefix + (index,))
    else:
        yield prefix


def _replace(document, path, new):
    copied = copy.deepcopy(document)
    target = copied
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = new
    return copied


@pytest.fixture
def admin(api_key):
    return api_key("sites:admin", "accounts:write", "consents:read")


@pytest.fixture
def seeded(client, admin):
    client.post("/v1/sites", json={"key": "espace-locataire", "name": "P", "allowed_origins": []}, headers=admin)
    client.post("/v1/sites/espace-locataire/policies", json=DEMO_POLICY, headers=admin)


def _assert_clean(response, before, after):
    assert response.status_code < 500, response.get_data(as_text=True)[:300]
    assert response.is_json
    if response.status_code >= 400:
        assert after == before, "a refused request wrote something"
        body = response.get_json()
        assert body["code"] == response.status_code and body["status"]


@pytest.mark.parametrize("hostile", HOSTILE)
def test_hostile_values_in_every_policy_field(client, admin, seeded, hostile):
    compact = {"categories": DEMO_POLICY["categories"], "cookies": DEMO_POLICY["cookies"][:2],
               "texts": DEMO_POLICY["texts"]}
    for path in _paths(compact):
        before = _count(Policy)
        response = client.post("/v1/sites/espace-locataire/policies", json=_replace(compact, path, hostile),
                               headers=admin)
        _assert_clean(response, before, _count(Policy))


@pytest.mark.parametrize("hostile", HOSTILE)
def test_hostile_values_in_every_site_field(client, admin, hostile):
    body = {"key": "site-a", "name": "Portail", "allowed_origins": ["https://a.fr"], "cookie_domain": "a.fr"}
    for path in _paths(body):
        before = _count(Site)
        response = client.post("/v1/sites", json=_replace(body, path, hostile), headers=admin)
        _assert_clean(response, before, _count(Site))
        if response.status_code == 201:
            db.session.execute(db.delete(Site))
            db.session.commit()


@pytest.mark.parametrize("hostile", HOSTILE)
def test_hostile_values_in_every_consent_field(client, seeded, hostile):
    body = {"action": "custom", "categories": {"analytics": True}, "visitor_id": "visitor-0001",
            "locale": "fr", "page": "https://www.example.fr/"}
    for path in list(_paths(body)) + [("categories", hostile)]:
        before = _count(ConsentRecord)
        document = (_replace(body, path, hostile) if path != ("categories", hostile)
                    else {**body, "categories": {hostile: True}})
        response = client.post("/v1/sites/espace-locataire/consents", json=document)
        _assert_clean(response, before, _count(ConsentRecord))


@pytest.mark.parametrize("hostile", HOSTILE)
def test_hostile_headers_and_paths(client, admin, seeded, hostile):
    header_safe = hostile.replace("\x00", "").encode("utf-8", "replace").decode("latin-1")[:2000]
    response = client.post("/v1/sites/espace-locataire/consents", json={"action": "refuse_all"},
                           headers={"User-Agent": header_safe, "Sec-GPC": header_safe[:50]})
    assert response.status_code == 201
    for path in (f"/v1/sites/{hostile}/policy", f"/v1/consents/{hostile}", f"/v1/sites/{hostile}/consent-state"):
        answer = client.get(path.replace("\x00", "%00"), headers=admin)
        assert answer.status_code < 500
    before = _count(VisitorLink)
    linked = client.post(f"/v1/accounts/{hostile.replace(chr(0), '%00') or 'x'}/visitors",
                         json={"visitor_id": hostile}, headers=admin)
    _assert_clean(linked, before, _count(VisitorLink))
    history = client.get("/v1/consents", query_string={"visitor_id": hostile}, headers=admin)
    assert history.status_code in (200, 422)


def test_cookies_with_hostile_values_are_invalid_not_errors(client, seeded):
    for hostile in HOSTILE:
        client.set_cookie("cookie_consent", hostile.replace("\x00", "").encode("utf-8").decode("latin-1")[:3000])
        response = client.get("/v1/sites/espace-locataire/consent-state")
        assert response.status_code == 200
        assert response.get_json()["show_banner"] is True
