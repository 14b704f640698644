#!/usr/bin/env python3
"""Consent proof at scale on PostgreSQL, each figure beside a baseline measured in the same run.

Loads ``--rows`` proofs (10,000,000 by default) with ``COPY`` into the partitioned
``consent_records`` of a scratch database (the service's schema; one partition per month,
spread evenly over ``--months`` months ending now; three proofs per visitor; one account per
two visitors for ``--accounts`` accounts), then measures:

1. **A month's retention**: the service's sweep (``ExpiredProofSweep`` as the worker runs it:
   the expired month partition detached, which takes its proofs out of the table, then counted
   for the receipt and dropped in the next transaction) versus one raw ``DELETE`` of the same
   rows (timed, then rolled back), until the proofs are out of the table and whole. Target
   <= 0.05x. Beside the drop: what this disk takes to free a file of the month's size.
   Meanwhile a second connection keeps writing proofs and reading histories: its slowest
   statement during each is the longest any client waited for a lock (target < 100 ms). One
   hour of boundary-month rows deleted row by row (what each hourly pass does) is shown too.
2. **History p99** by visitor and by account (``services.history``, the API's query) on the
   full table versus the same look-ups on an empty one, three times: as found (pages read
   lately in memory, the rest on disk), after reading every index into the OS cache
   (``pg_prewarm``), then after reading the tables too (a server whose memory holds its
   proofs), each time on other visitors. Target < 10 ms.
3. **Consent write throughput** (``services.record_decision`` through the app's proof writer,
   as the API writes: each proof committed before the next) on the full table versus an empty
   one, in interleaved rounds whose order alternates. Target >= 0.9x.
4. **Erasure of one account's proofs** (``subject_data.erase_account``) on the full table
   versus the empty one.

Usage: ``.venv/bin/python bench/proof_scale.py [--rows 10000000] [--months 61] [--rounds 5]``;
PostgreSQL at ``BENCH_PG_URL``; the table is also written to ``bench/results/proof_scale.md``
(``--no-write``: not). Two scratch databases are created and dropped. With
``--keep NAME`` the full table is loaded into database ``NAME`` and kept, and a later run with
the same ``--keep`` measures it without loading again (each run's retention drops its oldest
month, and its erasure takes another account).
"""
from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from datamap_setup import scratch_database  # noqa: E402
from proof_load import (  # noqa: E402
    COLUMNS,
    SITE,
    UTC,
    kept_database,
    linked_account,
    load,
    loaded,
    loaded_state,
    make_app,
    note_load,
    prewarm_indexes,
    prewarm_tables,
    visitor,
)


class Prober(threading.Thread):
    """Another client during a measurement: writes a proof and reads a history in a loop; its
    slowest statement is the longest it waited (for a lock, or anything else)."""

    def __init__(self, url: str, visitors: int):
        super().__init__(daemon=True)
        self.engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
        self.visitors, self.stop, self.slowest, self.count = visitors, threading.Event(), 0.0, 0

    def run(self):
        rng = random.Random(7)
        with self.engine.connect() as conn:
            while not self.stop.is_set():
                started = time.perf_counter()
                with conn.begin():
                    conn.execute(sa.text(
                        f"INSERT INTO consent_records ({COLUMNS}) VALUES (md5(random()::text), 's', 1, :h, "
                        "'accept_all', '{}', now(), now(), :v, NULL, NULL, NULL, false, 'fr')"),
                        {"h": "0" * 64, "v": visitor(rng.randrange(self.visitors))})
                    conn.execute(sa.text("SELECT consent_id FROM consent_records WHERE visitor_id = :v "
                                         "ORDER BY recorded_at DESC LIMIT 50"),
                                 {"v": visitor(rng.randrange(self.visitors))})
                self.slowest = max(self.slowest, time.perf_counter() - started)
                self.count += 1

    def __enter__(self):
        self.start()
        time.sleep(0.3)
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.join()
        self.engine.dispose()


def bench_retention(app, url: str, rows: int, now: dt.datetime) -> list[str]:
    from consent_service.extensions import db
    from cookies import partitions
    from cookies.subject_data import ExpiredProofSweep

    with app.app_context():
        oldest = partitions.months(db.session.connection())[0]
        cutoff = dt.datetime.combine(partitions.next_month(oldest), dt.time(), UTC)
        month_rows = db.session.execute(sa.text("SELECT count(*) FROM consent_records WHERE recorded_at < :c"),
                                        {"c": cutoff}).scalar_one()
        month_bytes = db.session.execute(sa.text("SELECT pg_total_relation_size(:t)"),
                                         {"t": partitions.partition_name(oldest)}).scalar_one()
        db.session.commit()
        with Prober(url, rows // 3) as raw_probe:
            started = time.perf_counter()
            deleted = db.session.execute(sa.text("DELETE FROM consent_records WHERE recorded_at < :c"),
                                         {"c": cutoff}).rowcount
            raw_seconds = time.perf_counter() - started
            db.session.rollback()
        assert deleted == month_rows, (deleted, month_rows)
        # The rolled-back DELETE left its mark on every row of the month (an aborted xmax);
        # the first reader would pay to clean it up. VACUUM does, untimed, so the sweep meets
        # the month as it was.
        _vacuum(db, partitions.partition_name(oldest))
        with Prober(url, rows // 3) as sweep_probe:
            swept, sweep_seconds, out_of_reach, drop_commit = _drain(ExpiredProofSweep(cutoff, 20_000))
        assert swept == month_rows, (swept, month_rows)
        hour_rows, hour_seconds, _, _ = _drain(ExpiredProofSweep(cutoff + dt.timedelta(hours=1), 20_000))
        # What the sweep spends counting a month for its receipt (the next month, the same size)
        next_month = partitions.partition_name(partitions.months(db.session.connection())[0])
        db.session.commit()
        started = time.perf_counter()
        db.session.execute(sa.text(f'SELECT count(*) FROM "{next_month}"')).scalar_one()
        count_seconds = time.perf_counter() - started
        db.session.commit()
    free_seconds = _free_file_seconds(month_bytes)
    reach, whole = out_of_reach / raw_seconds, sweep_seconds / raw_seconds
    return [
        f"| A month's retention ({month_rows:,} proofs, {month_bytes / 2**20:,.0f} MB): its proofs out of the "
        f"table (the detach, committed) | {out_of_reach * 1000:,.1f} ms | one raw DELETE of the same rows: "
        f"{raw_seconds * 1000:,.0f} ms | {reach:.3f}× | ≤ 0.05× | {_met(reach <= 0.05)} |",
        f"| A month's retention, whole: then counted for the receipt and dropped (files freed) | "
        f"{sweep_seconds * 1000:,.0f} ms | the same DELETE | {whole:.3f}× | ≤ 0.05× | {_met(whole <= 0.05)} |",
        f"| Longest wait of another client (insert + history) during it | {sweep_probe.slowest * 1000:.0f} ms "
        f"({sweep_probe.count} statements) | during the raw DELETE: {raw_probe.slowest * 1000:.0f} ms "
        f"({raw_probe.count}) | — | < 100 ms | {_met(sweep_probe.slowest < 0.1)} |",
        f"| of which counting the month's proofs for the receipt (timed on the next month) | "
        f"{count_seconds * 1000:,.0f} ms | — | {(sweep_seconds - count_seconds) / raw_seconds:.3f}× without it "
        "| — | — |",
        f"| of which the commit of the drop (the month's files freed) | {drop_commit * 1000:,.0f} ms | freeing a "
        f"file of the month's size on this disk, outside PostgreSQL: {free_seconds * 1000:,.0f} ms | "
        f"{(sweep_seconds - count_seconds - drop_commit) / raw_seconds:.3f}× without both | — | — |",
        f"| The boundary month's next hour, row by row ({hour_rows:,} proofs: one hourly pass) | "
        f"{hour_seconds * 1000:,.0f} ms | — | — | — | — |",
    ]


def _vacuum(db, table: str) -> None:
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(sa.text(f'VACUUM ANALYZE "{table}"'))


def _free_file_seconds(size: int) -> float:
    """What this disk takes to free ``size`` bytes of a written file (truncating it, as
    PostgreSQL does to a dropped table's files): the floor of any drop, whatever the database."""
    chunk = os.urandom(1 << 20)
    with tempfile.NamedTemporaryFile(dir=os.environ.get("BENCH_FREE_DIR", "/var/tmp")) as handle:
        for _ in range(max(size >> 20, 1)):
            handle.write(chunk)
        handle.flush()
        os.fsync(handle.fileno())
        started = time.perf_counter()
        os.truncate(handle.name, 0)
        return time.perf_counter() - started


def _drain(sweep) -> tuple[int, float, float, float]:
    """Run a retention sweep as the worker does (a commit after each call): (rows, seconds,
    seconds until the first commit: the expired months out of the table, seconds of the longest
    commit: the one that frees the dropped months' files)."""
    from consent_service.extensions import db

    started, total, longest_commit, first_commit = time.perf_counter(), 0, 0.0, None
    while True:
        count = sweep()
        committing = time.perf_counter()
        db.session.commit()
        longest_commit = max(longest_commit, time.perf_counter() - committing)
        if first_commit is None:
            first_commit = time.perf_counter() - started
        total += count
        if not count and not sweep.pending:
            break
    return total, time.perf_counter() - started, first_commit, longest_commit


def history_p99(app, lookups: int, accounts: int, visitors: int, seed: int = 99) -> tuple[float, float]:
    from cookies import services

    rng = random.Random(seed)
    by_visitor, by_account = [], []
    with app.app_context():
        for _ in range(lookups):
            started = time.perf_counter()
            services.history(visitor_id=visitor(rng.randrange(max(visitors, 1))))
            by_visitor.append(time.perf_counter() - started)
            started = time.perf_counter()
            services.history(account_id=f"acct-{rng.randrange(max(accounts, 1))}")
            by_account.append(time.perf_counter() - started)
    return (_p99(by_visitor), statistics.median(by_visitor)), (_p99(by_account), statistics.median(by_account))


def write_rate(app, seconds: float) -> float:
    """Decisions a second, each proof committed by the app's proof writer (as the API does)."""
    from cookies import policies, services

    with app.app_context():
        policy = policies.current_policy(SITE)
        writer = app.extensions["proof_writer"]
        done, deadline = 0, time.perf_counter() + seconds
        while time.perf_counter() < deadline:
            services.record_decision(policy, action="accept_all", chosen=None, visitor_id=None, locale="fr",
                                     page="https://localhost/", ip="192.0.2.7", user_agent="bench", gpc=False,
                                     into=writer)
            done += 1
    return done / seconds


def erasure_time(app, account: str) -> tuple[float, int]:
    from consent_service.extensions import db
    from cookies import subject_data

    with app.app_context():
        started = time.perf_counter()
        counts = subject_data.erase_account(account)
        db.session.commit()
        return time.perf_counter() - started, counts["consent_records"]


def _p99(values: list[float]) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * 0.99))]


def _met(ok: bool) -> str:
    return "yes" if ok else "**no**"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--months", type=int, default=61, help="months the proofs span (retention 60 + the current)")
    parser.add_argument("--accounts", type=int, default=100_000)
    parser.add_argument("--lookups", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=5, help="interleaved write-rate rounds")
    parser.add_argument("--write-seconds", type=float, default=2.0)
    parser.add_argument("--keep", metavar="NAME", help="load the full table into database NAME and keep it; "
                        "reuse it when it is already loaded")
    parser.add_argument("--load-only", action="store_true", help="with --keep: load, then stop")
    parser.add_argument("--no-write", action="store_true", help="do not write bench/results/proof_scale.md")
    args = parser.parse_args(argv)
    now = dt.datetime.now(UTC)
    load_before = os.getloadavg()[0]
    full_db = kept_database(args.keep) if args.keep else scratch_database("proof_scale_full")
    with full_db as full_url, scratch_database("proof_scale_empty") as empty_url:
        full, empty = make_app(full_url), make_app(empty_url)
        with empty.app_context():
            from consent_service.extensions import db
            from cookies import partitions

            partitions.ensure_months(now)
            db.session.commit()
        if not (args.keep and loaded(full)):
            print(f"loading {args.rows:,} proofs over {args.months} months …", flush=True)
            load_seconds = load(full, args.rows, args.months, min(args.accounts, args.rows // 6), now)
            print(f"loaded in {load_seconds:.0f} s", flush=True)
            note_load(full, f"{args.rows:,} proofs loaded by COPY in {load_seconds:.0f} s "
                             f"({now:%Y-%m-%d %H:%M} UTC)")
        if args.load_only:
            return 0
        how_loaded, held = loaded_state(full, now)
        visitors = args.rows // 3
        accounts = min(args.accounts, args.rows // 6)
        lines = ["| Measure | Service | Baseline (same run) | Ratio | Target | Met |", "|---|---:|---|---:|---|:-:|"]
        # As found first (what was read lately is in memory, the rest on disk), then with the
        # indexes read into memory beforehand, on other visitors and accounts (another seed).
        cold = history_p99(full, args.lookups, accounts, visitors)
        warm_seconds, warm_mb = prewarm_indexes(full)
        prewarm_indexes(empty)
        prewarm_tables(empty)
        warm = history_p99(full, args.lookups, accounts, visitors, seed=100)
        table_seconds, table_mb = prewarm_tables(full)
        in_memory = history_p99(full, args.lookups, accounts, visitors, seed=101)
        (empty_v, empty_v50), (empty_a, empty_a50) = history_p99(empty, args.lookups, accounts, visitors, seed=100)
        for label, ((full_v, full_v50), (full_a, full_a50)) in (
                ("as found", cold), (f"indexes in memory ({warm_mb:,} MB read in {warm_seconds:.1f} s)", warm),
                (f"indexes and tables in memory (another {table_mb:,} MB read in {table_seconds:.1f} s)",
                 in_memory)):
            lines.append(f"| History by visitor, p99 (p50) of {args.lookups}, {label} | {full_v * 1000:.2f} ms "
                         f"({full_v50 * 1000:.2f}) | empty table: {empty_v * 1000:.2f} ms ({empty_v50 * 1000:.2f}) "
                         f"| {full_v / empty_v:.1f}× | < 10 ms | {_met(full_v < 0.01)} |")
            lines.append(f"| History by account, p99 (p50) of {args.lookups}, {label} | {full_a * 1000:.2f} ms "
                         f"({full_a50 * 1000:.2f}) | empty table: {empty_a * 1000:.2f} ms ({empty_a50 * 1000:.2f}) "
                         f"| {full_a / empty_a:.1f}× | < 10 ms | {_met(full_a < 0.01)} |")
        full_rates, empty_rates = [], []
        for round_no in range(args.rounds):  # the order alternates: neither side always goes first
            for side in ((empty, empty_rates), (full, full_rates))[::1 if round_no % 2 == 0 else -1]:
                side[1].append(write_rate(side[0], args.write_seconds))
        ratios = sorted(f / e for f, e in zip(full_rates, empty_rates, strict=True))
        ratio = ratios[len(ratios) // 2]
        lines.append(f"| Consent writes (record, committed by the proof writer), {args.rows:,} proofs, indexes in "
                     f"memory | {statistics.median(full_rates):,.0f}/s "
                     f"| empty table: {statistics.median(empty_rates):,.0f}/s | {ratio:.2f}× | ≥ 0.9× "
                     f"| {_met(ratio >= 0.9)} |")
        account = linked_account(full)  # acct-1 on a fresh load; another one on a kept table
        erase_full, erased = erasure_time(full, account)
        with empty.app_context():
            from consent_service.extensions import db as empty_db

            empty_db.session.execute(sa.text("INSERT INTO visitor_links (account_id, visitor_id, linked_at) "
                                             "VALUES (:a, :v, now())"), {"a": account, "v": visitor(2)})
            empty_db.session.commit()
        erase_empty, _ = erasure_time(empty, account)
        lines.append(f"| Erasure of one account's proofs ({erased} proofs, 2 visitors) | {erase_full * 1000:.1f} ms | "
                     f"empty table: {erase_empty * 1000:.1f} ms | {erase_full / erase_empty:.1f}× | — | — |")
        lines += bench_retention(full, full_url, args.rows, now)
        with full.app_context():
            from consent_service.extensions import db as full_db

            size = full_db.session.execute(sa.text(
                "SELECT sum(pg_total_relation_size(relid)) FROM pg_partition_tree('consent_records')")).scalar_one()
            proofs = full_db.session.execute(sa.text("SELECT count(*) FROM consent_records")).scalar_one()
    header = (f"Measured {now:%Y-%m-%d %H:%M} UTC on {os.cpu_count()} CPU(s), PostgreSQL on 127.0.0.1; "
              + f"{how_loaded}; {held} before the run, "
              + f"{accounts:,} accounts of 2 visitors; {size / proofs:.0f} bytes per proof on disk, indexes "
              f"included. Load average (1 min): {load_before:.2f} before, "
              f"{os.getloadavg()[0]:.2f} after.")
    report = "\n".join([header, "", *lines, ""])
    print()
    print(report)
    if not args.no_write:
        results = Path(__file__).resolve().parent / "results" / "proof_scale.md"
        results.write_text("# Consent proof at scale (bench/proof_scale.py)\n\n" + report)
        print(f"written to {results}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
