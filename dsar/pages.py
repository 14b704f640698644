"""``/dsar/verify``: the page behind the e-mailed link. A GET only shows a confirm button
(mail scanners prefetch links); the POST verifies once."""
from __future__ import annotations

from flask import Blueprint, render_template, request
from sqlalchemy.orm.exc import StaleDataError

from consent_service.extensions import db

from . import intake
from .intake import LinkState

pages = Blueprint("dsar_pages", __name__, template_folder="templates")

STATUS_CODES = {LinkState.VALID: 200, LinkState.VERIFIED: 200, LinkState.CONFIRMED: 200, LinkState.USED: 200,
                LinkState.INVALID: 400, LinkState.EXPIRED: 410}


def _page(check: intake.LinkCheck, token: str | None):
    asked = request.args.get("lang") if request.args.get("lang") in ("fr", "en") else None
    lang = asked or check.locale
    # A link cut short tells nothing of its reader's language: say it in both.
    both = check.state is LinkState.INVALID and asked is None
    html = render_template("dsar/verify.html", state=check.state.value, token=token, lang=lang, en=lang == "en",
                           both=both, reference=check.request.reference if check.request else None)
    return html, STATUS_CODES[check.state], {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}


@pages.get("/dsar/verify")
def confirm_page():
    """Show the confirm button; changes nothing."""
    token = request.args.get("token")
    check = intake.check_link(token)
    db.session.rollback()
    return _page(check, token if check.state is LinkState.VALID else None)


@pages.post("/dsar/verify")
def confirm():
    """Verify the request once; a used, altered or expired token changes nothing."""
    token = request.form.get("token")
    check = intake.LinkCheck(LinkState.USED)
    try:
        check = intake.check_link(token, use=True)
        if check.state in (LinkState.VERIFIED, LinkState.CONFIRMED):
            db.session.commit()
        else:
            db.session.rollback()
    except StaleDataError:  # verified by a concurrent click: that one won
        db.session.rollback()
        check = intake.LinkCheck(LinkState.USED, check.locale)
    return _page(check, None)
