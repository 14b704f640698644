"""The ceilings bench/consent_api.py measures the service against, under the same gunicorn.

- ``bare()``: a Flask app that answers 204 to anything: the framework's ceiling.
- ``durable_insert()``: the smallest durable write a Flask app can make: one SQLAlchemy Core
  INSERT and COMMIT per request (synchronous_commit stays on) into ``bench_ceiling``, a table
  the driver creates ``LIKE consent_records INCLUDING ALL`` (same width, same indexes).
- ``durable_insert(autocommit=True)``: the same row as one statement in autocommit, which
  PostgreSQL commits (durably) before it answers: one round trip instead of three, as the
  service's proof writer does (cookies/group_commit.py). Shown beside, for comparison.
"""
from __future__ import annotations

import datetime as dt
import os
import uuid

import sqlalchemy as sa
from flask import Flask, request

CEILING_TABLE = "bench_ceiling"


def bare() -> Flask:
    app = Flask("bench_bare")

    @app.route("/", defaults={"path": ""}, methods=["GET", "POST"])
    @app.route("/<path:path>", methods=["GET", "POST"])
    def answer(path):
        return "", 204

    return app


def durable_insert(autocommit: bool = False) -> Flask:
    app = Flask("bench_insert")
    url = os.environ["DATABASE_URL"].replace("postgresql://", "postgresql+psycopg://", 1)
    engine = sa.create_engine(url, **({"isolation_level": "AUTOCOMMIT"} if autocommit else {}))
    metadata = sa.MetaData()
    table = sa.Table(
        CEILING_TABLE, metadata,
        sa.Column("consent_id", sa.String(32), primary_key=True),
        sa.Column("site", sa.String(63)),
        sa.Column("policy_version", sa.Integer),
        sa.Column("texts_hash", sa.String(64)),
        sa.Column("action", sa.String(16)),
        sa.Column("categories", sa.JSON),
        sa.Column("recorded_at", sa.DateTime(timezone=True)),
        sa.Column("valid_until", sa.DateTime(timezone=True)),
        sa.Column("visitor_id", sa.String(64)),
        sa.Column("ip", sa.String(64)),
        sa.Column("user_agent", sa.Text),
        sa.Column("page", sa.Text),
        sa.Column("gpc", sa.Boolean),
        sa.Column("locale", sa.String(8)),
    )
    statement = table.insert()
    texts_hash = "0" * 64

    @app.route("/", defaults={"path": ""}, methods=["GET", "POST"])
    @app.route("/<path:path>", methods=["GET", "POST"])
    def insert(path):
        if request.method == "GET":  # readiness probe: no write
            return "", 204
        request.get_data()  # the body is read, not parsed: the ceiling does no validation
        now = dt.datetime.now(dt.UTC)
        with engine.begin() as connection:  # in autocommit: no BEGIN, no COMMIT, the INSERT alone
            connection.execute(statement, {
                "consent_id": uuid.uuid4().hex, "site": "espace-locataire", "policy_version": 1,
                "texts_hash": texts_hash, "action": "accept_all",
                "categories": {"functional": True, "analytics": True}, "recorded_at": now,
                "valid_until": now + dt.timedelta(days=396), "visitor_id": uuid.uuid4().hex,
                "ip": "127.0.0.0", "user_agent": request.headers.get("User-Agent"),
                "page": "https://localhost/", "gpc": False, "locale": "fr",
            })
        return "", 201

    return app
