"""Cookie policies: the sites, one site's versions, lint findings and a comparison."""
from __future__ import annotations

from flask import abort, render_template, request

from cookies import policies as cookie_policies
from cookies import services as cookie_services

from ..services import policies as policy_services
from .base import bp


@bp.get("/policies")
def policies():
    return render_template("backoffice/policies.html", sites=policy_services.sites())


@bp.get("/policies/<string:site>")
def policy(site):
    try:
        found = cookie_policies.get_site(site)
    except cookie_services.NotFound:
        abort(404)
    versions = list(found.policies)
    by_number = {p.version: p for p in versions}
    latest = versions[-1] if versions else None
    findings = cookie_policies.lint(latest.document) if latest else []
    changes, old, new = None, None, None
    if len(versions) >= 2:
        old = request.args.get("from", type=int, default=versions[-2].version)
        new = request.args.get("to", type=int, default=versions[-1].version)
        if old in by_number and new in by_number:
            changes = policy_services.diff_policies(by_number[old].document, by_number[new].document)
        else:
            abort(404)
    return render_template("backoffice/policy.html", site=found, versions=versions, latest=latest,
                           findings=findings, changes=changes, old=old, new=new)

