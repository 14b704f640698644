"""Pooled connections: pinged only after sitting idle, so a stale one never reaches a request,
and a busy one is never pinged (no round trip per request)."""
import pytest
import sqlalchemy as sa

from consent_service import extensions
from consent_service.extensions import db


def _kill_other_backends(app):
    url = db.engine.url.set(database="postgres")
    admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                             "WHERE datname = :n AND pid <> pg_backend_pid()"), {"n": db.engine.url.database})
    admin.dispose()


def _count_pings(monkeypatch):
    pings = []
    stock = db.engine.dialect.do_ping
    monkeypatch.setattr(db.engine.dialect, "do_ping", lambda conn: pings.append(1) or stock(conn))
    return pings


def test_a_connection_used_a_moment_ago_is_not_pinged(app, client, monkeypatch):
    assert client.get("/readyz").status_code == 200
    pings = _count_pings(monkeypatch)
    for _ in range(3):
        assert client.get("/readyz").status_code == 200
    assert pings == []


def test_an_idle_connection_is_pinged_on_checkout(app, client, monkeypatch):
    assert client.get("/readyz").status_code == 200
    pings = _count_pings(monkeypatch)
    monkeypatch.setattr(extensions, "PING_AFTER_IDLE_SECONDS", 0.0)
    assert client.get("/readyz").status_code == 200
    assert pings == [1]


def test_a_stale_idle_connection_is_replaced_before_the_request_sees_it(app, client, backend, monkeypatch):
    if backend != "postgresql":
        pytest.skip("needs a server that can drop the connection")
    assert client.get("/readyz").status_code == 200  # one pooled connection
    db.session.remove()
    _kill_other_backends(app)
    monkeypatch.setattr(extensions, "PING_AFTER_IDLE_SECONDS", 0.0)
    assert client.get("/readyz").status_code == 200


def test_a_connection_broken_while_in_use_costs_one_503_then_recovers(app, client, backend):
    if backend != "postgresql":
        pytest.skip("needs a server that can drop the connection")
    assert client.get("/readyz").status_code == 200
    db.session.remove()
    _kill_other_backends(app)
    assert client.get("/readyz").status_code == 503
    assert client.get("/readyz").status_code == 200
