"""The fast path in front of Flask answers the policy revalidation and consent-state exactly
as the app does (status, headers, body), and steps aside whenever anything could differ."""
import pytest

from .helpers import ORIGIN, decide, make_site, publish

POLICY = "/v1/sites/espace-locataire/policy"
STATE = "/v1/sites/espace-locataire/consent-state"


@pytest.fixture
def admin(api_key):
    return api_key("sites:admin")


@pytest.fixture
def site(client, admin):
    return make_site(client, admin)


@pytest.fixture
def inner(app):
    """Counts the requests that reach Flask behind the fast path."""
    fast = app.wsgi_app
    flask_app = fast.wsgi_app
    seen = []

    def counting(environ, start_response):
        seen.append(environ["PATH_INFO"])
        return flask_app(environ, start_response)

    fast.wsgi_app = counting
    yield seen
    fast.wsgi_app = flask_app


def _answer(client, path, headers):
    client._cookies.clear()
    response = client.get(path, headers=headers)
    return response.status_code, sorted(response.headers.items()), response.get_data()


def _flask_only(app, client, path, headers):
    fast = app.wsgi_app
    app.wsgi_app = fast.wsgi_app
    try:
        return _answer(client, path, headers)
    finally:
        app.wsgi_app = fast


def test_fast_answers_equal_the_apps(app, client, site, inner):
    valid = decide(client, action="custom", categories={"analytics": True}).get_json()["cookies"]
    jar = f"cookie_consent={valid['cookie_consent']['value']}; r_ci={valid['r_ci']['value']}"
    altered = jar.replace("cookie_consent=", "cookie_consent=x", 1)
    etag = client.get(POLICY).headers["ETag"]
    cases = [
        (POLICY, {"If-None-Match": etag}),
        (POLICY, {"If-None-Match": etag, "Origin": ORIGIN}),
        (STATE, {}),
        (STATE, {"Cookie": jar}),
        (STATE, {"Cookie": jar, "Origin": ORIGIN, "Sec-GPC": "1"}),
        (STATE, {"Cookie": altered}),
        (STATE, {"Cookie": "r_ci=garbage"}),
    ]
    for path, headers in cases:
        expected = _flask_only(app, client, path, headers)
        _answer(client, path, headers)  # recorded, or answered from an earlier recording
        before = len(inner)
        assert _answer(client, path, headers) == expected, (path, headers)
        assert len(inner) == before, f"{path} {headers} went through Flask"


def test_anything_else_goes_through_flask(app, client, site, inner):
    etag = client.get(POLICY).headers["ETag"]
    for path, headers in [
        (POLICY, {}),  # a 200, not a revalidation
        (POLICY, {"If-None-Match": '"other"'}),
        (POLICY, {"If-None-Match": etag, "Origin": "https://evil.example"}),
        (STATE, {"Origin": "https://evil.example"}),
        ("/v1/sites/nowhere/consent-state", {}),
        (STATE + "?x=1", {}),
    ]:
        for _ in range(2):
            before = len(inner)
            client.get(path, headers=headers)
            assert len(inner) == before + 1, (path, headers)


def test_a_new_version_is_not_answered_from_the_old_recording(app, client, site, admin, inner):
    etag = client.get(POLICY).headers["ETag"]
    for _ in range(2):
        assert client.get(POLICY, headers={"If-None-Match": etag}).status_code == 304
    publish(client, admin, accept_validity_months=6)
    response = client.get(POLICY, headers={"If-None-Match": etag})
    assert response.status_code == 200 and response.get_json()["version"] == 2
