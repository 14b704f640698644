"""``flask policy lint SITE`` and ``flask sites origins SITE [--add ORIGIN] [--remove ORIGIN]``."""
from __future__ import annotations

import click
from flask.cli import AppGroup

from consent_service.extensions import db

from . import policies, schemas, services

policy_cli = AppGroup("policy", help="Cookie policies.")


@policy_cli.command("lint")
@click.argument("site")
def lint_command(site: str) -> None:
    """Print the compliance findings of SITE's current policy; exits 1 when there is an error."""
    try:
        policy = policies.latest_policy(policies.get_site(site))
    except services.NotFound as err:
        raise click.ClickException(str(err)) from None
    findings = policies.lint(policy.document)
    click.echo(f"{site} policy version {policy.version}: {len(findings)} finding(s)")
    for finding in findings:
        click.echo(f"{finding['severity'].upper():8} {finding['rule']}: {finding['message']}")
    if any(f["severity"] == "error" for f in findings):
        raise SystemExit(1)


sites_cli = AppGroup("sites", help="Sites that embed the banner.")


@sites_cli.command("origins")
@click.argument("site")
@click.option("--add", "added", multiple=True, metavar="ORIGIN", help="Allow this origin (scheme://host[:port]).")
@click.option("--remove", "removed", multiple=True, metavar="ORIGIN", help="No longer allow this origin.")
def origins_command(site: str, added: tuple[str, ...], removed: tuple[str, ...]) -> None:
    """Print SITE's allowed origins, after adding or removing some: the pages on those origins
    may show the banner and record choices."""
    try:
        found = policies.get_site(site)
    except services.NotFound as err:
        raise click.ClickException(str(err)) from None
    origins = set(found.allowed_origins)
    for origin in added:
        origin = origin.strip().rstrip("/")
        problem = schemas.origin_problem(origin)
        if problem:
            raise click.ClickException(f"{origin!r}: {problem}")
        origins.add(origin)
    for origin in removed:
        origin = origin.strip().rstrip("/")
        if origin not in origins:
            raise click.ClickException(f"{origin!r} is not an allowed origin of {site}.")
        origins.discard(origin)
    if added or removed:
        policies.update_site(found, {"allowed_origins": sorted(origins)})
        db.session.commit()
    click.echo(f"{site} allows {len(origins)} origin(s):")
    for origin in sorted(origins):
        click.echo(f"  {origin}")
