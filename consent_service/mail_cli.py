"""``flask mail list [--status S]`` and ``flask mail show ID``: the outbox, for set-ups without
SMTP (the demo) and for the DPO's record of what was said. Nothing is sent or changed."""
from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

from . import clock
from .extensions import db
from .mail import MAX_ID, STATUSES, OutboxMessage, list_messages

mail_cli = AppGroup("mail", help="Read the outbox: queued, sent and failed mail.")


@mail_cli.command("list")
@click.option("--status", type=click.Choice(STATUSES), help="Only mail in this status.")
@click.option("--limit", type=click.IntRange(1, 10000), default=50, show_default=True)
def list_command(status: str | None, limit: int) -> None:
    """One line per mail, newest first: id, status, created, recipient, subject."""
    messages = list_messages(status, limit)
    if not messages:
        click.echo("No mail" + (f" with status {status}." if status else "."))
        return
    for message in messages:
        created = clock.rfc3339(message.created_at)
        click.echo(f"{message.id:>6}  {message.status:<7}  {created}  {message.to}  {message.subject}")


@mail_cli.command("show")
@click.argument("message_id", type=int)
@click.option("--html", "as_html", is_flag=True, help="Print the HTML part instead of the text part.")
def show_command(message_id: int, as_html: bool) -> None:
    """The whole mail: its headers, then its text (or HTML) part, links included."""
    message = db.session.get(OutboxMessage, message_id) if 0 < message_id <= MAX_ID else None
    if message is None:
        raise click.ClickException(f"No mail {message_id}.")
    lines = [f"From: {current_app.config['MAIL_FROM']}", f"To: {message.to}", f"Subject: {message.subject}",
             f"Status: {message.status}", f"Created: {clock.rfc3339(message.created_at)}"]
    if message.sent_at:
        lines.append(f"Sent: {clock.rfc3339(message.sent_at)}")
    if message.attempts:
        lines.append(f"Attempts: {message.attempts}")
    if message.last_error:
        lines.append(f"Last error: {message.last_error}")
    if message.ref:
        lines.append(f"Reference: {message.ref}")
    click.echo("\n".join(lines))
    click.echo("")
    click.echo(message.html if as_html and message.html else message.text)
