"""Purge receipts."""
from __future__ import annotations

from flask import abort, render_template

from ..services import purges as purge_services
from .base import bp, page_or_404


@bp.get("/purges")
def purges():
    return render_template("backoffice/purges.html", page=page_or_404(purge_services.purges_page))


@bp.get("/purges/<string:purge_id>")
def purge(purge_id):
    receipt = purge_services.purge_receipt(purge_id)
    if receipt is None:
        abort(404)
    return render_template("backoffice/purge.html", receipt=receipt)
