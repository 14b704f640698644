"""The back-office pages (thin: read the form, call a service, commit, render or redirect).

Every path under ``/backoffice`` passes :func:`guard` first: an anonymous visitor gets a
redirect to the sign-in page (401 JSON for a client that does not take HTML), an idle
session is signed out. Views that change anything are marked with :func:`dpo_required`.
"""
from __future__ import annotations

import datetime as dt
import functools
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from flask import (Blueprint, Response, abort, current_app, flash, g, redirect, render_template, request,
                   session, url_for)
from flask_login import current_user, login_user, logout_user
from sqlalchemy.orm.exc import StaleDataError

from consent_service import clock
from consent_service.errors import json_error
from consent_service.extensions import db
from consent_service.ratelimit import limit_from_config

from . import csrf, forms, paging, services
from .texts import LANGS, TEXTS, value_label

bp = Blueprint("backoffice", __name__, url_prefix="/backoffice", template_folder="templates",
               static_folder="static", static_url_path="/static")

PARIS = ZoneInfo("Europe/Paris")
PUBLIC_ENDPOINTS = frozenset({"backoffice.login", "backoffice.login_submit", "backoffice.static"})


# --- the guard in front of every back-office path ---------------------------------------------


def _is_backoffice(path: str) -> bool:
    return path == "/backoffice" or path.startswith("/backoffice/")


def _refuse_anonymous():
    if request.headers.get("Accept") and not request.accept_mimetypes.accept_html:
        return json_error(401, "Sign in to the back-office first.")
    if request.method == "GET" and request.endpoint and request.endpoint not in PUBLIC_ENDPOINTS:
        session["bo_next"] = request.path
    return redirect(url_for("backoffice.login"))


def guard():
    """App-wide before-request hook: only acts on back-office paths (404s included)."""
    if not _is_backoffice(request.path):
        return None
    lang = request.args.get("lang")
    if lang in LANGS:
        session["bo_lang"] = lang
    if request.endpoint in PUBLIC_ENDPOINTS:
        return None
    if not current_user.is_authenticated:
        return _refuse_anonymous()
    now = clock.now().timestamp()
    seen = session.get("bo_seen")
    idle = float(services.setting("BACKOFFICE_IDLE_MINUTES")) * 60
    if not isinstance(seen, (int, float)) or now - seen > idle:
        services.audit(current_user.email, "signed_out_idle")
        db.session.commit()
        _sign_out()
        session["bo_notice"] = "idle_out"
        return _refuse_anonymous()
    session["bo_seen"] = int(now)
    return None


@bp.before_request
def _check_csrf():
    if request.method == "POST" and current_app.config.get("WTF_CSRF_ENABLED", True):
        csrf.protect()


@bp.after_request
def _no_store(response):
    response.headers.setdefault("Cache-Control", "no-store")
    return response


def _fresh_session() -> None:
    """An empty session (keeping the language) and no CSRF token cached for the old one."""
    lang = session.get("bo_lang")
    session.clear()
    g.pop("csrf_token", None)
    if lang:
        session["bo_lang"] = lang


def _sign_out() -> None:
    logout_user()
    _fresh_session()


def dpo_required(view):
    """Only a ``dpo`` acts; an ``auditor`` gets the 403 page."""

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        if not current_user.can_act:
            return render_template("backoffice/forbidden.html"), 403
        return view(*args, **kwargs)

    wrapper.backoffice_action = True
    return wrapper


# --- template helpers -------------------------------------------------------------------------


def _lang() -> str:
    lang = session.get("bo_lang")
    return lang if lang in LANGS else "fr"


@bp.context_processor
def _helpers():
    lang = _lang()
    texts = TEXTS[lang]

    def when(moment, with_time=True):
        if moment is None:
            return "—"
        if isinstance(moment, dt.datetime):
            local = clock.utc(moment).astimezone(PARIS)
            return local.strftime("%Y-%m-%d %H:%M") if with_time else local.strftime("%Y-%m-%d")
        return moment.isoformat()

    # The language link keeps the page's own query (filters, page number), only its language changes.
    other_language_query = urlencode([(key, value) for key, value in request.args.items(multi=True) if key != "lang"]
                                     + [("lang", texts["other_code"])])
    return {"current_user": current_user, "t": texts, "lang": lang, "v": lambda value: value_label(lang, value), "when": when,
            "logout_form": forms.PlainForm(), "other_language_query": other_language_query}


# --- sign-in and sign-out ---------------------------------------------------------------------


def _login_page(form, failed=False, code=200):
    notice = session.pop("bo_notice", None)
    return render_template("backoffice/login.html", form=form, failed=failed, notice=notice), code


@bp.get("/login")
def login():
    if current_user.is_authenticated:
        return redirect(url_for("backoffice.dashboard"))
    return _login_page(forms.LoginForm())


@bp.post("/login")
@limit_from_config("BACKOFFICE_LOGIN_RATE_LIMIT", methods=["POST"])
def login_submit():
    form = forms.LoginForm()
    if not form.validate_on_submit():
        return _login_page(form, failed=True)
    user = services.authenticate(form.email.data or "", form.password.data or "")
    db.session.commit()  # the failure counter and the audit entry, whatever the outcome
    if user is None:
        return _login_page(forms.LoginForm(formdata=None, email=form.email.data), failed=True)
    target = session.get("bo_next")
    _fresh_session()
    login_user(user)
    session["bo_seen"] = int(clock.now().timestamp())
    if not (isinstance(target, str) and _is_backoffice(target) and not target.startswith("//")):
        target = url_for("backoffice.dashboard")
    return redirect(target)


@bp.post("/logout")
def logout():
    services.audit(current_user.email, "signed_out")
    db.session.commit()
    _sign_out()
    session["bo_notice"] = "signed_out"
    return redirect(url_for("backoffice.login"))


# --- the dashboard and the register -----------------------------------------------------------


@bp.get("/")
def dashboard():
    return render_template("backoffice/dashboard.html", **services.dashboard())


def _register_filters() -> dict:
    from dsar.models import STATUSES, TYPES

    filters = {}
    if request.args.get("status") in STATUSES:
        filters["status"] = request.args["status"]
    if request.args.get("type") in TYPES:
        filters["type"] = request.args["type"]
    return filters


def _page(read, **filters) -> paging.Page:
    """The page ``?page=`` asks for, read by ``read(number, size, **filters)``; a bad number or
    one past the last page is the back-office's 404 page."""
    try:
        return read(paging.page_number(request.args), paging.page_size(), **filters)
    except paging.NoSuchPage:
        abort(404)


@bp.get("/register")
def register():
    from dsar import services as dsar_services
    from dsar.models import STATUSES, TYPES

    filters = _register_filters()
    page = _page(services.register_page, **filters)
    return render_template("backoffice/register.html", page=page, filters=filters, statuses=STATUSES, types=TYPES,
                           overdue=dsar_services.is_overdue)


@bp.get("/register.csv")
def register_csv():
    from dsar import services as dsar_services

    # Every row matching the filters, never a page (nor the API's default limit).
    body = dsar_services.register_csv(dsar_services.list_requests(**_register_filters(), limit=None))
    services.audit(current_user.email, "register_downloaded")
    db.session.commit()
    return Response(body, mimetype="text/csv", headers={
        "Content-Disposition": 'attachment; filename="dsar-register.csv"'})


@bp.get("/audit")
def audit_trail():
    return render_template("backoffice/audit.html", page=_page(services.audit_trail_page))


# --- one request ------------------------------------------------------------------------------


def _request_page(reference: str, errors: dict | None = None, failed: str | None = None, values=None,
                  code: int = 200):
    from dsar import services as dsar_services
    from dsar import workflow
    from dsar.models import REJECTION_GROUNDS, TYPES, VERIFICATION_METHODS
    from consent_service.mail import OutboxMessage

    try:
        found = dsar_services.get_request(reference)
    except dsar_services.NotFound:
        abort(404)
    mails = list(db.session.execute(db.select(OutboxMessage).where(OutboxMessage.ref == found.reference)
                                    .order_by(OutboxMessage.id)).scalars())
    allowed = workflow.TRANSITIONS[found.status]
    return render_template(
        "backoffice/request.html", r=found, mails=mails, overdue=dsar_services.is_overdue(found),
        is_open=dsar_services.is_open(found), allowed=allowed, types=TYPES, methods=VERIFICATION_METHODS,
        grounds=REJECTION_GROUNDS, rows=range(forms.CHANGE_ROWS), errors=errors or {}, failed=failed,
        values=values or {}, can_act=current_user.can_act), code


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
    from dsar import services as dsar_services

    try:
        return dsar_services.get_request(reference).type == "erasure"
    except dsar_services.NotFound:
        return False


def _act(reference: str, action: str):
    form = forms.ACTION_FORMS[action]()
    form.validate_on_submit()  # the CSRF token; the values are the DSAR schemas' business
    values = {action: {name: field.data for name, field in form._fields.items() if name != "csrf_token"}}
    if _irreversible(action, reference) and not form.confirm.data:
        return _request_page(reference, {action: {"confirm": [TEXTS[_lang()]["confirm_needed"]]}}, action,
                             values, 422)
    try:
        services.act(action, reference, _action_body(action, form), current_user.email)
    except services.Refused as err:
        db.session.rollback()
        if err.code == 404:
            abort(404)
        errors = dict(err.errors)
        if err.message:
            errors["_"] = [err.message]
        return _request_page(reference, {action: errors}, action, values, err.code)
    try:
        db.session.commit()
    except StaleDataError:  # another action on the same request won the race
        db.session.rollback()
        return _request_page(reference, {action: {"_": ["The request changed at the same time; reload it and "
                                                        "try again."]}}, action, values, 409)
    flash(TEXTS[_lang()]["done"])
    return redirect(url_for("backoffice.request_detail", reference=reference, _anchor="actions"))


def _action_view(action: str):
    def view(reference):
        return _act(reference, action)

    view.__name__ = f"act_{action}"
    return dpo_required(view)


for _action in services.ACTIONS:
    bp.add_url_rule(f"/requests/<string:reference>/{_action}", endpoint=f"act_{_action}",
                    view_func=_action_view(_action), methods=["POST"])


# --- intake -----------------------------------------------------------------------------------


def _paris_to_utc(text: str | None) -> str | None:
    """A ``datetime-local`` value (Paris time) as an RFC 3339 UTC string, or the text unchanged."""
    if not text:
        return None
    try:
        local = dt.datetime.fromisoformat(text.strip())
    except ValueError:
        return text
    if local.tzinfo is None:
        local = local.replace(tzinfo=PARIS)
    return local.astimezone(dt.timezone.utc).isoformat()


def _intake_page(form, errors=None, code=200):
    from dsar.models import TYPES

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
        opened = services.intake(body, current_user.email)
    except services.Refused as err:
        db.session.rollback()
        return _intake_page(form, err.errors, 422)
    db.session.commit()
    flash(TEXTS[_lang()]["intake_done"])
    return redirect(url_for("backoffice.request_detail", reference=opened.reference))


# --- consent proofs ---------------------------------------------------------------------------


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
        results = services.find_proofs(form.kind.data or "", form.value.data or "", current_user.email)
    except services.Refused as err:
        db.session.rollback()
        return render_template("backoffice/proofs.html", form=form, results=None, errors=err.errors), 422
    db.session.commit()
    return render_template("backoffice/proofs.html", form=form, results=results, errors={})


@bp.get("/proofs/<string:consent_id>")
def proof(consent_id):
    record = services.proof(consent_id, current_user.email)
    if record is None:
        abort(404)
    db.session.commit()
    return render_template("backoffice/proof.html", p=record)


# --- policies ---------------------------------------------------------------------------------


@bp.get("/policies")
def policies():
    return render_template("backoffice/policies.html", sites=services.sites())


@bp.get("/policies/<string:site>")
def policy(site):
    from cookies import services as cookie_services

    try:
        found = cookie_services.get_site(site)
    except cookie_services.NotFound:
        abort(404)
    versions = list(found.policies)
    by_number = {p.version: p for p in versions}
    latest = versions[-1] if versions else None
    findings = cookie_services.lint(latest.document) if latest else []
    changes, old, new = None, None, None
    if len(versions) >= 2:
        old = request.args.get("from", type=int, default=versions[-2].version)
        new = request.args.get("to", type=int, default=latest.version)
        if old in by_number and new in by_number:
            changes = services.diff_policies(by_number[old].document, by_number[new].document)
        else:
            abort(404)
    return render_template("backoffice/policy.html", site=found, versions=versions, latest=latest,
                           findings=findings, changes=changes, old=old, new=new)


# --- purge receipts ---------------------------------------------------------------------------


@bp.get("/purges")
def purges():
    return render_template("backoffice/purges.html", page=_page(services.purges_page))


@bp.get("/purges/<string:purge_id>")
def purge(purge_id):
    receipt = services.purge_receipt(purge_id)
    if receipt is None:
        abort(404)
    return render_template("backoffice/purge.html", receipt=receipt)
