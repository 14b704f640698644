#!/usr/bin/env python3
"""Export benchmark on PostgreSQL, beside its baseline measured in the same run.

Exporting one account with 10,000 rows (in a 1,000,000-row table) through the access export
(rows streamed in chunks into a ZIP of JSON, then stored in the service database in 1 MiB
chunks so any host serves it, with the files listing, the service's own
data, Article 15 information and a readable summary) versus a raw ``SELECT`` of the same rows
and one ``json.dump`` of them to a file. Target: <= 2x. Peak Python memory of both is printed
(tracemalloc, in separate runs so it does not slow the timed ones).

Usage: ``.venv/bin/python bench/export.py [--rounds 5]``; PostgreSQL at ``BENCH_PG_URL``.
"""
from __future__ import annotations

import argparse
import json
import tempfile
import tracemalloc
from pathlib import Path

import sqlalchemy as sa
from datamap_setup import ACCOUNTS, ROWS, make_app, make_portal, ratio_line, scratch_database, timed


def raw_export(portal: sa.Engine, account_id: str, target: Path) -> None:
    with portal.connect() as conn:
        rows = [dict(r) for r in conn.execute(sa.text("SELECT * FROM documents WHERE account_id = :a"),
                                              {"a": account_id}).mappings()]
    with target.open("w", encoding="utf-8") as out:
        json.dump(rows, out, ensure_ascii=False, default=str)


def our_export(app, account_id: str) -> None:
    from consent_service.extensions import db
    from datamap import exports

    export, _url = exports.build(account_id, None, "fr")
    db.session.commit()
    assert export.size > 0


def last_export_size() -> int:
    from consent_service.extensions import db
    from datamap.models import DataExport

    return db.session.execute(db.select(DataExport.size).order_by(DataExport.created_at.desc()).limit(1)).scalar_one()


def peak_kib(fn) -> float:
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1] / 1024
    finally:
        tracemalloc.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="export-bench-"))
    with scratch_database("bench_export") as url:
        portal = make_portal(url)
        app = make_app(url)
        try:
            with app.app_context():
                our_export(app, "A0")  # warm-up: compiled statements, loaded template
                raw_export(portal, "A0", scratch / "warm.json")
                ours, raw = [], []
                for round_ in range(args.rounds):
                    account = f"A{round_ + 1}"
                    pair = [lambda account=account: ours.append(timed(lambda: our_export(app, account))),
                            lambda account=account: raw.append(
                                timed(lambda: raw_export(portal, account, scratch / "raw.json")))]
                    for run in (pair if round_ % 2 == 0 else pair[::-1]):
                        run()
                print(ratio_line(f"export one account ({ROWS // ACCOUNTS:,} rows) from {ROWS:,} rows", ours, raw, 2.0))
                mine = peak_kib(lambda: our_export(app, "A42"))
                theirs = peak_kib(lambda: raw_export(portal, "A42", scratch / "raw.json"))
                zipped = last_export_size()
                print(f"peak Python memory: export {mine:,.0f} KiB (rows streamed in chunks) vs raw "
                      f"SELECT + json.dump {theirs:,.0f} KiB (all rows held); ZIP size {zipped / 1024:,.0f} KiB, "
                      f"raw JSON {(scratch / 'raw.json').stat().st_size / 1024:,.0f} KiB")
                from consent_service.extensions import db

                db.session.remove()
                db.engine.dispose()
        finally:
            app.extensions["datamap"].dispose()
            portal.dispose()


if __name__ == "__main__":
    main()
