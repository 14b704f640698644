"""API keys: hashed at rest, scoped, revocable, last use recorded."""
import datetime as dt

import pytest

from consent_service import apikeys, clock
from consent_service.extensions import db


def _row(name):
    return db.session.execute(db.select(apikeys.ApiKey).where(apikeys.ApiKey.name == name)).scalar_one()


def test_only_a_hash_of_the_key_is_stored(app):
    key = apikeys.create_key("portal", ["consents:read"])
    db.session.commit()
    row = _row("portal")
    assert key not in (row.key_hash, row.lookup) and key.split("_", 2)[2] not in row.key_hash
    assert len(row.key_hash) == 64


def test_a_key_works_with_its_scope_and_is_403_without(client, api_key):
    reader = api_key("consents:read")
    assert client.get("/v1/consents?visitor_id=abcdefgh", headers=reader).status_code == 200
    writer = api_key("accounts:write")
    response = client.get("/v1/consents?visitor_id=abcdefgh", headers=writer)
    assert response.status_code == 403 and response.get_json()["code"] == 403


@pytest.mark.parametrize("header", ["Bearer", "Bearer csk_nope", "Basic abc", "Bearer " + "x" * 5000,
                                    "Bearer csk_0123456789abcdef_wrong", "bearer \x00"])
def test_bad_credentials_are_401(client, header):
    response = client.get("/v1/consents?visitor_id=abcdefgh", headers={"Authorization": header})
    assert response.status_code == 401


def test_a_tampered_secret_is_401(client, api_key):
    header = api_key("consents:read")["Authorization"]
    tampered = header[:-1] + ("A" if header[-1] != "A" else "B")
    assert client.get("/v1/consents?visitor_id=abcdefgh", headers={"Authorization": tampered}).status_code == 401


def test_revoked_keys_stop_working(app, client):
    key = apikeys.create_key("old", ["consents:read"])
    db.session.commit()
    assert apikeys.revoke_key("old") is True
    db.session.commit()
    assert apikeys.revoke_key("old") is False
    response = client.get("/v1/consents?visitor_id=abcdefgh", headers={"Authorization": f"Bearer {key}"})
    assert response.status_code == 401


def test_last_use_is_recorded_at_most_once_a_minute(app, client):
    key = apikeys.create_key("used", ["consents:read"])
    db.session.commit()
    start = dt.datetime(2027, 3, 1, 8, 0, tzinfo=dt.UTC)
    clock.set_now(start)
    headers = {"Authorization": f"Bearer {key}"}
    client.get("/v1/consents?visitor_id=abcdefgh", headers=headers)
    db.session.expire_all()
    assert _row("used").last_used_at == start
    clock.set_now(start + dt.timedelta(seconds=30))
    client.get("/v1/consents?visitor_id=abcdefgh", headers=headers)
    db.session.expire_all()
    assert _row("used").last_used_at == start
    clock.set_now(start + dt.timedelta(minutes=2))
    client.get("/v1/consents?visitor_id=abcdefgh", headers=headers)
    db.session.expire_all()
    assert _row("used").last_used_at == start + dt.timedelta(minutes=2)


@pytest.mark.parametrize("name,scopes", [("", ["consents:read"]), ("x" * 101, ["consents:read"]),
                                         ("ok", []), ("ok", ["root"])])
def test_create_refuses_bad_names_and_scopes(app, name, scopes):
    with pytest.raises(apikeys.ApiKeyError):
        apikeys.create_key(name, scopes)


def test_cli_creates_a_key_on_the_last_line_and_revokes_it(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["api-keys", "create", "--name", "portal-backend", "--scope", "accounts:write",
                                 "--scope", "consents:read"])
    assert result.exit_code == 0, result.output
    key = result.output.strip().splitlines()[-1]
    assert key.startswith("csk_")
    assert sorted(_row("portal-backend").scopes) == ["accounts:write", "consents:read"]
    client = app.test_client()
    assert client.get("/v1/consents?visitor_id=abcdefgh",
                      headers={"Authorization": f"Bearer {key}"}).status_code == 200
    duplicate = runner.invoke(args=["api-keys", "create", "--name", "portal-backend", "--scope", "accounts:write"])
    assert duplicate.exit_code != 0 and "already exists" in duplicate.output
    bad_scope = runner.invoke(args=["api-keys", "create", "--name", "x", "--scope", "everything"])
    assert bad_scope.exit_code != 0
    assert runner.invoke(args=["api-keys", "revoke", "portal-backend"]).exit_code == 0
    assert runner.invoke(args=["api-keys", "revoke", "portal-backend"]).exit_code != 0
    assert client.get("/v1/consents?visitor_id=abcdefgh",
                      headers={"Authorization": f"Bearer {key}"}).status_code == 401
