"""``/sites/{site}/rights``: the public rights-request form, for tenants without JavaScript too.

The same intake, rules, limits and e-mails as ``POST /v1/dsar/requests``: the values are
checked by the API's own schema (its English messages are replaced by one sentence per field
in the reader's language), the case is opened by :func:`intake.submit_form`, and the two rate
limits (per client address, per e-mail address) are the API's own counters.

CSRF is a double submit: the page sets a random value in a ``SameSite=Strict`` cookie scoped to
the form's path and signs it, with its time, into a hidden field; a POST carries both only when
it comes from the page itself. A hidden honeypot field catches the simplest robots.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import hmac
import re
import secrets
from typing import Literal

from flask import Blueprint, Response, current_app, render_template, request
from flask_limiter.errors import RateLimitExceeded
from marshmallow import ValidationError
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import NotFound as PageNotFound

from consent_service import clock, i18n, tokens
from consent_service.extensions import db
from consent_service.ratelimit import shared_limit_from_config
from cookies import policies as cookie_policies
from cookies import services as cookie_services

from . import intake, schemas
from .wording import FORM, RIGHTS

rights_pages = Blueprint("rights_pages", __name__, template_folder="templates")

FIELDS = ("type", "email", "full_name", "account_id", "birth_date", "message")
HONEYPOT = "website"
CSRF_COOKIE = "rights_csrf"
CSRF_SALT = "dsar.rights-form"
CSRF_MAX_AGE = dt.timedelta(hours=2)
PAGE_CSP = ("default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; base-uri 'none'; "
            "frame-ancestors 'none'")
_DAY_FIRST = re.compile(r"^\s*(\d{1,2})[/.\- ](\d{1,2})[/.\- ](\d{4})\s*$")
_ISO_DAY = re.compile(r"^\s*(\d{4})-(\d{2})-(\d{2})\s*$")


# --- the two rate limits: the API's settings and counters (POST /v1/dsar/requests shares them) ---

ADDRESS_SCOPE = "dsar-intake"  # DSAR_RATE_LIMIT, per client address
EMAIL_SCOPE = "dsar-email"  # DSAR_EMAIL_RATE_LIMIT, per e-mail address (a keyed hash of it)


def email_bucket(address: str) -> str:
    """The per-address bucket: a keyed hash of the normalised address, never the address."""
    digest = hmac.new(current_app.config["SECRET_KEY"].encode(), intake.normalise_email(address).encode(),
                      hashlib.sha256).hexdigest()
    return f"dsar-email:{digest[:32]}"


def _form_email_key() -> str:
    address = request.form.get("email", "")
    if "@" not in address or len(address) > 254:
        return "dsar-email:none"  # such a form is refused (422) and never counted: see _opened
    return email_bucket(address)


def _opened(response: Response) -> bool:
    return request.method == "POST" and response.status_code == 200


# --- reading the form ----------------------------------------------------------------------------


def _birth_date(text: str) -> str | None | bool:
    """The ISO day of ``JJ/MM/AAAA`` (or the ``AAAA-MM-JJ`` of a date input); None when empty,
    False when it is no date."""
    if not text.strip():
        return None
    found = _DAY_FIRST.match(text)
    if found:
        day, month, year = (int(part) for part in found.groups())
    else:
        found = _ISO_DAY.match(text)
        if not found:
            return False
        year, month, day = (int(part) for part in found.groups())
    try:
        return dt.date(year, month, day).isoformat()
    except ValueError:
        return False


@dataclasses.dataclass
class Submission:
    values: dict[str, str]  # what the tenant typed, shown again with the errors
    errors: dict[str, str]  # field → one sentence in the page language
    data: dict | None = None  # the API schema's output when there is no error


def read(form: MultiDict, lang: str) -> Submission:
    """Check a posted form with the API's schema; errors come back one sentence per field."""
    values = {name: str(form.get(name, ""))[:20000] for name in FIELDS}
    words = FORM[lang]["errors"]
    body: dict = {
        "type": values["type"] or None, "email": values["email"], "full_name": values["full_name"].strip(),
        "account_id": values["account_id"].strip() or None,
        "message": values["message"].replace("\r\n", "\n").strip() or None, "locale": lang,
    }
    errors: dict[str, str] = {}
    birth = _birth_date(values["birth_date"])
    if birth is False:
        errors["birth_date"] = words["birth_date"]
    else:
        body["birth_date"] = birth
    try:
        data = schemas.PublicRequestIn().load(body)
    except ValidationError as err:
        errors.update({name: words[name] for name in err.messages if name in words})
        data = None
    return Submission(values, errors, None if errors else data)


# --- CSRF: a double submit -----------------------------------------------------------------------


def _csrf_pair() -> tuple[str, str]:
    """A fresh cookie value and the signed field that goes with it."""
    nonce = secrets.token_urlsafe(24)
    field = tokens.readable(CSRF_SALT).dumps({"n": nonce, "iat": int(clock.now().timestamp())})
    return nonce, field


def _csrf_ok() -> bool:
    cookie = request.cookies.get(CSRF_COOKIE, "")
    field = request.form.get("csrf_token", "")
    if not cookie or not field or len(field) > 500:
        return False
    try:
        payload = tokens.readable(CSRF_SALT).loads(field)
        issued = dt.datetime.fromtimestamp(int(payload["iat"]), dt.UTC)
        nonce = str(payload["n"])
    except (tokens.BadData, KeyError, TypeError, ValueError, OverflowError):
        return False
    fresh = dt.timedelta(0) <= clock.now() - issued <= CSRF_MAX_AGE
    return fresh and secrets.compare_digest(nonce.encode(), cookie.encode())


# --- the pages -----------------------------------------------------------------------------------


def _lang() -> str:
    return i18n.locale_of(request.args.get("lang", ""))


class _NoSuchSite(PageNotFound):
    pass


def _site_or_404(site: str):
    try:
        return cookie_policies.get_site(site)
    except cookie_services.NotFound:
        raise _NoSuchSite() from None


def _answer(html: str, status: int = 200, nonce: str | None = None) -> Response:
    response = Response(html, status=status, mimetype="text/html")
    response.headers["Content-Security-Policy"] = PAGE_CSP
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    if nonce:
        response.set_cookie(CSRF_COOKIE, nonce, max_age=int(CSRF_MAX_AGE.total_seconds()), path=request.path,
                            httponly=True, samesite="Strict", secure=bool(current_app.config.get("SECURE_COOKIES")))
    return response


def _form_page(site, lang: str, submission: Submission | None = None, notice: str | None = None,
               status: int = 200) -> Response:
    nonce, field = _csrf_pair()
    submission = submission or Submission({name: "" for name in FIELDS}, {})
    first_error = next((name for name in FIELDS if name in submission.errors), None)
    html = render_template(
        "dsar/rights.html", lang=lang, t=FORM[lang], rights=RIGHTS[lang], site=site, values=submission.values,
        errors=submission.errors, first_error=first_error, notice=notice, csrf_token=field, fields=FIELDS,
        honeypot=HONEYPOT, dpo_email=current_app.config["DPO_EMAIL"])
    return _answer(html, status, nonce)


@rights_pages.get("/sites/<string:site>/rights")
def rights_form(site):
    """The empty form."""
    return _form_page(_site_or_404(site), _lang())


@rights_pages.post("/sites/<string:site>/rights")
@shared_limit_from_config("DSAR_RATE_LIMIT", ADDRESS_SCOPE)
@shared_limit_from_config("DSAR_EMAIL_RATE_LIMIT", EMAIL_SCOPE, key_func=_form_email_key, deduct_when=_opened)
def rights_submit(site):
    """Open the case and answer its reference, due date and what happens next."""
    found = _site_or_404(site)
    lang = _lang()
    submission = read(request.form, lang)
    if request.form.get(HONEYPOT):
        return _form_page(found, lang, submission, FORM[lang]["refused"], 400)
    if not _csrf_ok():
        return _form_page(found, lang, submission, FORM[lang]["expired"], 400)
    if submission.data is None:
        return _form_page(found, lang, submission, status=422)
    opened = intake.submit_form(**submission.data).request
    db.session.commit()
    html = render_template(
        "dsar/rights_done.html", lang=lang, t=FORM[lang], site=found, reference=opened.reference,
        due=i18n.day(opened.due_on, lang, weekday=True), email=opened.email,
        dpo_email=current_app.config["DPO_EMAIL"])
    return _answer(html)


def _message_page(title: Literal["missing_title", "too_many_title"], text: Literal["missing", "too_many"],
                  status: int) -> Response:
    lang = _lang()
    html = render_template("dsar/rights_message.html", lang=lang, t=FORM[lang], title=FORM[lang][title],
                           text=FORM[lang][text], dpo_email=current_app.config["DPO_EMAIL"])
    return _answer(html, status)


@rights_pages.errorhandler(_NoSuchSite)
def _no_such_site(err: _NoSuchSite):
    return _message_page("missing_title", "missing", 404)


@rights_pages.errorhandler(RateLimitExceeded)
def _too_many(err: RateLimitExceeded):
    response = _message_page("too_many_title", "too_many", 429)
    response.headers["Retry-After"] = str(_retry_after(err))
    return response


def _retry_after(err: RateLimitExceeded) -> int:
    limit = getattr(err, "limit", None)
    return int(limit.limit.get_expiry()) if limit is not None else 3600
