"""``flask dpo create-user EMAIL --role dpo|auditor`` (the password is the first line of stdin)."""
from __future__ import annotations

import sys

import click
from flask.cli import AppGroup

from consent_service.extensions import db

from .models import ROLES
from .services import users

dpo_cli = AppGroup("dpo", help="Back-office users.")


@dpo_cli.command("create-user")
@click.argument("email")
@click.option("--role", required=True, type=click.Choice(ROLES), help="dpo acts; auditor reads only.")
def create_user_command(email: str, role: str) -> None:
    """Create a back-office user; the password is read from the first line of standard input."""
    line = sys.stdin.readline()
    password = line[:-1] if line.endswith("\n") else line
    password = password[:-1] if password.endswith("\r") else password
    try:
        user = users.create_user(email, password, role)
    except users.UserError as err:
        raise click.ClickException(str(err)) from None
    db.session.commit()
    click.echo(f"Created {user.role} user {user.id}.")


def _stdin_password() -> str:
    line = sys.stdin.readline()
    password = line[:-1] if line.endswith("\n") else line
    return password[:-1] if password.endswith("\r") else password


@dpo_cli.command("disable-user")
@click.argument("email")
def disable_user_command(email: str) -> None:
    """Disable a back-office user: no more sign-in, and an open session ends at its next page."""
    try:
        user = users.disable_user(email)
    except users.UserError as err:
        raise click.ClickException(str(err)) from None
    db.session.commit()
    click.echo(f"Disabled user {user.id}.")


@dpo_cli.command("reset-password")
@click.argument("email")
def reset_password_command(email: str) -> None:
    """Give a user a new password, read from the first line of standard input (unlocks the account)."""
    try:
        user = users.reset_password(email, _stdin_password())
    except users.UserError as err:
        raise click.ClickException(str(err)) from None
    db.session.commit()
    click.echo(f"New password set for user {user.id}.")
