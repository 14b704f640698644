"""One error family: JSON in the API's shape under /v1, the HTML error page elsewhere; a stale
write becomes 409."""
from __future__ import annotations

import pytest
from sqlalchemy.orm.exc import StaleDataError

from consent_service import create_app, errors
from consent_service.extensions import db

CONFIG = {"TESTING": True, "SECRET_KEY": "k", "SQLALCHEMY_DATABASE_URI": "sqlite://"}


@pytest.fixture
def raising():
    """An app with a /v1 route and a page route, each raising what the test puts in ``raise_``."""
    app = create_app(dict(CONFIG), environ={"SECRET_KEY": "k"})
    raise_ = {}

    def view():
        raise raise_["error"]

    app.add_url_rule("/v1/test-error", "api_error", view)
    app.add_url_rule("/test-error", "page_error", view)
    return app.test_client(), raise_


@pytest.mark.parametrize("error, code", [
    (errors.NotFound("No such site."), 404), (errors.Conflict("Already there."), 409),
    (errors.Invalid("Bad.", {"locale": ["Unknown."]}), 422), (errors.Gone("Expired."), 410),
    (errors.Forbidden("Not yours."), 403), (errors.PayloadTooLarge("Too big."), 413),
])
def test_each_error_is_the_api_json_shape_under_v1(raising, error, code):
    client, raise_ = raising
    raise_["error"] = error
    response = client.get("/v1/test-error")
    assert response.status_code == code and response.mimetype == "application/json"
    body = response.get_json()
    assert body["code"] == code and body["message"] == error.message
    assert body.get("errors") == (error.errors or None)


def test_without_a_message_the_standard_description_is_given(raising):
    client, raise_ = raising
    raise_["error"] = errors.Invalid(errors={"account_id": ["Not a valid account id."]})
    body = client.get("/v1/test-error").get_json()
    assert body["status"] == "Unprocessable Entity" and body["message"]
    assert body["errors"] == {"account_id": ["Not a valid account id."]}


def test_outside_the_api_a_browser_gets_the_html_error_page(raising):
    client, raise_ = raising
    raise_["error"] = errors.Gone("This link has expired.")
    response = client.get("/test-error", headers={"Accept": "text/html"})
    assert response.status_code == 410 and response.mimetype == "text/html"
    assert "410" in response.text and "This link has expired." in response.text


def test_a_401_asks_for_a_bearer_key(raising):
    client, raise_ = raising
    raise_["error"] = errors.Unauthorized("A key is needed.")
    response = client.get("/v1/test-error")
    assert response.status_code == 401 and response.headers["WWW-Authenticate"] == "Bearer"


def test_error_for_gives_the_family_member_of_an_http_code():
    raised = errors.error_for(409, "Taken.", {"key": ["Taken."]})
    assert isinstance(raised, errors.Conflict)
    assert raised.message == "Taken." and raised.errors == {"key": ["Taken."]}
    with pytest.raises(ValueError):
        errors.error_for(418)


def test_commit_turns_a_stale_write_into_a_conflict_and_rolls_back(monkeypatch):
    app = create_app(dict(CONFIG), environ={"SECRET_KEY": "k"})
    rolled_back = []
    with app.app_context():
        def stale():
            raise StaleDataError("UPDATE statement on table expected to update 1 row(s); 0 were matched.")

        monkeypatch.setattr(db.session, "commit", stale)
        monkeypatch.setattr(db.session, "rollback", lambda: rolled_back.append(True))
        with pytest.raises(errors.Conflict) as raised:
            errors.commit()
    assert raised.value.code == 409 and raised.value.message == errors.STALE_WRITE and rolled_back


def test_other_database_errors_are_not_mistaken_for_a_stale_write(monkeypatch):
    app = create_app(dict(CONFIG), environ={"SECRET_KEY": "k"})
    with app.app_context():
        monkeypatch.setattr(db.session, "commit", lambda: (_ for _ in ()).throw(RuntimeError("disk full")))
        with pytest.raises(RuntimeError):
            errors.commit()
