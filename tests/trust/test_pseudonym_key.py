"""The pseudonym key never rotates with SECRET_KEY (docs/deployment.md, "Rotating SECRET_KEY"):
the test follows the documented rotation and checks what a purge must keep meaning."""
from __future__ import annotations

import contextlib
import hashlib
import hmac

import sqlalchemy as sa
from flask_migrate import upgrade

from consent_service import apikeys, create_app, pseudonym, worker
from consent_service.extensions import db
from datamap.models import Purge

from ..datamap.helpers import consent_for

OLD_KEY, NEW_KEY = "the-key-of-2026", "the-key-of-2027"


@contextlib.contextmanager
def rotated(make_app, portal):
    """The documented rotation: the new key in SECRET_KEY, the old one in SECRET_KEY_FALLBACKS,
    every process restarted (a new app on the same database)."""
    application = make_app(DATAMAP_PATH=str(portal.map_path), SECRET_KEY=NEW_KEY, SECRET_KEY_FALLBACKS=[OLD_KEY],
                           CONSENT_RATE_LIMIT="off")
    with application.app_context():
        try:
            yield application
        finally:
            db.session.remove()
            application.extensions["datamap"].dispose()


def test_a_purge_keeps_its_meaning_across_a_secret_key_rotation(make_app, portal, api_key, app):
    app.config["SECRET_KEY"] = OLD_KEY
    client = app.test_client()
    writer = api_key("accounts:write", "sites:admin", "consents:read")
    consent_for(client, api_key, "A1001")
    purge_id = client.post("/v1/accounts/A1001/deletion", headers=writer).get_json()["purge_id"]
    worker.run_once()
    receipt = client.get(f"/v1/purges/{purge_id}", headers=writer).get_json()
    assert receipt["status"] == "done"
    assert receipt["subject"] != hmac.new(OLD_KEY.encode(), b"account:A1001", hashlib.sha256).hexdigest()

    with rotated(make_app, portal) as new:
        client = new.test_client()
        assert client.get(f"/v1/purges/{purge_id}", headers=writer).get_json() == receipt  # old receipt found
        again = client.post("/v1/accounts/A1001/deletion", headers=writer)
        assert again.status_code == 202 and again.get_json()["purge_id"] == purge_id  # the same purge
        visitor = client.post("/v1/sites/espace-locataire/consents", json={"action": "accept_all"}).get_json()
        linked = client.post("/v1/accounts/A1001/visitors", json={"visitor_id": visitor["visitor_id"]},
                             headers=writer)
        assert linked.status_code == 409  # a purged account is never linked again
        purges = db.session.execute(sa.select(sa.func.count()).select_from(Purge)
                                    .where(Purge.subject_hash.is_not(None))).scalar_one()
        assert purges == 1  # no second purge of the account was opened


def test_the_key_is_generated_once_in_the_database_and_shared(make_app, portal, app):
    first = pseudonym.key()
    stored = db.session.execute(sa.select(pseudonym.ServiceSecret.value)).scalar_one()
    assert first == stored.encode() and first != app.config["SECRET_KEY"].encode() and len(first) >= 48
    with rotated(make_app, portal):
        assert pseudonym.key() == first  # another process (new SECRET_KEY) reads the same key


def test_pseudonym_key_set_wins_and_is_not_secret_key(make_app, portal):
    application = make_app(DATAMAP_PATH=str(portal.map_path), PSEUDONYM_KEY="from-the-environment")
    with application.app_context():
        try:
            assert pseudonym.key() == b"from-the-environment"
            assert pseudonym.account_hash("A1001") == hmac.new(b"from-the-environment", b"account:A1001",
                                                               hashlib.sha256).hexdigest()
        finally:
            application.extensions["datamap"].dispose()


def _app(url: str, secret: str, fallbacks: list[str] | None = None):
    return create_app({"TESTING": True, "SECRET_KEY": secret, "SECRET_KEY_FALLBACKS": fallbacks or [],
                       "SQLALCHEMY_DATABASE_URI": url}, environ={"SECRET_KEY": secret})


def test_upgrading_a_database_with_old_receipts_keeps_their_hashes(empty_database):
    """A database from before the pseudonym key: its receipts hash the account with the
    SECRET_KEY of the time. ``flask db upgrade`` (0006_trust) keeps that key as the pseudonym
    key; after the documented rotation the account is still found by its hash."""
    old = _app(empty_database, OLD_KEY)
    with old.app_context():
        upgrade(revision="0005_dsar_closed_index")
        old_hash = hmac.new(OLD_KEY.encode(), b"account:A1001", hashlib.sha256).hexdigest()
        with db.engine.begin() as conn:
            conn.execute(sa.text("INSERT INTO purges (purge_id, trigger, status, subject_hash, requested_at) "
                                 "VALUES ('p1', 'account_deleted', 'done', :h, CURRENT_TIMESTAMP)"), {"h": old_hash})
        upgrade()
        db.engine.dispose()
    new = _app(empty_database, NEW_KEY, [OLD_KEY])
    with new.app_context():
        try:
            writer = apikeys.create_key("portal", ["accounts:write"])
            db.session.commit()
            again = new.test_client().post("/v1/accounts/A1001/deletion", headers={"Authorization": f"Bearer {writer}"})
            assert again.get_json()["purge_id"] == "p1"
            assert pseudonym.account_hash("A1001") == old_hash
        finally:
            db.session.remove()
            db.engine.dispose()


def test_a_new_database_gets_a_key_of_its_own_from_the_migration(empty_database):
    application = _app(empty_database, OLD_KEY)
    with application.app_context():
        upgrade()
        try:
            stored = db.session.execute(sa.select(pseudonym.ServiceSecret.value)).scalar_one()
            assert stored != OLD_KEY and pseudonym.key() == stored.encode()
        finally:
            db.session.remove()
            db.engine.dispose()
