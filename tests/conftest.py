"""Every database test runs on SQLite and, when one answers, on PostgreSQL."""
from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from consent_service import clock, create_app
from consent_service.extensions import db
from cookies import partitions

PG_ADMIN_URL = os.environ.get("TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


def _postgres_answers() -> bool:
    if os.environ.get("TEST_SKIP_POSTGRES") == "1":
        return False
    try:
        engine = sa.create_engine(PG_ADMIN_URL, connect_args={"connect_timeout": 2})
        with engine.connect():
            pass
        engine.dispose()
        return True
    except Exception:
        return False


_PG = _postgres_answers()
if os.environ.get("REQUIRE_POSTGRES") == "1" and not _PG:
    raise RuntimeError(f"REQUIRE_POSTGRES=1 but no PostgreSQL answers at {PG_ADMIN_URL}")
BACKENDS = ["sqlite"] + (["postgresql"] if _PG else [])


@contextlib.contextmanager
def scratch_postgres(prefix: str) -> Iterator[str]:
    """An empty PostgreSQL database of its own (its URL), dropped afterwards."""
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield sa.engine.make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session", params=BACKENDS)
def database_url(request, tmp_path_factory):
    """A database for this session's tests: a SQLite file, or a fresh PostgreSQL database."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('sqlite') / 'test.db'}"
        return
    name = f"consent_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = sa.engine.make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    yield url
    with admin.connect() as conn:
        conn.execute(sa.text(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n AND pid <> pg_backend_pid()"),
            {"n": name})
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
    admin.dispose()


@pytest.fixture(scope="session")
def backend(database_url) -> str:
    return "postgresql" if database_url.startswith("postgresql") else "sqlite"


TEST_CONFIG = {
    "TESTING": True,
    "SECRET_KEY": "test-secret-key",
    "SECRET_KEY_FALLBACKS": [],
    "RATELIMIT_STORAGE_URI": "memory://",
    "PUBLIC_BASE_URL": "http://127.0.0.1:8000",
}


@pytest.fixture
def make_app(database_url, tmp_path):
    """Build an app on the session's database; extra config wins."""
    made = []

    def factory(environ: dict | None = None, **overrides):
        config = {**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": database_url, **overrides}
        application = create_app(config, environ={"SECRET_KEY": "test-secret-key", **(environ or {})})
        application.instance_path = str(tmp_path / "instance")
        made.append(application)
        return application

    yield factory


def wipe_database() -> None:
    """Empty every table (much faster than dropping and re-creating the schema per test)."""
    db.session.remove()
    tables = [t for t in reversed(db.metadata.sorted_tables)]
    with db.engine.begin() as connection:
        existing = set(sa.inspect(connection).get_table_names())
        present = [t for t in tables if t.name in existing]
        if not present:
            return
        if connection.dialect.name == "postgresql":
            _truncate_postgresql(connection, present)
        else:
            for table in present:
                connection.execute(table.delete())


def _truncate_postgresql(connection, tables) -> None:
    """TRUNCATE waits for every other transaction on its tables: a connection a test left
    idle in a transaction would hang the whole run, so such leftovers are ended first."""
    names = ", ".join(f'"{t.name}"' for t in tables)
    connection.execute(sa.text("SET LOCAL lock_timeout = '5s'"))
    connection.execute(sa.text(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() "
        "AND pid <> pg_backend_pid() AND state LIKE 'idle in transaction%'"))
    connection.execute(sa.text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    # Month partitions of the consent proofs are schema a test made (the worker's job, a
    # sweep): each test starts with the default partition alone, as a new database does.
    for month in partitions.months(connection):
        connection.execute(sa.text(f'DROP TABLE "{partitions.partition_name(month)}"'))


@pytest.fixture
def app_with(make_app):
    """An app with extra configuration, on the shared schema, inside its app context;
    every table is emptied and the process-wide state reset when the test ends."""
    contexts = []

    def factory(**overrides):
        application = make_app(**overrides)
        context = application.app_context()
        context.push()
        contexts.append(context)
        db.create_all()
        wipe_database()
        return application

    yield factory
    for context in reversed(contexts):
        wipe_database()
        db.engine.dispose()
        context.pop()
    clock.set_now(None)
    from cookies.policies import forget_cached_policy

    forget_cached_policy()


@pytest.fixture
def app(app_with):
    return app_with()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def api_key(app):
    """Make a key with the given scopes and return its Authorization header."""
    from consent_service import apikeys

    def factory(*scopes: str, name: str | None = None) -> dict:
        key = apikeys.create_key(name or f"key-{uuid.uuid4().hex[:8]}", list(scopes))
        db.session.commit()
        return {"Authorization": f"Bearer {key}"}

    return factory


def require_browser() -> None:
    """Skip a browser test when /usr/bin/chromium or playwright is missing, unless REQUIRE_BROWSER=1
    (CI), which makes that a failure."""
    from tests.e2e.server import CHROMIUM

    problem = None
    if not os.path.exists(CHROMIUM):
        problem = f"{CHROMIUM} is missing (apt-get install chromium)"
    else:
        try:
            import playwright.sync_api  # noqa: F401
        except ImportError:
            problem = "playwright is not installed"
    if problem:
        if os.environ.get("REQUIRE_BROWSER") == "1":
            pytest.fail(f"REQUIRE_BROWSER=1 but {problem}")
        pytest.skip(problem)


@pytest.fixture(scope="session")
def browser():
    """The one chromium of the session, for every browser test of every area. Playwright's sync
    API runs its own event loop from start to stop: a second ``sync_playwright()`` opened while
    this one lives fails ("Sync API inside the asyncio loop"), so no test starts its own."""
    require_browser()
    from playwright.sync_api import sync_playwright

    from tests.e2e.server import CHROMIUM, CHROMIUM_ARGS

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()
