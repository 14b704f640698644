"""One Alembic history builds the schema the models describe, on SQLite and PostgreSQL."""

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade

from consent_service import create_app
from consent_service.extensions import db
from cookies import partitions

from ..conftest import BACKENDS, scratch_postgres


@pytest.fixture(params=BACKENDS)
def empty_database(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'migrated.db'}"
        return
    with scratch_postgres("consent_migrate") as url:
        yield url


def test_upgrade_from_empty_matches_the_models_and_round_trips(empty_database):
    app = create_app({"TESTING": True, "SECRET_KEY": "k", "SQLALCHEMY_DATABASE_URI": empty_database},
                     environ={"SECRET_KEY": "k"})
    with app.app_context():
        upgrade()
        with db.engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={
                "compare_type": True, "include_name": partitions.include_name})
            differences = compare_metadata(context, db.metadata)
        assert differences == []
        downgrade(revision="base")
        with db.engine.connect() as connection:
            remaining = set(sa.inspect(connection).get_table_names()) - {"alembic_version"}
        assert remaining == set()
        upgrade()
        with db.engine.connect() as connection:
            assert {"sites", "policies", "consent_records", "visitor_links", "api_keys"} <= set(
                sa.inspect(connection).get_table_names())
        db.engine.dispose()
