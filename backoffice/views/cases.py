"""The dashboard, the register and one request with its actions."""
from __future__ import annotations

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from consent_service.errors import Conflict, commit
from consent_service.extensions import db
from dsar import register as dsar_register
from dsar import services as dsar_services
from dsar.models import REJECTION_GROUNDS, STATUSES, TYPES, VERIFICATION_METHODS

from .. import forms
from ..services import Refused, cases
from ..services.audit import audit
from ..texts import ADDRESS_CHECKS
from .base import bp, dpo_required, lang, page_or_404, text


@bp.get("/")
def dashboard():
    """Every open request, soonest deadline first, a page at a time, under the counts."""
    page = page_or_404(cases.open_cases_page)
    return render_template("backoffice/dashboard.html", page=page, counts=cases.counts(),
                           rows=[(r, dsar_services.is_overdue(r)) for r in page])


def _register_filters() -> dict:
    filters: dict[str, str | bool] = {}
    if request.args.get("status") in STATUSES:
        filters["status"] = request.args["status"]
    if request.args.get("type") in TYPES:
        filters["type"] = request.args["type"]
    if request.args.get("overdue", "").lower() == "true":
        filters["overdue"] = True
    return filters


@bp.get("/register")
def register():
    filters = _register_filters()
    page = page_or_404(cases.register_page, **filters)
    return render_template("backoffice/register.html", page=page, filters=filters, statuses=STATUSES, types=TYPES,
                           overdue=dsar_services.is_overdue)


@bp.get("/register.csv")
def register_csv():
    # Every row matching the filters, never a page (nor the API's default limit).
    body = dsar_register.register_csv(dsar_services.list_requests(**_register_filters(), limit=None))
    audit(current_user.email, "register_downloaded")
    db.session.commit()
    return Response(body, mimetype="text/csv", headers={
        "Content-Disposition": 'attachment; filename="dsar-register.csv"'})


# --- one request ------------------------------------------------------------------------------


def _request_page(reference: str, errors: dict | None = None, failed: str | None = None, values=None,
                  code: int = 200):
    try:
        found = dsar_services.get_request(reference)
    except dsar_services.NotFound:
        abort(404)
    return render_template(
        "backoffice/request.html", r=found, mails=found.mails, overdue=dsar_services.is_overdue(found),
        is_open=dsar_services.is_open(found), offered=cases.offered_actions(found), types=TYPES,
        methods=VERIFICATION_METHODS, grounds=REJECTION_GROUNDS, rows=range(forms.CHANGE_ROWS),
        errors=errors or {}, failed=failed, values=values or {}, can_act=current_user.can_act,
        can_read_mail=current_user.can_act, address_checks=ADDRESS_CHECKS[lang()]), code


@bp.get("/requests/<string:reference>")
def request_detail(reference):
    return _request_page(reference)


def _action_body(action: str, form) -> dict:
    if action == "execute":
        changes = form.change_map()
        return {"changes": changes} if changes is not None else {}
    return {name: field.data for name, field in form._fields.items()
            if name not in ("csrf_token", "confirm") and field.data not in (None, "")}


def _irreversible(action: str, reference: str) -> bool:
    if action == "reject":
        return True
    if action != "execute":
        return False
    try:
        return dsar_services.get_request(reference).type == "erasure"
    except dsar_services.NotFound:
        return False


def _act(reference: str, action: str):
    form = forms.ACTION_FORMS[action]()
    form.validate_on_submit()  # the CSRF token; the values are the DSAR schemas' business
    values = {action: {name: field.data for name, field in form._fields.items() if name != "csrf_token"}}
    if _irreversible(action, reference) and not form.confirm.data:
        return _request_page(reference, {action: {"confirm": [text("confirm_needed")]}}, action,
                             values, 422)
    try:
        cases.act(action, reference, _action_body(action, form), current_user.email)
    except Refused as err:
        db.session.rollback()
        if err.code == 404:
            abort(404)
        errors = dict(err.errors)
        if err.message:
            errors["_"] = [err.message]
        return _request_page(reference, {action: errors}, action, values, err.code)
    try:
        commit()
    except Conflict as err:  # another action on the same request won the race
        return _request_page(reference, {action: {"_": [err.message]}}, action, values, 409)
    flash(text("done"))
    return redirect(url_for("backoffice.request_detail", reference=reference, _anchor="actions"))


def _action_view(action: str):
    def view(reference):
        return _act(reference, action)

    view.__name__ = f"act_{action}"
    return dpo_required(view)


for _action in cases.ACTIONS:
    bp.add_url_rule(f"/requests/<string:reference>/{_action}", endpoint=f"act_{_action}",
                    view_func=_action_view(_action), methods=["POST"])

