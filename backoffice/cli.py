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
