"""The sealed-proof API: the seals, and one record's path to its seal (thin views)."""
from __future__ import annotations

from flask_smorest import Blueprint

from consent_service import apikeys
from cookies import views as cookie_views  # the module, not the name: cookies.views imports proofs

from . import schemas, services

proofs_blp = Blueprint("proofs", __name__, url_prefix="/v1", description="Sealed consent proofs")


@proofs_blp.route("/proofs/seals", methods=["GET"])
@apikeys.require_scope("consents:read")
@proofs_blp.arguments(schemas.SealQuery, location="query")
@proofs_blp.response(200, schemas.SealList)
def seals(query):
    """Seals, newest first (``since``: a day or a time; ``before``: a seal number, to page)."""
    return {"items": services.list_seals(query.get("since"), query.get("before"), query["limit"])}


@proofs_blp.route("/proofs/bundles/<string:banner_hash>", methods=["GET"])
@apikeys.require_scope("consents:read")
@proofs_blp.response(200, schemas.BundleOut)
def bundle(banner_hash):
    """A banner.js bundle this service served, by the ``banner_hash`` a proof names: its text
    and when it was first and last served."""
    return services.bundle(banner_hash)


@proofs_blp.route("/consents/<string:consent_id>/inclusion", methods=["GET"])
@proofs_blp.response(200, schemas.InclusionOut)
@proofs_blp.alt_response(409, description="Not sealed yet: try again after the next seal.")
@proofs_blp.doc(security=[{"bearerAuth": []}, {}])
def inclusion(consent_id):
    """A proof's sealed fields and Merkle path to its seal: for a ``consents:read`` key or the
    holder of that consent's cookie."""
    cookie_views.require_proof_reader(consent_id)
    return services.inclusion(consent_id)
