"""``flask datamap check``, ``flask purges replay``."""
from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from consent_service import clock

from . import loader, replay
from .journal import JournalError

datamap_cli = AppGroup("datamap", help="The data map (DATAMAP_PATH).")


@datamap_cli.command("check")
@click.option("--path", type=click.Path(dir_okay=False), default=None,
              help="Check this file instead of DATAMAP_PATH (e.g. before deploying it).")
def check_command(path: str | None) -> None:
    """Print each store, its tables or folder, and whether they exist with their subject column."""
    if path is None:
        datamap = current_app.extensions["datamap"]
        click.echo(f"data map: {datamap.path or '(none: DATAMAP_PATH is not set)'}")
    else:
        try:
            datamap = loader.load(path)
        except loader.DataMapError as err:
            click.echo(str(err), err=True)
            raise SystemExit(1) from None
        click.echo(f"data map: {path}")
    for line in loader.report(datamap):
        click.echo(line)
    click.echo("OK")


purges_cli = AppGroup("purges", help="Purges of personal data.")


@purges_cli.command("replay")
@click.option("--since", "since", required=True, type=click.DateTime(formats=["%Y-%m-%d"]),
              help="Re-apply the erasures finished on or after this day (UTC): the day of the restored dump.")
@click.option("--dry-run", is_flag=True, help="Print what would be erased, change nothing.")
@click.option("--journal", "journal_path", type=click.Path(dir_okay=False, exists=True), default=None,
              help="Read this journal instead of ERASURE_JOURNAL (e.g. another host's copy).")
def replay_command(since, dry_run: bool, journal_path: str | None) -> None:
    """After a database restore, erase again whoever the erasure journal says was erased."""
    try:
        done = replay.replay(since.date(), dry_run=dry_run, journal=Path(journal_path) if journal_path else None)
    except JournalError as err:
        raise click.ClickException(str(err)) from None
    for item in done:
        entry = item.entry
        rows = f" ({item.rows} rows)" if item.action == "erased" else ""
        click.echo(f"purge {entry.purge_id}  {entry.trigger}  finished {clock.rfc3339(entry.finished_at)}  "
                   f"{item.action}{rows}")
    verb = "would be erased again" if dry_run else "erased again"
    click.echo(f"{len(done)} journal entries since {since.date().isoformat()}: "
               f"{sum(item.action in ('erased', 'would erase') for item in done)} {verb}")
