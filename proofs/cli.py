"""``flask proofs verify [--since YYYY-MM-DD]`` and ``flask proofs seal``."""
from __future__ import annotations

import datetime as dt

import click
from flask.cli import AppGroup

from consent_service import clock
from consent_service.extensions import db

from . import sealer, services, verify

proofs_cli = AppGroup("proofs", help="Seal the consent proofs and verify the seals.")


@proofs_cli.command("verify")
@click.option("--since", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="Only the seals made on or after this day (UTC).")
def verify_command(since: dt.datetime | None) -> None:
    """Recompute every seal; exit 1 naming the first record or seal that no longer matches."""
    day = since.date() if since else None
    started = clock.now()
    outcome = verify.verify(day)
    services.record_cli_run(day, started, outcome)
    db.session.commit()
    if not outcome.passed:
        click.echo(f"FAILED: {outcome.describe('en')} ({outcome.seals} seals, {outcome.records} records "
                   "checked before it)", err=True)
        raise SystemExit(1)
    click.echo(f"OK: {outcome.seals} seals and {outcome.records} sealed records verified.")


@proofs_cli.command("seal")
def seal_command() -> None:
    """Seal the records not sealed yet, now (the worker does it every SEAL_INTERVAL_SECONDS)."""
    count = sealer.seal_pending()
    latest = services.latest_seal()
    click.echo(f"Sealed {count} records." + (f" Latest seal: {latest.number} {latest.hash}" if latest else ""))
