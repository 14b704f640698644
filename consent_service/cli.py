"""Core CLI groups: ``api-keys`` and ``worker``. Features add their own commands."""
from __future__ import annotations

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from . import apikeys, worker
from .extensions import db

api_keys_cli = AppGroup("api-keys", help="Create and revoke API keys.")


@api_keys_cli.command("create")
@click.option("--name", required=True, help="A unique name for the key.")
@click.option("--scope", "scopes", multiple=True, required=True, type=click.Choice(apikeys.SCOPES))
def create_api_key(name: str, scopes: tuple[str, ...]) -> None:
    """Create a key; the key itself is the last line printed (only its hash is kept)."""
    try:
        key = apikeys.create_key(name, list(scopes))
    except apikeys.ApiKeyError as err:
        raise click.ClickException(str(err)) from None
    db.session.commit()
    click.echo(f"Created key {name!r} with scopes {', '.join(sorted(set(scopes)))}. It is shown only once:")
    click.echo(key)


@api_keys_cli.command("revoke")
@click.argument("name")
def revoke_api_key(name: str) -> None:
    """Revoke the key called NAME."""
    if not apikeys.revoke_key(name):
        raise click.ClickException(f"no active key named {name!r}")
    db.session.commit()
    click.echo(f"Revoked key {name!r}.")


@click.command("worker")
@click.option("--once", is_flag=True, help="Run one full pass and exit.")
@click.option("--interval", default=5.0, show_default=True, help="Seconds to sleep when idle.")
def worker_command(once: bool, interval: float) -> None:
    """Send queued mail, run due purges and retention sweeps."""
    if once:
        done = worker.run_once()
        # A job that failed is logged and retried on the next pass; the pass itself succeeded.
        click.echo(" ".join(f"{name}={count}" for name, count in done.items()) or "no jobs")
        return
    worker.run_forever(interval)


def register_demo_loader(app: Flask, name: str, loader) -> None:
    """Features add what ``flask demo`` loads; each loader is idempotent and returns a summary."""
    app.extensions.setdefault("demo_loaders", {})[name] = loader


@click.command("demo")
def demo_command() -> None:
    """Load the demo site, policy, hosted data and users (idempotent)."""
    for name, loader in current_app.extensions.get("demo_loaders", {}).items():
        summary = loader()
        db.session.commit()
        click.echo(f"{name}: {summary}")


def init_app(app: Flask) -> None:
    app.cli.add_command(api_keys_cli)
    app.cli.add_command(worker_command)
    app.cli.add_command(demo_command)
