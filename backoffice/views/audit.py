"""The audit trail of staff actions."""
from __future__ import annotations

from flask import render_template

from ..services import audit
from .base import bp, page_or_404


@bp.get("/audit")
def audit_trail():
    return render_template("backoffice/audit.html", page=page_or_404(audit.audit_trail_page))
