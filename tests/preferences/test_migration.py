"""Migration 0008 gives a migrated database the same append-only history as the models."""
from __future__ import annotations

import contextlib

import pytest
import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from consent_service import create_app
from consent_service.extensions import db

from ..conftest import BACKENDS, scratch_postgres

ROW = {"id": 1, "account_id": "A1001", "recorded_at": "2027-04-23 08:00:00", "actor": "portal", "change": "email",
       "before": "{}", "after": "{}"}


@pytest.fixture(params=BACKENDS)
def migrated(request, tmp_path):
    with (scratch_postgres("consent_prefs") if request.param == "postgresql"
          else contextlib.nullcontext(f"sqlite:///{tmp_path / 'migrated.db'}")) as url:
        app = create_app({"TESTING": True, "SECRET_KEY": "k", "SQLALCHEMY_DATABASE_URI": url},
                         environ={"SECRET_KEY": "k"})
        with app.app_context():
            upgrade()
            yield app
            db.session.remove()
            db.engine.dispose()


def test_the_migrated_history_refuses_updates_and_accepts_deletes(migrated):
    table = sa.table("preference_changes", *(sa.column(name) for name in ROW))
    with db.engine.begin() as connection:
        connection.execute(table.insert().values(**ROW))
    with pytest.raises(sa.exc.DBAPIError, match="append-only"):
        with db.engine.begin() as connection:
            connection.execute(table.update().values(actor="dpo"))
    with db.engine.begin() as connection:
        assert connection.execute(table.delete()).rowcount == 1


def test_the_downgrade_removes_the_tables_and_the_trigger(migrated):
    downgrade(revision="0007_operations")
    with db.engine.connect() as connection:
        names = set(sa.inspect(connection).get_table_names())
        assert not {"account_preferences", "preference_changes"} & names
        if connection.dialect.name == "postgresql":
            assert connection.execute(sa.text(
                "SELECT count(*) FROM pg_proc WHERE proname = 'preference_changes_append_only'")).scalar_one() == 0
    upgrade()
