"""Recording a request received by post, phone or e-mail."""
from __future__ import annotations

import datetime as dt

from flask import flash, redirect, render_template, url_for
from flask_login import current_user

from consent_service import clock
from consent_service.extensions import db
from dsar.models import TYPES

from .. import forms
from ..services import Refused, cases
from .base import PARIS, bp, dpo_required, text


def _paris_to_utc(value: str | None) -> str | None:
    """A ``datetime-local`` value (Paris time) as an RFC 3339 UTC string, or the text unchanged."""
    if not value:
        return None
    try:
        local = dt.datetime.fromisoformat(value.strip())
    except ValueError:
        return value
    if local.tzinfo is None:
        local = local.replace(tzinfo=PARIS)
    return local.astimezone(dt.UTC).isoformat()


def _intake_page(form, errors=None, code=200):
    if not form.received_at.data:
        form.received_at.data = clock.now().astimezone(PARIS).strftime("%Y-%m-%dT%H:%M")
    return render_template("backoffice/intake.html", form=form, errors=errors or {}, types=TYPES), code


@bp.get("/intake")
@dpo_required
def intake_form():
    return _intake_page(forms.IntakeForm(formdata=None))


@bp.post("/intake")
@dpo_required
def intake_submit():
    form = forms.IntakeForm()
    form.validate_on_submit()
    body = {name: field.data for name, field in form._fields.items()
            if name != "csrf_token" and field.data not in (None, "")}
    body.setdefault("type", None)
    body["received_at"] = _paris_to_utc(body.get("received_at"))
    if body["received_at"] is None:
        body.pop("received_at")
    try:
        opened = cases.intake(body, current_user.email)
    except Refused as err:
        db.session.rollback()
        return _intake_page(form, err.errors, 422)
    db.session.commit()
    flash(text("intake_done"))
    return redirect(url_for("backoffice.request_detail", reference=opened.reference))

