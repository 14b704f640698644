"""The banner's integration kit through Flask's test client: Consent Mode mapping in the policy,
/sites/{site}/consent-defaults.js, /banner.d.ts, and the build and type checks run with npm's tools
(docs/banner.md). The browser behaviour is in tests/e2e/test_banner_kit.py."""
from __future__ import annotations

import copy
import gzip
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask_migrate import upgrade

from consent_service import create_app
from consent_service.extensions import db
from cookies import consent_mode
from cookies.demo import DEMO_POLICY

from ..core.test_migrations import empty_database  # noqa: F401 (fixture)
from .helpers import make_site, publish

ROOT = Path(__file__).resolve().parents[2]
BIN = ROOT / "node_modules" / ".bin"
ADS = ["ad_storage", "ad_user_data", "ad_personalization"]


@pytest.fixture
def admin(api_key):
    return api_key("sites:admin")


def category(key, required=False, modes=None):
    c = {"key": key, "required": required, "label": {"fr": key, "en": key},
         "description": {"fr": "", "en": ""}}
    if modes is not None:
        c["consent_mode"] = modes
    return c


def policy_with(*categories):
    body = copy.deepcopy(DEMO_POLICY)
    body["categories"] = [category("functional", True), *categories]
    body["cookies"] = [c for c in body["cookies"] if c["category"] == "functional"]
    return body


def modes_of(document):
    return {c["key"]: c["consent_mode"] for c in document["categories"]}


# --- the mapping in the policy ----------------------------------------------------------------


def test_categories_published_without_a_mapping_get_the_default_one(client, admin):
    make_site(client, admin, policy=policy_with(category("analytics"), category("marketing"), category("ads"),
                                                category("videos")))
    body = client.get("/v1/sites/espace-locataire/policy").get_json()
    # the first advertising category takes the ad_* signals; a signal follows one category only
    assert modes_of(body) == {"functional": [], "analytics": ["analytics_storage"], "marketing": ADS,
                              "ads": [], "videos": []}


def test_a_mapping_given_in_the_policy_is_kept_and_takes_its_signals_from_the_defaults(client, admin):
    make_site(client, admin, policy=policy_with(
        category("functional_plus", modes=["functionality_storage"]), category("analytics", modes=[]),
        category("videos", modes=["ad_storage", "personalization_storage"]), category("marketing")))
    body = client.get("/v1/sites/espace-locataire/policy").get_json()
    assert modes_of(body)["analytics"] == []
    assert modes_of(body)["videos"] == ["ad_storage", "personalization_storage"]
    assert modes_of(body)["marketing"] == ["ad_user_data", "ad_personalization"]  # ad_storage is taken


@pytest.mark.parametrize("modes, field", [
    (["analytics_storage", "bogus_storage"], "1"),
    ("analytics_storage", None),
    ([1], "0"),
])
def test_an_unknown_or_malformed_signal_is_422(client, admin, modes, field):
    make_site(client, admin, policy=False)
    response = client.post("/v1/sites/espace-locataire/policies", headers=admin,
                           json=policy_with(category("analytics", modes=modes)))
    assert response.status_code == 422
    errors = response.get_json()["errors"]["categories"]["1"]["consent_mode"]
    assert errors if field is None else errors[field]


def test_a_signal_named_by_two_categories_is_422(client, admin):
    make_site(client, admin, policy=False)
    response = client.post("/v1/sites/espace-locataire/policies", headers=admin, json=policy_with(
        category("analytics", modes=["analytics_storage"]), category("stats", modes=["analytics_storage"])))
    assert response.status_code == 422
    assert "analytics_storage" in json.dumps(response.get_json()["errors"])


def test_the_mapping_is_described_in_openapi(client):
    spec = client.get("/v1/openapi.json").get_json()
    field = spec["components"]["schemas"]["CategoryIn"]["properties"]["consent_mode"]
    assert field["type"] == "array" and set(field["items"]["enum"]) == set(consent_mode.SIGNALS)


def test_signal_owners_grant_required_categories_and_deny_unowned_v2_signals():
    document = {"categories": [category("functional", True, ["security_storage"]), category("analytics"),
                               category("videos", modes=["personalization_storage"])]}
    assert consent_mode.signal_owners(document) == {
        "security_storage": True, "analytics_storage": "analytics", "personalization_storage": "videos",
        "ad_storage": None, "ad_user_data": None, "ad_personalization": None}


def test_migration_0012_writes_the_default_mapping_into_stored_versions(empty_database):  # noqa: F811
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": empty_database}, environ={"SECRET_KEY": "k"})
    old = copy.deepcopy(DEMO_POLICY)
    old["categories"].append(category("ads"))
    given = policy_with(category("analytics", modes=[]))
    given["categories"][0]["consent_mode"] = ["security_storage"]
    with app.app_context():
        upgrade(revision="0011_backoffice_ux")
        sites = sa.table("sites", *(sa.column(n) for n in ("id", "key", "name", "allowed_origins", "created_at")))
        policies = sa.table("policies", *(sa.column(n) for n in ("id", "site_id", "version", "document", "digest",
                                                                  "published_at")))
        with db.engine.begin() as connection:
            connection.execute(sites.insert().values(id=1, key="s", name="s", allowed_origins=sa.literal("[]", sa.JSON),
                                                     created_at=sa.func.now()))
            for version, document in ((1, old), (2, given)):
                connection.execute(policies.insert().values(
                    id=version, site_id=1, version=version, document=sa.literal(document, sa.JSON), digest="old",
                    published_at=sa.func.now()))
        upgrade(revision="0012_banner_kit")
        with db.engine.connect() as connection:
            rows = {r.version: r for r in connection.execute(
                sa.select(sa.column("version"), sa.column("document", sa.JSON), sa.column("digest"))
                .select_from(sa.table("policies")))}
        db.engine.dispose()
    assert modes_of(rows[1].document) == {"functional": [], "analytics": ["analytics_storage"], "ads": ADS}
    assert rows[1].document["cookies"] == old["cookies"] and rows[1].digest != "old"
    assert rows[2].document == given and rows[2].digest == "old"  # already explicit: untouched


# --- /sites/{site}/consent-defaults.js -------------------------------------------------------


def defaults_arguments(text):
    """The values the served script is called with (site, version, owners, wait)."""
    found = re.search(r'\}\)\(window, document, ("[^"]*"), (\d+), (\{.*?\}), (\d+)\);\s*$', text)
    assert found, text
    return json.loads(found[1]), int(found[2]), json.loads(found[3]), int(found[4])


def test_consent_defaults_is_a_small_cacheable_script_for_the_current_version(client, admin):
    make_site(client, admin)
    response = client.get("/sites/espace-locataire/consent-defaults.js")
    assert response.status_code == 200 and response.mimetype == "text/javascript"
    assert "public" in response.headers["Cache-Control"] and "max-age=300" in response.headers["Cache-Control"]
    assert "Set-Cookie" not in response.headers and "Cookie" not in response.headers.get("Vary", "")
    assert len(gzip.compress(response.data, 9)) < 700
    text = response.get_data(as_text=True)
    assert defaults_arguments(text) == ("espace-locataire", 1, {
        "analytics_storage": "analytics", "ad_storage": None, "ad_user_data": None, "ad_personalization": None},
        500)
    assert "//" not in text.replace("://", "")  # comments are not served
    again = client.get("/sites/espace-locataire/consent-defaults.js",
                       headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304 and again.data == b""


def test_consent_defaults_follows_a_new_policy_version(client, admin):
    make_site(client, admin)
    first = client.get("/sites/espace-locataire/consent-defaults.js")
    publish(client, admin, policy=policy_with(category("analytics"), category("ads")))
    second = client.get("/sites/espace-locataire/consent-defaults.js",
                        headers={"If-None-Match": first.headers["ETag"]})
    assert second.status_code == 200
    _, version, owners, _ = defaults_arguments(second.get_data(as_text=True))
    assert version == 2 and owners["ad_storage"] == owners["ad_user_data"] == "ads"


@pytest.mark.parametrize("path", ["/sites/no-such-site/consent-defaults.js", "/sites/x%22y/consent-defaults.js"])
def test_consent_defaults_of_an_unknown_site_is_404(client, path):
    assert client.get(path).status_code == 404


def test_a_site_without_a_policy_has_no_consent_defaults(client, admin):
    make_site(client, admin, policy=False)
    assert client.get("/sites/espace-locataire/consent-defaults.js").status_code == 404


# --- /banner.d.ts and the npm tools ------------------------------------------------------------


def test_banner_declarations_are_served_as_written(client):
    from cookies.integration import DECLARATIONS

    response = client.get("/banner.d.ts")
    assert response.status_code == 200 and response.data == DECLARATIONS.read_bytes()
    assert "public" in response.headers["Cache-Control"] and response.headers["ETag"]
    assert b"interface ConsentBanner" in response.data


def _npm_tool(name: str) -> Path:
    tool = BIN / name
    if not tool.exists() or not shutil.which("node"):
        if os.environ.get("REQUIRE_NODE") == "1":
            pytest.fail(f"REQUIRE_NODE=1 but {tool} is missing (npm ci)")
        pytest.skip(f"{tool} is missing: run npm ci")
    return tool


def test_the_served_bundle_is_banner_js_built_by_terser(tmp_path):
    """banner.min.js must be rebuilt (npm run banner) whenever banner.js changes."""
    _npm_tool("terser")
    out = tmp_path / "banner.min.js"
    script = json.loads((ROOT / "package.json").read_text())["scripts"]["banner"]
    command = script.replace("cookies/static/banner.min.js", str(out)).split()
    subprocess.run([str(BIN / command[0]), *command[1:]], cwd=ROOT, check=True, timeout=120)
    assert out.read_bytes() == (ROOT / "cookies" / "static" / "banner.min.js").read_bytes(), \
        "cookies/static/banner.min.js is stale: run npm run banner"


def test_banner_declarations_type_check_against_the_example():
    tsc = _npm_tool("tsc")
    result = subprocess.run([str(tsc), "--noEmit", "-p", "tests/ts"], cwd=ROOT, capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_type_check_catches_a_misuse(tmp_path):
    """The example is really checked: a wrong event name and a wrong payload field fail."""
    tsc = _npm_tool("tsc")
    (tmp_path / "misuse.ts").write_text(
        'import type { ConsentDetail } from "./banner";\n'
        'window.consentBanner?.on("consented", (d: ConsentDetail) => d.categories);\n'
        'window.consentBanner?.on("change", (d) => d.first.toFixed());\n')
    shutil.copy(ROOT / "cookies" / "static" / "banner.d.ts", tmp_path / "banner.d.ts")
    result = subprocess.run([str(tsc), "--noEmit", "--strict", "--lib", "es2017,dom", str(tmp_path / "misuse.ts")],
                            cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode != 0
    assert '"consented"' in result.stdout and "toFixed" in result.stdout


# --- an origin the site does not allow ---------------------------------------------------------------


def test_the_policy_tells_a_refused_origin_so_and_nothing_more(client, admin):
    make_site(client, admin)  # allows https://www.example.fr only
    for _ in range(2):  # Flask, then the hot path once the policy is cached
        refused = client.get("/v1/sites/espace-locataire/policy", headers={"Origin": "https://evil.example"})
        assert refused.status_code == 200 and refused.get_json()["version"] == 1
        assert refused.headers["Consent-Origin"] == "refused"
        assert refused.headers["Access-Control-Allow-Origin"] == "*"
        assert refused.headers["Access-Control-Expose-Headers"] == "Consent-Origin"
        assert "Access-Control-Allow-Credentials" not in refused.headers
        allowed = client.get("/v1/sites/espace-locataire/policy", headers={"Origin": "https://www.example.fr"})
        assert "Consent-Origin" not in allowed.headers
        assert allowed.headers["Access-Control-Allow-Origin"] == "https://www.example.fr"


def test_only_the_policy_read_is_opened_to_a_refused_origin(client, admin):
    make_site(client, admin)
    evil = {"Origin": "https://evil.example"}
    state = client.get("/v1/sites/espace-locataire/consent-state", headers=evil)
    decision = client.post("/v1/sites/espace-locataire/consents", json={"action": "accept_all", "locale": "fr"},
                           headers=evil)
    unknown = client.get("/v1/sites/no-such-site/policy", headers=evil)
    assert decision.status_code == 403 and unknown.status_code == 404
    for response in (state, decision, unknown):
        assert "Access-Control-Allow-Origin" not in response.headers and "Consent-Origin" not in response.headers


# --- the README's « Intégrer la bannière » ----------------------------------------------------------

# What each case's snippet must show a developer (the demo page of the same case runs it).
README_CASES = {
    "plain": ['/banner.js" data-site=', 'type="text/plain" data-consent-category="analytics"'],
    "tag-manager": ["/sites/espace-locataire/consent-defaults.js\"></script>", "/banner.js"],
    "spa": ["consentBanner.ready.then(", 'consentBanner.on("change"', "consentBanner.activate("],
    "video": ["<iframe", "data-consent-category=", "data-consent-src="],
    "theme": ["--cb-bg", "--cb-text", "--cb-primary", "--cb-button-text", "--cb-border", "--cb-radius", "--cb-font"],
}


def test_the_readme_gives_a_copy_paste_snippet_and_a_demo_page_for_each_integration_case(client):
    from cookies.examples import TITLES

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "### Intégrer la bannière" in readme
    section = readme.split("### Intégrer la bannière", 1)[1].split("\n## ", 1)[0]
    assert "/demo/integration/" in section
    assert set(README_CASES) == set(TITLES)
    for case, needed in README_CASES.items():
        title = TITLES[case][0]
        assert f"**{title}**" in section, title
        snippet = section.split(f"**{title}**", 1)[1].split("```", 2)[1]  # the first code block after it
        for text in needed:
            assert text in snippet, (case, text)
        assert client.get(f"/demo/integration/{case}").status_code == 200


# --- the bytes on the wire ----------------------------------------------------------------------------

GZIP = {"Accept-Encoding": "gzip, deflate, br"}


@pytest.mark.parametrize("path", ["/banner.js", "/sites/espace-locataire/consent-defaults.js"])
def test_scripts_go_gzip_encoded_to_a_browser_whatever_the_proxy(client, admin, path):
    make_site(client, admin)
    plain = client.get(path)
    packed = client.get(path, headers=GZIP)
    assert "Content-Encoding" not in plain.headers
    assert packed.headers["Content-Encoding"] == "gzip" and gzip.decompress(packed.data) == plain.data
    for response in (plain, packed):
        assert "Accept-Encoding" in response.headers["Vary"]  # a cache keeps the two apart
    assert packed.headers["ETag"] != plain.headers["ETag"]
    again = client.get(path, headers={**GZIP, "If-None-Match": packed.headers["ETag"]})
    assert again.status_code == 304 and again.data == b""


def test_banner_js_with_its_styles_is_under_5_kb_as_a_browser_receives_it(client):
    served = client.get("/banner.js", headers=GZIP)
    assert served.headers["Content-Encoding"] == "gzip"
    assert len(served.data) < 5 * 1024, f"banner.js is {len(served.data)} bytes gzip as served"
    assert b"#cc-b{" in gzip.decompress(served.data)  # the styles travel inside it


@pytest.mark.parametrize("accept", ["gzip;q=0", "identity", "br", ""])
def test_a_client_that_refuses_gzip_gets_the_plain_script(client, accept):
    response = client.get("/banner.js", headers={"Accept-Encoding": accept})
    assert "Content-Encoding" not in response.headers and b"consentBanner" in response.data
