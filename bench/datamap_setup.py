"""Shared by ``bench/purge.py`` and ``bench/export.py``: a scratch PostgreSQL database with the
service's schema and a portal table of 1,000,000 rows (100 accounts of 10,000 rows, indexed by
account), made with ``generate_series`` and dropped afterwards, and an app whose data map
points at it."""
from __future__ import annotations

import contextlib
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

PG_URL = os.environ.get("BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
ROWS = 1_000_000
ACCOUNTS = 100

DATAMAP = """\
stores:
  - name: portal
    kind: sql
    url: "{url}"
    tables:
      - name: documents
        subject_column: account_id
        on_erasure: delete
        about: {{purpose: "Rent receipts"}}
"""


def _url(url: str) -> str:
    return url.replace("postgresql://", "postgresql+psycopg://", 1) if url.startswith("postgresql://") else url


@contextlib.contextmanager
def scratch_database(prefix: str):
    """A fresh PostgreSQL database, dropped on the way out whatever happens."""
    name = f"{prefix}_{os.getpid()}"
    admin = sa.create_engine(_url(PG_URL), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield sa.engine.make_url(_url(PG_URL)).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def make_portal(url: str, rows: int = ROWS, accounts: int = ACCOUNTS) -> sa.Engine:
    """``documents``: ``rows`` rows, account ``A<i % accounts>``, the account column indexed."""
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text(
            "CREATE TABLE documents (id bigint PRIMARY KEY, account_id text NOT NULL, title text NOT NULL, "
            "issued_on date NOT NULL, amount_cents integer NOT NULL, reference text NOT NULL)"))
        conn.execute(sa.text(
            "INSERT INTO documents SELECT i, 'A' || (i % :accounts), 'Quittance de loyer ' || i, "
            "date '2020-01-01' + (i % 2000), 50000 + i % 100000, md5(i::text) "
            "FROM generate_series(1, :rows) AS i"), {"accounts": accounts, "rows": rows})
        conn.execute(sa.text("CREATE INDEX ix_documents_account_id ON documents (account_id)"))
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(sa.text("VACUUM ANALYZE documents"))
    return engine


def make_app(url: str, **config):
    """The service on ``url`` with the bench's data map; the schema is created."""
    from consent_service import create_app
    from consent_service.extensions import db

    folder = Path(tempfile.mkdtemp(prefix="datamap-bench-"))
    path = folder / "datamap.yaml"
    path.write_text(DATAMAP.format(url=url), encoding="utf-8")
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "DATAMAP_PATH": str(path), "SECRET_KEY": "bench",
                      **config}, environ={"SECRET_KEY": "bench"})
    app.instance_path = str(folder / "instance")
    with app.app_context():
        db.create_all()
    return app


def timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def ratio_line(label: str, ours: list[float], baseline: list[float], limit: float) -> str:
    ours_s, base_s = statistics.median(ours), statistics.median(baseline)
    ratio = ours_s / base_s
    verdict = "ok" if ratio <= limit else f"OVER the {limit}x target"
    return (f"{label}: {ours_s * 1000:.1f} ms vs baseline {base_s * 1000:.1f} ms "
            f"(median of {len(ours)}) -> ratio {ratio:.2f}x ({verdict}, target <= {limit}x)")
