#!/usr/bin/env python3
"""Purge benchmarks on PostgreSQL, each beside its baseline measured in the same run.

1. Purging one account (10,000 rows) from a 1,000,000-row table with an indexed subject column,
   through the engine (purge row, claimed steps, batches, receipt), versus a raw
   ``DELETE … WHERE account_id = …`` of another account of the same size. Target: <= 2x.
2. A retention sweep of 1,000,000 expired consent records in batches versus one raw
   ``DELETE`` of the same rows; the longest batch (the longest any lock is held) must stay
   under 1 s. Target: <= 2x.

Usage: ``.venv/bin/python bench/purge.py [--rounds 3] [--warm-up 4] [--accounts 100] [--skip-retention]``;
PostgreSQL at ``BENCH_PG_URL`` (default ``postgresql+psycopg://postgres@127.0.0.1:5432/postgres``). A scratch
database is created and dropped.
"""
from __future__ import annotations

import argparse
import datetime as dt
import time

import sqlalchemy as sa
from datamap_setup import ACCOUNTS, ROWS, make_app, make_portal, ratio_line, scratch_database, timed

PROOFS = 1_000_000


def bench_account_purge(app, portal: sa.Engine, rounds: int, accounts: int, warm_up: int) -> str:
    from consent_service.extensions import db
    from datamap import engine, purge_start, receipts

    ours, raw = [], []
    with app.app_context():
        # a worker that has run before has its statements compiled, and the first deletes after
        # the table was loaded pay for setting its pages' hint bits: both paths warm up first
        for round_ in range(-warm_up, rounds):
            mine, theirs = f"A{2 * round_ + 2 * warm_up + 1}", f"A{2 * round_ + 2 * warm_up + 2}"

            started = []

            def purge(mine: str = mine, started: list = started) -> None:  # the API call, then one worker pass
                started.append(purge_start.start_purge(mine, "account_deleted"))
                db.session.commit()
                engine.run_purges()

            def raw_delete(theirs: str = theirs) -> None:
                with portal.begin() as conn:
                    conn.execute(sa.text("DELETE FROM documents WHERE account_id = :a"), {"a": theirs})

            # alternate which goes first, so neither always finds a warmer cache
            pair = (purge, raw_delete) if round_ % 2 else (raw_delete, purge)
            times = {fn: timed(fn) for fn in pair}
            assert receipts.get_purge(started[0].purge_id).status == "done"  # checked outside the timing
            db.session.commit()
            if round_ >= 0:
                ours.append(times[purge])
                raw.append(times[raw_delete])
        with portal.connect() as conn:
            left = conn.execute(sa.text("SELECT count(*) FROM documents")).scalar_one()
        assert left == ROWS - 2 * (rounds + warm_up) * (ROWS // accounts), left
    return ratio_line(f"purge one account ({ROWS // accounts:,} rows) from {ROWS:,} rows", ours, raw, 2.0)


def load_proofs(db_engine: sa.Engine) -> None:
    with db_engine.begin() as conn:
        conn.execute(sa.text("TRUNCATE consent_records"))
        conn.execute(sa.text(
            "INSERT INTO consent_records (consent_id, site, policy_version, texts_hash, action, categories, "
            "recorded_at, valid_until, visitor_id, ip, user_agent, page, gpc, locale) "
            "SELECT md5('c' || i), 'espace-locataire', 1, md5('t'), 'refuse_all', '{\"analytics\": false}', "
            "timestamptz '2015-01-01' + i * interval '1 minute', timestamptz '2015-02-01' + i * interval '1 minute', "
            "md5('v' || (i % 200000)), '203.0.113.0', 'bench', 'https://example.fr/', false, 'fr' "
            "FROM generate_series(1, :n) AS i"), {"n": PROOFS})
    with db_engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(sa.text("VACUUM ANALYZE consent_records"))


def bench_retention(app, rounds: int = 3) -> list[str]:
    from consent_service import clock
    from consent_service.extensions import db
    from cookies import subject_data
    from datamap import sweeps

    batches: list[float] = []
    ours: list[float] = []
    raw: list[float] = []
    with app.app_context():
        real_batch = subject_data.ExpiredProofSweep.__call__
        started = []

        def timed_batch(sweep):
            started.append(time.perf_counter())
            return real_batch(sweep)

        def committed(session):
            if started:
                batches.append(time.perf_counter() - started.pop())

        def fresh():
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(sa.text("VACUUM consent_records"))
            load_proofs(db.engine)

        def our_sweep():
            subject_data.ExpiredProofSweep.__call__ = timed_batch
            sa.event.listen(db.session, "after_commit", committed)
            clock.set_now(dt.datetime(2027, 1, 1, tzinfo=dt.UTC))
            try:
                ours.append(timed(sweeps.run_retention))
            finally:
                subject_data.ExpiredProofSweep.__call__ = real_batch
                sa.event.remove(db.session, "after_commit", committed)
                clock.set_now(None)
            left = db.session.execute(sa.text("SELECT count(*) FROM consent_records")).scalar_one()
            db.session.rollback()  # no transaction left open to block the next TRUNCATE
            assert left == 0, left

        def raw_delete():
            with db.engine.begin() as conn:
                raw.append(timed(lambda: conn.execute(sa.text(
                    "DELETE FROM consent_records WHERE recorded_at < timestamptz '2026-12-01'"))))

        app.config["CONSENT_PROOF_RETENTION_MONTHS"] = 1
        for round_ in range(rounds):  # ours, raw, raw, ours, …: neither always goes first
            for run in ((our_sweep, raw_delete) if round_ % 2 == 0 else (raw_delete, our_sweep)):
                fresh()
                run()
    lines = [ratio_line(f"retention sweep of {PROOFS:,} expired consent records "
                        f"(batches of {app.config['RETENTION_BATCH_SIZE']:,})", ours, raw, 2.0)]
    longest = max(batches)
    lines.append(f"longest batch (longest lock held by the sweep): {longest * 1000:.1f} ms "
                 f"({'ok' if longest < 1.0 else 'OVER'}, target < 1000 ms); the raw DELETE held its locks "
                 f"{min(raw) * 1000:.1f} ms or more")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--accounts", type=int, default=ACCOUNTS,
                        help="accounts sharing the 1,000,000 rows (100: 10,000 rows each)")
    parser.add_argument("--warm-up", type=int, default=4, help="rounds run first and not counted")
    parser.add_argument("--skip-retention", action="store_true")
    args = parser.parse_args()
    if 2 * (args.rounds + args.warm_up) > args.accounts:
        parser.error(f"{args.rounds} rounds and {args.warm_up} warm-up rounds purge "
                     f"{2 * (args.rounds + args.warm_up)} accounts; there are only --accounts {args.accounts}")
    with scratch_database("bench_purge") as url:
        started = time.perf_counter()
        portal = make_portal(url, accounts=args.accounts)
        app = make_app(url)
        print(f"setup: {ROWS:,} portal rows in {time.perf_counter() - started:.1f} s")
        try:
            print(bench_account_purge(app, portal, args.rounds, args.accounts, args.warm_up))
            for line in ([] if args.skip_retention else bench_retention(app)):
                print(line)
        finally:
            with app.app_context():
                from consent_service.extensions import db

                db.session.remove()
                db.engine.dispose()
                app.extensions["datamap"].dispose()
            portal.dispose()


if __name__ == "__main__":
    main()
