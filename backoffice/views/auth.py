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
    target = session.get("bo_next")
    _fresh_session()
    login_user(user)
    session["bo_seen"] = int(clock.now().timestamp())
    if not (isinstance(target, str) and _is_backoffice(target) and not target.startswith("//")):
        target = url_for("backoffice.dashboard")
    return redirect(target)


@bp.post("/logout")
def logout():
    audit(current_user.email, "signed_out")
    db.session.commit()
    _sign_out()
    session["bo_notice"] = "signed_out"
    return redirect(url_for("backoffice.login"))

