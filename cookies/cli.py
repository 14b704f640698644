"""``flask policy lint SITE``."""
from __future__ import annotations

import click
from flask.cli import AppGroup

from . import services

policy_cli = AppGroup("policy", help="Cookie policies.")


@policy_cli.command("lint")
@click.argument("site")
def lint_command(site: str) -> None:
    """Print the compliance findings of SITE's current policy; exits 1 when there is an error."""
    try:
        policy = services.latest_policy(services.get_site(site))
    except services.NotFound as err:
        raise click.ClickException(str(err)) from None
    findings = services.lint(policy.document)
    click.echo(f"{site} policy version {policy.version}: {len(findings)} finding(s)")
    for finding in findings:
        click.echo(f"{finding['severity'].upper():8} {finding['rule']}: {finding['message']}")
    if any(f["severity"] == "error" for f in findings):
        raise SystemExit(1)
