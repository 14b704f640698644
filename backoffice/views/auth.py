"""Sign-in and sign-out."""
from __future__ import annotations

from flask import redirect, render_template, session, url_for
from flask_login import current_user, login_user

from consent_service import clock
from consent_service.extensions import db
from consent_service.ratelimit import limit_from_config

from .. import forms
from ..services import users
from ..services.audit import audit
from .base import _fresh_session, _is_backoffice, _sign_out, bp


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
    user = users.authenticate(form.email.data or "", form.password.data or "")
    db.session.commit()  # the failure counter and the audit entry, whatever the outcome
    if user is None:
        return _login_page(forms.LoginForm(formdata=None, email=form.email.data), failed=True)
    if users.needs_code(user):
        target = session.get("bo_next")
        _fresh_session()
        session.update(bo_pending=user.id, bo_pending_at=int(clock.now().timestamp()), bo_next=target)
        if user.totp_secret is None:
            session["bo_enrol"] = users.new_secret()
        return redirect(url_for("backoffice.login_code"))
    return _signed_in(user, session.get("bo_next"))


def _signed_in(user, target):
    _fresh_session()
    login_user(user)
    session["bo_seen"] = int(clock.now().timestamp())
    if not (isinstance(target, str) and _is_backoffice(target) and not target.startswith("//")):
        target = url_for("backoffice.dashboard")
    return redirect(target)


PENDING_SECONDS = 300  # the password step is good for five minutes


def _pending_user():
    user_id, since = session.get("bo_pending"), session.get("bo_pending_at")
    if not isinstance(user_id, int) or not isinstance(since, int) or clock.now().timestamp() - since > PENDING_SECONDS:
        return None
    return users.get_user(user_id)


def _code_page(user, failed=False, code=200):
    secret = session.get("bo_enrol")
    return render_template("backoffice/login_code.html", form=forms.CodeForm(formdata=None), failed=failed,
                           secret=secret, uri=users.provisioning_uri(user, secret) if secret else None), code


@bp.get("/login/code")
def login_code():
    user = _pending_user()
    if user is None:
        return redirect(url_for("backoffice.login"))
    return _code_page(user)


@bp.post("/login/code")
@limit_from_config("BACKOFFICE_LOGIN_RATE_LIMIT", methods=["POST"])
def login_code_submit():
    user = _pending_user()
    form = forms.CodeForm()
    if user is None or not form.validate_on_submit():
        _fresh_session()
        return redirect(url_for("backoffice.login"))
    signed_in = users.check_code(user, form.code.data or "", session.get("bo_enrol"))
    db.session.commit()
    if signed_in is None:
        return _code_page(user, failed=True, code=200)
    return _signed_in(signed_in, session.get("bo_next"))


@bp.post("/logout")
def logout():
    audit(current_user.email, "signed_out")
    db.session.commit()
    _sign_out()
    session["bo_notice"] = "signed_out"
    return redirect(url_for("backoffice.login"))

