"""``flask preferences check`` (the catalogue) and ``flask preferences show ACCOUNT_ID``."""
from __future__ import annotations

import click
from flask.cli import AppGroup

from consent_service import clock
from consent_service.fields import account_id_is_valid

from . import catalogue, services

preferences_cli = AppGroup("preferences", help="Notification themes and paperless notices (PREFERENCES_PATH).")


@preferences_cli.command("check")
@click.option("--path", type=click.Path(dir_okay=False), default=None,
              help="Check this file instead of PREFERENCES_PATH (e.g. before deploying it).")
def check_command(path: str | None) -> None:
    """Print each theme of the catalogue with its default, or every problem (exit 1)."""
    if path is None:
        found = services.catalogue()
    else:
        try:
            found = catalogue.load(path)
        except catalogue.CatalogueError as err:
            click.echo(str(err), err=True)
            raise SystemExit(1) from None
    click.echo(f"catalogue: {found.path}")
    click.echo(f"email: {'on' if found.email_default else 'off'} by default")
    for theme in found.themes:
        rule = "mandatory" if theme.mandatory else ("on" if theme.default else "off") + " by default"
        click.echo(f"theme {theme.key}: {rule} — {theme.label['fr']} / {theme.label['en']}")
    click.echo("OK")


@preferences_cli.command("show")
@click.argument("account_id")
def show_command(account_id: str) -> None:
    """The account's preferences today and its history, newest first."""
    if not account_id_is_valid(account_id):
        raise click.ClickException("not a valid account id")
    state = services.preferences_of(account_id)
    paperless = state["paperless"]
    click.echo(f"themes: {', '.join(k + ('=on' if v else '=off') for k, v in state['themes'].items())}")
    click.echo(f"email: {'on' if state['email'] else 'off'}; direct debit: {'on' if state['direct_debit'] else 'off'}")
    click.echo(f"paperless: {paperless['status']} (effective on {paperless['effective_on'] or '-'}, "
               f"last electronic on {paperless['last_electronic_on'] or '-'})")
    for change in services.history(account_id):
        who = change.actor + (f" {change.actor_name}" if change.actor_name else "")
        click.echo(f"#{change.id} {clock.rfc3339(change.recorded_at)} {change.change} by {who}"
                   + (f" via {change.channel}" if change.channel else ""))
