"""``flask datamap check``."""
from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

from . import loader

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
            raise SystemExit(1)
        click.echo(f"data map: {path}")
    for line in loader.report(datamap):
        click.echo(line)
    click.echo("OK")
