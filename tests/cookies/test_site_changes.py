"""``PATCH /v1/sites/{site}`` and ``flask sites origins``: a site's origins, name and cookie domain
change, and the public API's CORS follows at once."""
from __future__ import annotations

import pytest

from cookies import policies

from .helpers import ORIGIN, make_site


@pytest.fixture
def admin(api_key):
    return api_key("sites:admin")


def test_patch_changes_only_what_it_names(client, admin):
    make_site(client, admin)
    response = client.patch("/v1/sites/espace-locataire", json={"allowed_origins": [
        "https://portail.example.fr", ORIGIN, ORIGIN]}, headers=admin)
    assert response.status_code == 200
    body = response.get_json()
    assert body["allowed_origins"] == ["https://portail.example.fr", ORIGIN] and body["name"] == "Portail"
    renamed = client.patch("/v1/sites/espace-locataire", json={"name": "Espace locataire",
                                                             "cookie_domain": "example.fr"}, headers=admin).get_json()
    assert renamed["name"] == "Espace locataire" and renamed["cookie_domain"] == "example.fr"
    assert renamed["allowed_origins"] == ["https://portail.example.fr", ORIGIN]
    assert client.patch("/v1/sites/espace-locataire", json={"cookie_domain": None},
                        headers=admin).get_json()["cookie_domain"] is None


def test_a_new_origin_gets_cors_at_once(client, admin):
    make_site(client, admin)
    new = "https://nouveau.example.fr"
    before = client.get("/v1/sites/espace-locataire/policy", headers={"Origin": new})
    assert before.headers.get("Access-Control-Allow-Origin") != new
    client.patch("/v1/sites/espace-locataire", json={"allowed_origins": [ORIGIN, new]}, headers=admin)
    after = client.get("/v1/sites/espace-locataire/policy", headers={"Origin": new})
    assert after.headers.get("Access-Control-Allow-Origin") == new


@pytest.mark.parametrize("body", [
    {}, {"allowed_origins": ["https://x.fr/path"]}, {"allowed_origins": ["ftp://x.fr"]}, {"allowed_origins": "x"},
    {"name": ""}, {"cookie_domain": "not a host"}, {"key": "renamed"}, {"allowed_origins": ["https://x.fr"] * 51},
])
def test_bad_changes_are_422_and_change_nothing(client, admin, body):
    make_site(client, admin)
    response = client.patch("/v1/sites/espace-locataire", json=body, headers=admin)
    assert response.status_code == 422 and response.get_json()["errors"]
    assert policies.get_site("espace-locataire").allowed_origins == [ORIGIN]


def test_patch_needs_the_admin_scope_and_a_known_site(client, admin, api_key):
    make_site(client, admin)
    body = {"name": "X"}
    assert client.patch("/v1/sites/espace-locataire", json=body).status_code == 401
    assert client.patch("/v1/sites/espace-locataire", json=body, headers=api_key("consents:read")).status_code == 403
    assert client.patch("/v1/sites/nowhere", json=body, headers=admin).status_code == 404
    assert client.patch("/v1/sites/espace-locataire", data="{", headers={**admin, "Content-Type": "application/json"}
                        ).status_code == 400


def test_patch_is_documented(client):
    paths = client.get("/v1/openapi.json").get_json()["paths"]
    assert "patch" in paths["/v1/sites/{site}"]


def test_flask_sites_origins_adds_removes_and_lists(app, client, admin):
    make_site(client, admin)
    runner = app.test_cli_runner()
    added = runner.invoke(args=["sites", "origins", "espace-locataire", "--add", "http://127.0.0.1:8100/"])
    assert added.exit_code == 0, added.output
    assert "http://127.0.0.1:8100" in added.output and "2 origin(s)" in added.output
    assert policies.get_site("espace-locataire").allowed_origins == ["http://127.0.0.1:8100", ORIGIN]
    removed = runner.invoke(args=["sites", "origins", "espace-locataire", "--remove", ORIGIN])
    assert removed.exit_code == 0 and policies.get_site("espace-locataire").allowed_origins == ["http://127.0.0.1:8100"]
    listed = runner.invoke(args=["sites", "origins", "espace-locataire"])
    assert listed.exit_code == 0 and "1 origin(s)" in listed.output


def test_flask_sites_origins_refuses_bad_input_and_changes_nothing(app, client, admin):
    make_site(client, admin)
    runner = app.test_cli_runner()
    for args in (["--add", "https://x.fr/page"], ["--add", "javascript:alert(1)"], ["--remove", "https://absent.fr"]):
        result = runner.invoke(args=["sites", "origins", "espace-locataire", *args])
        assert result.exit_code == 1, args
    assert runner.invoke(args=["sites", "origins", "nowhere"]).exit_code == 1
    assert policies.get_site("espace-locataire").allowed_origins == [ORIGIN]
