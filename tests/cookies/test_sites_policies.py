"""Sites and versioned, immutable cookie policies (docs/api.md)."""
import copy
import time

import pytest

from consent_service.extensions import db
from cookies import policies
from cookies.demo import DEMO_POLICY
from cookies.models import Policy

from .helpers import make_site, publish


@pytest.fixture
def admin(api_key):
    return api_key("sites:admin")


def test_create_site_answers_201_with_the_site(client, admin):
    response = client.post("/v1/sites", json={"key": "espace-locataire", "name": "Portail",
                                              "allowed_origins": ["https://www.example.fr"],
                                              "cookie_domain": "example.fr"}, headers=admin)
    assert response.status_code == 201
    body = response.get_json()
    assert body["key"] == "espace-locataire" and body["cookie_domain"] == "example.fr"
    assert body["created_at"].endswith("Z")


def test_a_second_site_with_the_same_key_is_409(client, admin):
    make_site(client, admin, policy=False)
    response = client.post("/v1/sites", json={"key": "espace-locataire", "name": "x", "allowed_origins": []},
                           headers=admin)
    assert response.status_code == 409


def test_body_errors_come_before_conflicts(client, admin):
    make_site(client, admin, policy=False)
    response = client.post("/v1/sites", json={"key": "espace-locataire", "name": "x", "allowed_origins": [],
                                              "extra": True}, headers=admin)
    assert response.status_code == 422


@pytest.mark.parametrize("body", [
    {"key": "Bad Key", "name": "x", "allowed_origins": []},
    {"key": "ok", "name": "", "allowed_origins": []},
    {"key": "ok", "name": "x", "allowed_origins": ["https://x.fr/path"]},
    {"key": "ok", "name": "x", "allowed_origins": ["ftp://x.fr"]},
    {"key": "ok", "name": "x", "allowed_origins": "https://x.fr"},
    {"key": "ok", "name": "x", "allowed_origins": [], "cookie_domain": "http://x.fr"},
    {"key": "ok", "name": "x\x00y", "allowed_origins": []},
    {"key": "ok", "name": "x" * 10_000, "allowed_origins": []},
    {"key": "ok'; DROP TABLE sites;--", "name": "x", "allowed_origins": []},
    {"name": "x", "allowed_origins": []},
])
def test_bad_site_bodies_are_422(client, admin, body):
    response = client.post("/v1/sites", json=body, headers=admin)
    assert response.status_code == 422 and response.get_json()["errors"]


def test_sites_need_the_sites_admin_scope(client, api_key):
    body = {"key": "x", "name": "x", "allowed_origins": []}
    assert client.post("/v1/sites", json=body).status_code == 401
    assert client.post("/v1/sites", json=body, headers=api_key("consents:read")).status_code == 403


def test_publishing_makes_a_new_version_and_never_edits_the_old(client, admin):
    make_site(client, admin)
    first = client.get("/v1/sites/espace-locataire/policies/1").get_json()
    second = publish(client, admin, accept_validity_months=6)
    assert second["version"] == 2
    assert client.get("/v1/sites/espace-locataire/policies/1").get_json() == first
    assert client.get("/v1/sites/espace-locataire/policy").get_json()["accept_validity_months"] == 6
    assert client.get("/v1/sites/espace-locataire/policies/9").status_code == 404


def test_a_published_version_cannot_be_updated(client, admin):
    make_site(client, admin)
    policy = db.session.execute(db.select(Policy)).scalar_one()
    policy.document = {"tampered": True}
    with pytest.raises(PermissionError):
        db.session.flush()
    db.session.rollback()


def test_policy_defaults_and_texts(client, admin):
    make_site(client, admin, policy=False)
    body = {"categories": DEMO_POLICY["categories"], "cookies": DEMO_POLICY["cookies"]}
    published = client.post("/v1/sites/espace-locataire/policies", json=body, headers=admin).get_json()
    assert published["accept_validity_months"] == 13 and published["refuse_validity_months"] == 1
    assert published["implied_consent_on_continue"] is False
    assert published["texts"]["fr"]["accept_all"] == "Tout accepter"
    assert published["texts"]["en"]["refuse_all"] == "Refuse all"


def _broken(**changes):
    body = copy.deepcopy(DEMO_POLICY)
    for path, value in changes.items():
        target = body
        keys = path.split("__")
        for key in keys[:-1]:
            target = target[int(key)] if key.isdigit() else target[key]
        target[keys[-1]] = value
    return body


@pytest.mark.parametrize("body", [
    _broken(categories=[]),
    _broken(cookies__0__category="marketing"),
    _broken(categories__1__key="functional"),
    _broken(cookies__1__name="cookie_consent"),
    _broken(categories__0__required="yes"),
    _broken(accept_validity_months=0),
    _broken(refuse_validity_months=25),
    _broken(accept_validity_months="13"),
    _broken(implied_consent_on_continue=1),
    _broken(texts={"fr": DEMO_POLICY["texts"]["fr"]}),
    _broken(cookies__0__name="bad name"),
    _broken(cookies__0__description={"fr": "x"}),
    _broken(categories__0__label={"fr": "", "en": "x"}),
    _broken(unknown_field=True),
    _broken(cookies__0__lifetime="\x00"),
])
def test_bad_policies_are_422_and_publish_nothing(client, admin, body):
    make_site(client, admin)
    response = client.post("/v1/sites/espace-locataire/policies", json=body, headers=admin)
    assert response.status_code == 422, response.get_json()
    assert response.get_json()["errors"]
    assert client.get("/v1/sites/espace-locataire/policy").get_json()["version"] == 1


def test_publishing_to_an_unknown_site_is_404(client, admin):
    assert client.post("/v1/sites/nowhere/policies", json=DEMO_POLICY, headers=admin).status_code == 404


def test_a_site_without_a_policy_answers_404(client, admin):
    make_site(client, admin, policy=False)
    assert client.get("/v1/sites/espace-locataire/policy").status_code == 404


def test_the_current_policy_is_cacheable_with_etag_and_304(client, admin):
    make_site(client, admin)
    first = client.get("/v1/sites/espace-locataire/policy")
    etag = first.headers["ETag"]
    assert first.status_code == 200 and "no-cache" in first.headers["Cache-Control"]
    again = client.get("/v1/sites/espace-locataire/policy", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b"" and again.headers["ETag"] == etag
    weak = client.get("/v1/sites/espace-locataire/policy", headers={"If-None-Match": f"W/{etag}"})
    assert weak.status_code == 304  # as a compressing proxy hands it to browsers: a weak comparison
    publish(client, admin)
    changed = client.get("/v1/sites/espace-locataire/policy", headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["ETag"] != etag
    assert changed.get_json()["version"] == 2


def test_a_new_version_is_seen_by_other_processes_within_the_cache_lifetime(app, client, admin):
    make_site(client, admin)
    stale = policies.current_policy("espace-locataire")
    assert stale.version == 1
    policies.publish_policy(policies.get_site("espace-locataire"), {**DEMO_POLICY})
    db.session.commit()
    # Another process still holds version 1 in its cache, for the rest of the entry's lifetime.
    policies._cache["espace-locataire"] = (time.monotonic() + 0.2, stale)
    assert policies.current_policy("espace-locataire").version == 1
    time.sleep(0.25)
    assert policies.current_policy("espace-locataire").version == 2


def test_lint_reports_the_seed_settings(client, admin):
    make_site(client, admin, policy={**DEMO_POLICY, "implied_consent_on_continue": True})
    response = client.get("/v1/sites/espace-locataire/policy/lint", headers=admin)
    assert response.status_code == 200
    findings = {f["rule"]: f for f in response.get_json()["findings"]}
    assert findings["implied_consent"]["severity"] == "error"
    assert findings["long_validity"]["severity"] == "warning"
    assert findings["refusal_reasked_sooner"]["severity"] == "warning"
    assert response.get_json()["findings"][0]["severity"] == "error"


def test_a_cnil_friendly_policy_lints_clean(client, admin):
    make_site(client, admin, policy={**DEMO_POLICY, "accept_validity_months": 6, "refuse_validity_months": 6})
    assert client.get("/v1/sites/espace-locataire/policy/lint", headers=admin).get_json()["findings"] == []


def test_lint_needs_the_admin_scope(client, admin, api_key):
    make_site(client, admin)
    assert client.get("/v1/sites/espace-locataire/policy/lint").status_code == 401
    assert client.get("/v1/sites/espace-locataire/policy/lint", headers=api_key("consents:read")).status_code == 403


def test_policy_lint_cli(app, client, admin):
    make_site(client, admin, policy={**DEMO_POLICY, "implied_consent_on_continue": True})
    result = app.test_cli_runner().invoke(args=["policy", "lint", "espace-locataire"])
    assert result.exit_code == 1
    assert "ERROR" in result.output and "implied_consent" in result.output
    assert "long_validity" in result.output
    missing = app.test_cli_runner().invoke(args=["policy", "lint", "nowhere"])
    assert missing.exit_code != 0 and "No such site" in missing.output


def test_demo_loads_the_seed_site_once(app):
    runner = app.test_cli_runner()
    assert runner.invoke(args=["demo"]).exit_code == 0
    assert runner.invoke(args=["demo"]).exit_code == 0
    client = app.test_client()
    policy = client.get("/v1/sites/espace-locataire/policy").get_json()
    assert policy["version"] == 1
    names = {c["name"] for c in policy["cookies"]}
    assert {"cookie_consent", "r_ci", "Cookie_support", "JSESSIONIDGAN", "_ga"} <= names
    categories = {c["key"]: c["required"] for c in policy["categories"]}
    assert categories == {"functional": True, "analytics": False}
    assert (policy["accept_validity_months"], policy["refuse_validity_months"]) == (13, 1)
    ga = next(c for c in policy["cookies"] if c["name"] == "_ga")
    assert ga["category"] == "analytics" and "Google Analytics" in ga["description"]["fr"]
