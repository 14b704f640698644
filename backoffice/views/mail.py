"""« Courriers »: the outbox, every mail whole, and failed mail sent again (DPO only)."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from consent_service.extensions import db
from consent_service.mail import STATUSES

from .. import forms
from ..services import mail as mail_services
from .base import bp, dpo_required, page_or_404, text


@bp.get("/mail")
@dpo_required
def mail_list():
    status = request.args.get("status") if request.args.get("status") in STATUSES else None
    page = page_or_404(mail_services.mail_page, status=status)
    return render_template("backoffice/mail_list.html", page=page, status=status, statuses=STATUSES,
                           counts=mail_services.counts(), form=forms.PlainForm(),
                           languages=mail_services.languages(page.items))


@bp.get("/mail/<int:mail_id>")
@dpo_required
def mail(mail_id: int):
    message = mail_services.read(mail_id, current_user.email)
    if message is None:
        abort(404)
    db.session.commit()
    return render_template("backoffice/mail.html", m=message, form=forms.PlainForm(),
                           mail_lang=mail_services.languages([message])[message.id])


@bp.post("/mail/<int:mail_id>/retry")
@dpo_required
def mail_retry(mail_id: int):
    message = mail_services.retry(mail_id, current_user.email)
    if message is None:
        db.session.rollback()
        abort(404)
    db.session.commit()
    flash(text("mail_requeued"))
    back = request.form.get("next", "")
    return redirect(back if back.startswith("/backoffice/") else url_for("backoffice.mail", mail_id=mail_id))
