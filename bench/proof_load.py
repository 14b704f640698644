"""Loading the proof table for bench/proof_scale.py: a scratch app on the service's schema,
10,000,000 proofs by ``COPY`` into the monthly partitions (three per visitor, one account per
two visitors, indexes built after the load), and a kept database (``--keep``) that later runs
measure without loading again."""
from __future__ import annotations

import contextlib
import datetime as dt
import random
import time

import sqlalchemy as sa
from datamap_setup import PG_URL

UTC = dt.UTC
COLUMNS = ("consent_id, site, policy_version, texts_hash, action, categories, recorded_at, valid_until, "
           "visitor_id, ip, user_agent, page, gpc, locale")
SITE = "espace-locataire"
CATEGORIES = '{"functional": true, "analytics": false}'


def make_app(url: str):
    from consent_service import create_app
    from consent_service.extensions import db

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "CONSENT_RATE_LIMIT": "off"},
                     environ={"SECRET_KEY": "bench"})
    with app.app_context():
        db.create_all()
        from cookies import demo

        demo.load_demo_site()
        db.session.commit()
    return app


def visitor(i: int) -> str:
    return f"{i:032x}"


def load(app, rows: int, months: int, accounts: int, now: dt.datetime) -> float:
    """COPY ``rows`` proofs and the visitor links; returns the seconds it took (indexes built after)."""
    from consent_service.extensions import db
    from cookies import partitions

    started = time.perf_counter()
    first = partitions.month_of(now)
    for _ in range(months - 1):
        first = dt.date(first.year - (first.month == 1), (first.month - 2) % 12 + 1, 1)
    span = (now - dt.datetime.combine(first, dt.time(), UTC)).total_seconds()
    with app.app_context():
        connection = db.session.connection()
        month = first
        for _ in range(months + partitions.AHEAD):  # what the worker keeps: up to three months ahead
            partitions.create_month(connection, month)
            month = partitions.next_month(month)
        db.session.commit()
        raw = db.engine.raw_connection()
        try:
            cursor = raw.cursor()
            cursor.execute("SET maintenance_work_mem = '256MB'")
            cursor.execute("ALTER TABLE consent_records DROP CONSTRAINT pk_consent_records")
            cursor.execute("DROP INDEX ix_consent_records_visitor_recorded")
            cursor.execute("DROP INDEX ix_consent_records_recorded_at")
            step = span / rows
            start_ts = dt.datetime.combine(first, dt.time(), UTC).timestamp()
            rng = random.Random(15)
            with cursor.copy(f"COPY consent_records ({COLUMNS}) FROM STDIN") as copy:
                chunk = []
                for i in range(rows):
                    at = dt.datetime.fromtimestamp(start_ts + i * step, UTC)
                    chunk.append(f"{rng.getrandbits(128):032x}\t{SITE}\t1\t{'0' * 64}\taccept_all\t{CATEGORIES}\t"
                                 f"{at.isoformat()}\t{(at + dt.timedelta(days=395)).isoformat()}\t"
                                 f"{visitor(rng.randrange(rows // 3))}\t192.0.2.0\tbench\t\\N\tf\tfr\n")
                    if len(chunk) == 10_000:
                        copy.write("".join(chunk))
                        chunk = []
                copy.write("".join(chunk))
            with cursor.copy("COPY visitor_links (account_id, visitor_id, linked_at) FROM STDIN") as copy:
                copy.write("".join(f"acct-{a}\t{visitor(2 * a + k)}\t{now.isoformat()}\n"
                                   for a in range(accounts) for k in range(2)))
            cursor.execute("ALTER TABLE consent_records ADD CONSTRAINT pk_consent_records "
                           "PRIMARY KEY (consent_id, recorded_at)")
            cursor.execute("CREATE INDEX ix_consent_records_visitor_recorded "
                           "ON consent_records (visitor_id, recorded_at)")
            cursor.execute("CREATE INDEX ix_consent_records_recorded_at ON consent_records (recorded_at)")
            raw.commit()
            raw.driver_connection.autocommit = True
            cursor.execute("VACUUM ANALYZE consent_records")
            cursor.execute("VACUUM ANALYZE visitor_links")
        finally:
            raw.invalidate()  # its autocommit must not go back to the pool
    return time.perf_counter() - started


def prewarm_indexes(app) -> tuple[float, int]:
    """Read every index of the proof partitions and of visitor_links into the OS cache
    (pg_prewarm, mode 'read'): a server whose memory holds them, as a busy one's does.
    Returns (seconds, MB). The tables themselves are not read."""
    from consent_service.extensions import db

    started = time.perf_counter()
    with app.app_context():
        db.session.execute(sa.text("CREATE EXTENSION IF NOT EXISTS pg_prewarm"))
        blocks = db.session.execute(sa.text(
            "SELECT coalesce(sum(pg_prewarm(i.indexrelid, 'read')), 0) FROM pg_index i "
            "WHERE i.indrelid IN (SELECT inhrelid FROM pg_inherits WHERE inhparent = 'consent_records'::regclass) "
            "OR i.indrelid = 'visitor_links'::regclass")).scalar_one()
        db.session.commit()
    return time.perf_counter() - started, int(blocks) * 8 // 1024


def prewarm_tables(app) -> tuple[float, int]:
    """Read the proof partitions and visitor_links themselves into the OS cache (pg_prewarm,
    mode 'read'): a server sized to hold its proofs in memory. Returns (seconds, MB)."""
    from consent_service.extensions import db

    started = time.perf_counter()
    with app.app_context():
        db.session.execute(sa.text("CREATE EXTENSION IF NOT EXISTS pg_prewarm"))
        blocks = db.session.execute(sa.text(
            "SELECT coalesce(sum(pg_prewarm(inhrelid, 'read')), 0) FROM pg_inherits "
            "WHERE inhparent = 'consent_records'::regclass")).scalar_one()
        blocks += db.session.execute(sa.text("SELECT pg_prewarm('visitor_links'::regclass, 'read')")).scalar_one()
        db.session.commit()
    return time.perf_counter() - started, int(blocks) * 8 // 1024


@contextlib.contextmanager
def kept_database(name: str):
    """Database ``name``, created when missing and left in place afterwards (``--keep``)."""
    admin = sa.create_engine(PG_URL.replace("postgresql://", "postgresql+psycopg://", 1), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        if not conn.execute(sa.text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).scalar():
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        url = sa.engine.make_url(PG_URL.replace("postgresql://", "postgresql+psycopg://", 1)).set(database=name)
    admin.dispose()
    yield url.render_as_string(hide_password=False)


def loaded(app) -> bool:
    from consent_service.extensions import db

    with app.app_context():
        found = db.session.execute(sa.text("SELECT EXISTS (SELECT 1 FROM visitor_links)")).scalar_one()
        db.session.commit()
    return bool(found)


def note_load(app, text: str) -> None:
    """Remember how the table was loaded (a kept database is measured by later runs)."""
    from consent_service.extensions import db

    with app.app_context(), db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        name = conn.execute(sa.text("SELECT current_database()")).scalar_one()
        conn.execute(sa.text(f"COMMENT ON DATABASE \"{name}\" IS '{text}'"))


def loaded_state(app, now: dt.datetime) -> tuple[str, str]:
    """How the table was loaded, and what it holds now: (load note, proofs and months)."""
    from consent_service.extensions import db
    from cookies import partitions

    with app.app_context():
        note = db.session.execute(sa.text("SELECT shobj_description(oid, 'pg_database') FROM pg_database "
                                          "WHERE datname = current_database()")).scalar_one()
        proofs = db.session.execute(sa.text("SELECT count(*) FROM consent_records")).scalar_one()
        months = [m for m in partitions.months(db.session.connection()) if m <= partitions.month_of(now)]
        db.session.commit()
    return note or "proofs loaded by COPY", f"{proofs:,} proofs in {len(months)} monthly partitions"


def linked_account(app) -> str:
    """An account that still has its two visitors (acct-1 on a fresh table)."""
    from consent_service.extensions import db

    with app.app_context():
        found = db.session.execute(sa.text(
            "SELECT account_id FROM visitor_links WHERE account_id LIKE 'acct-%' GROUP BY account_id "
            "HAVING count(*) = 2 ORDER BY min(id) LIMIT 1")).scalar_one()
        db.session.commit()
    return found
