"""Core CLI groups: ``api-keys`` and ``worker``. Features add their own commands."""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from . import apikeys, clock, worker
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


@click.group("worker", invoke_without_command=True)
@click.option("--once", is_flag=True, help="Run every job once, whatever its schedule, and exit.")
@click.option("--interval", type=float, default=None,
              help="Seconds to sleep when a pass found nothing to do (default: WORKER_IDLE_SECONDS).")
@click.pass_context
def worker_cli(ctx: click.Context, once: bool, interval: float | None) -> None:
    """Send queued mail, run due purges and retention sweeps; stops cleanly on SIGTERM."""
    if ctx.invoked_subcommand is not None:
        return
    unknown = worker.unknown_scheduled_jobs()
    if unknown:
        raise click.ClickException(f"WORKER_SCHEDULE names unknown jobs: {', '.join(unknown)}")
    if once:
        done = worker.run_once()
        # A job that failed is logged and retried on the next pass; the pass itself succeeded.
        click.echo(" ".join(f"{name}={count}" for name, count in done.items()) or "no jobs")
        return
    worker.run_forever(interval)


@worker_cli.command("status")
@click.option("--max-age", type=float, default=None,
              help="Exit 1 when no worker finished a pass in this many seconds.")
def worker_status(max_age: float | None) -> None:
    """Each worker's last finished pass and each scheduled job's last run."""
    now = clock.now()
    processes, scheduled = worker.status()
    for process in processes:
        state = f"stopped {clock.rfc3339(process.stopped_at)}" if process.stopped_at else "running"
        last = (f"{clock.rfc3339(process.last_pass_at)} ({(now - process.last_pass_at).total_seconds():.0f} s ago)"
                if process.last_pass_at else "none yet")
        click.echo(f"worker {process.worker_id}  last pass {last}  passes {process.passes}  {state}")
    if not processes:
        click.echo("no worker has run a pass yet")
    for job in worker.jobs():
        row = scheduled[job.name]
        period = f"every {job.every.total_seconds():g} s" if job.every else "every pass"
        runs = (f"  last started {_when(row.last_started_at)}  finished {_when(row.last_finished_at)}"
                f"  items {row.last_count if row.last_count is not None else '-'}"
                f"  last failure {_when(row.last_failed_at)}") if row else ""
        click.echo(f"job {job.name}  {period}{runs}")
    last_pass = worker.last_finished_pass()
    if max_age is not None and (last_pass is None or (now - last_pass).total_seconds() > max_age):
        click.echo(f"no worker pass in the last {max_age:g} s", err=True)
        raise SystemExit(1)


def _when(moment: dt.datetime | None) -> str:
    return clock.rfc3339(moment) or "never"


def register_demo_loader(app: Flask, name: str, loader: Callable[[], str | None]) -> None:
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
    app.cli.add_command(worker_cli)
    app.cli.add_command(demo_command)
