"""``flask config check``: the effective settings, secrets masked; exit 1 when one is invalid.

A Flask CLI plugin (entry point ``flask.commands``), not an app command: it must answer when
an invalid setting keeps the application from being built."""
from __future__ import annotations

import click
from flask.cli import ScriptInfo

from .config import Settings, SettingsError


@click.group("config", help="The service's settings.")
def config_cli() -> None:
    pass


@config_cli.command("check")
@click.pass_context
def check_command(ctx: click.Context) -> None:
    """Print every setting (secrets masked) and where it came from; exit 1 when one is invalid."""
    report: Settings | None = None
    problems: dict[str, str] = {}
    try:
        app = ctx.ensure_object(ScriptInfo).load_app()
        report = app.extensions["settings"]
    except SettingsError as err:
        report, problems = err.report, err.problems
    except Exception as err:  # a setting that parses but points at something unusable (a bad data map)
        problems["application"] = f"{type(err).__name__}: {err}"
    if report is not None:
        width = max(len(name) for name, _, _ in report.masked())
        for name, value, source in report.masked():
            flag = "  <- INVALID" if name in problems else ""
            click.echo(f"{name.ljust(width)}  {value}  ({source}){flag}")
    for name, why in problems.items():
        click.echo(f"invalid: {name} {why}", err=True)
    if problems:
        ctx.exit(1)
    click.echo("settings are valid")
