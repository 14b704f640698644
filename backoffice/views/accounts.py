"""An account's preferences: the search (by POST, so account ids stay out of URLs and access
logs), the page, and a change the tenant asked for by post, e-mail or phone (DPO only)."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, session, url_for
from flask_login import current_user

from consent_service import i18n
from consent_service.extensions import db
from preferences import texts as preference_texts

from .. import forms
from ..account_texts import MESSAGES, TEXTS
from ..services import Refused
from ..services import accounts as account_services
from .base import bp, dpo_required, lang

SESSION_KEY = "bo_account"  # the account on screen: kept in the signed session, never in a URL


def _errors(errors: dict, message: str | None) -> dict:
    """The refusal's messages in the page's language, per field."""
    language = lang()
    shown = {}
    for field, found in (errors or {}).items():
        if isinstance(found, dict):  # themes: per theme; direct debit: the words a portal shows
            found = [found[language]] if language in found else [f"{k} : {' '.join(map(str, v))}"
                                                                 for k, v in found.items()]
        shown[field] = [MESSAGES(str(m), language) for m in (found if isinstance(found, list) else [found])]
    if message and not shown:
        shown["_"] = [MESSAGES(message, language)]
    return shown


def _page(account=None, errors=None, code=200, searched: str = ""):
    return render_template("backoffice/accounts.html", a=account, errors=errors or {}, at=TEXTS[lang()],
                           form=forms.PlainForm(), searched=searched, describe=account_services.describe,
                           paperless_words=account_services.paperless_words, pt=preference_texts,
                           iso_day=lambda text: i18n.iso_day(text, lang()), limit=account_services.HISTORY_LIMIT), code


@bp.get("/accounts")
def accounts():
    account_id = session.get(SESSION_KEY)
    if not account_id or request.args.get("new"):
        return _page()
    try:
        found = account_services.look_up(account_id, current_user.email)
    except Refused:
        session.pop(SESSION_KEY, None)
        return _page()
    db.session.commit()
    return _page(found)


@bp.post("/accounts")
def accounts_search():
    forms.PlainForm().validate_on_submit()
    searched = request.form.get("account_id", "")
    try:
        account_id = account_services.valid_account(searched)
    except Refused as err:
        return _page(errors=_errors(err.errors, err.message), code=422, searched=searched[:128])
    session[SESSION_KEY] = account_id
    return redirect(url_for("backoffice.accounts"))


@bp.post("/accounts/preferences")
@dpo_required
def accounts_record():
    forms.PlainForm().validate_on_submit()
    account_id = session.get(SESSION_KEY)
    if not account_id:
        return redirect(url_for("backoffice.accounts"))
    try:
        written = account_services.record(account_id, request.form.to_dict(), current_user.email)
    except Refused as err:
        db.session.rollback()
        found = account_services.look_up(account_id, current_user.email)
        db.session.commit()
        return _page(found, _errors(err.errors, err.message), err.code)
    db.session.commit()
    texts = TEXTS[lang()]
    flash(texts["saved"].format(count=len(written)) if written else texts["nothing"])
    return redirect(url_for("backoffice.accounts"))
