"""Consent proofs: the search and one proof."""
from __future__ import annotations

from flask import abort, render_template
from flask_login import current_user

from consent_service.extensions import db

from .. import forms
from ..services import Refused
from ..services import proofs as proof_services
from .base import bp


@bp.get("/proofs")
def proofs():
    return render_template("backoffice/proofs.html", form=forms.ProofSearchForm(formdata=None), results=None,
                           errors={})


@bp.post("/proofs")
def proofs_search():
    """A search by POST, so visitor and account ids stay out of URLs and access logs."""
    form = forms.ProofSearchForm()
    form.validate_on_submit()
    try:
        results = proof_services.find_proofs(form.kind.data or "", form.value.data or "", current_user.email)
    except Refused as err:
        db.session.rollback()
        return render_template("backoffice/proofs.html", form=form, results=None, errors=err.errors), 422
    db.session.commit()
    return render_template("backoffice/proofs.html", form=form, results=results, errors={})


@bp.get("/proofs/<string:consent_id>")
def proof(consent_id):
    record = proof_services.proof(consent_id, current_user.email)
    if record is None:
        abort(404)
    db.session.commit()
    return render_template("backoffice/proof.html", p=record)

