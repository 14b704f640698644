"""Account deletion, lease ends, processing flags, purge receipts, export downloads (thin views)."""
from __future__ import annotations

from flask import Blueprint as FlaskBlueprint
from flask import Response, current_app, render_template, stream_with_context
from flask_smorest import Blueprint

from consent_service import apikeys
from consent_service.errors import Invalid, NotFound
from consent_service.extensions import db

from . import exports, purge_start, receipts, schemas, services

accounts_blp = Blueprint("accounts", __name__, url_prefix="/v1/accounts",
                         description="Portal accounts: deletion, lease end, restriction and objection")
purges_blp = Blueprint("purges", __name__, url_prefix="/v1/purges", description="Purge receipts")
exports_bp = FlaskBlueprint("datamap_exports", __name__, template_folder="templates")


def _valid_account(account_id: str) -> None:
    if not services.valid_account_id(account_id):
        raise Invalid(errors={"account_id": ["Not a valid account id."]})


@accounts_blp.route("/<string:account_id>/deletion", methods=["POST"])
@apikeys.require_scope("accounts:write")
@accounts_blp.response(202, schemas.PurgeStarted)
def delete_account(account_id):
    """Purge everything hosted about the account (idempotent: the same purge every time)."""
    _valid_account(account_id)
    purge = purge_start.start_purge(account_id, "account_deleted")
    db.session.commit()
    return purge


@accounts_blp.route("/<string:account_id>/lease", methods=["PUT"])
@apikeys.require_scope("accounts:write")
@accounts_blp.arguments(schemas.LeaseIn)
@accounts_blp.response(200, schemas.LeaseOut)
def set_lease(data, account_id):
    """Record the lease end; the worker purges the account 3 calendar months later."""
    _valid_account(account_id)
    lease = services.set_lease(account_id, data["lease_end"])
    db.session.commit()
    return lease


@accounts_blp.route("/<string:account_id>/processing", methods=["GET"])
@apikeys.require_scope("accounts:write")
@accounts_blp.response(200, schemas.ProcessingOut)
def processing(account_id):
    """Whether processing is restricted and what the account objected to (scope ``accounts:write``)."""
    _valid_account(account_id)
    return services.processing_of(account_id)


@purges_blp.route("/<string:purge_id>", methods=["GET"])
@apikeys.require_scope("accounts:write", "dsar:admin")
@purges_blp.response(200, schemas.Receipt)
def receipt(purge_id):
    """The receipt of a purge: stores, actions and counts; no personal data."""
    purge = receipts.get_purge(purge_id)
    if purge is None:
        raise NotFound("No such purge.")
    return purge


def _link_page(state: str, status: int):
    """Why an export link gives nothing, in French then English (the link does not say which)."""
    html = render_template("datamap/export_link.html", state=state, dpo_email=current_app.config["DPO_EMAIL"])
    return html, status, {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}


@exports_bp.get("/dsar/exports/<string:token>")
def download_export(token):
    """The access or portability export, by its signed link (7 days)."""
    try:
        export = exports.find(token)
    except exports.ExportNotFound:
        return _link_page("invalid", 404)
    except exports.ExportExpired:
        return _link_page("expired", 410)
    response = Response(stream_with_context(exports.content_of(export)), mimetype="application/zip")
    name = f"donnees-{export.reference or export.export_id}.zip"
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.content_length = export.size
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response
