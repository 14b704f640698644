"""What every back-office page shares: the blueprint, the guard in front of every path, CSRF,
the session helpers, the DPO-only marker, the template helpers and the navigation.

Every path under ``/backoffice`` passes :func:`guard` first: an anonymous visitor gets a
redirect to the sign-in page (401 JSON for a client that does not take HTML), an idle
session is signed out. Views that change anything are marked with :func:`dpo_required`.
"""
from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable
from typing import Any, Protocol, cast
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from flask import Blueprint, abort, current_app, g, redirect, render_template, request, session, url_for
from flask_login import current_user, logout_user

from consent_service import clock, i18n
from consent_service.errors import json_error
from consent_service.extensions import db
from datamap import wording as datamap_wording
from dsar.wording import REFUSALS

from .. import csrf, forms, labels, paging
from ..notes import TIMELINE_NOTES
from ..services import setting
from ..services.audit import audit
from ..texts import LANGS, TEXTS, value_label

bp = Blueprint("backoffice", __name__, url_prefix="/backoffice", template_folder="../templates",
               static_folder="../static", static_url_path="/static")

PARIS = ZoneInfo("Europe/Paris")
PUBLIC_ENDPOINTS = frozenset({"backoffice.login", "backoffice.login_submit", "backoffice.login_code",
                              "backoffice.login_code_submit", "backoffice.static"})

# The navigation, in order: (endpoint, key of its label in texts.TEXTS, shown to DPOs only).
# A page family adds its line here.
NAV: list[tuple[str, str, bool]] = [
    ("backoffice.dashboard", "dashboard", False),
    ("backoffice.register", "register", False),
    ("backoffice.intake_form", "intake", True),
    ("backoffice.proofs", "proofs", False),
    ("backoffice.accounts", "accounts", False),
    ("backoffice.seals", "seals", False),
    ("backoffice.policies", "policies", False),
    ("backoffice.purges", "purges", False),
    ("backoffice.audit_trail", "audit", False),
    ("backoffice.mail_list", "mail_title", True),
    ("backoffice.statistics", "statistics", False),
    ("backoffice.records", "records", False),
]

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
    asked = request.args.get("lang")
    if asked in LANGS:
        session["bo_lang"] = asked
    if request.endpoint in PUBLIC_ENDPOINTS:
        return None
    if not current_user.is_authenticated:
        return _refuse_anonymous()
    now = clock.now().timestamp()
    seen = session.get("bo_seen")
    idle = float(setting("BACKOFFICE_IDLE_MINUTES")) * 60
    if not isinstance(seen, (int, float)) or now - seen > idle:
        audit(current_user.email, "signed_out_idle")
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


@bp.errorhandler(404)
def _not_found(err):
    """A page that does not exist, in the back-office's language (a JSON client gets JSON)."""
    if request.headers.get("Accept") and not request.accept_mimetypes.accept_html:
        return json_error(404, "Not found.")
    return render_template("backoffice/not_found.html"), 404


@bp.after_request
def _no_store(response):
    response.headers.setdefault("Cache-Control", "no-store")
    return response


def _fresh_session() -> None:
    """An empty session (keeping the language) and no CSRF token cached for the old one."""
    chosen = session.get("bo_lang")
    session.clear()
    g.pop("csrf_token", None)
    if chosen:
        session["bo_lang"] = chosen


def _sign_out() -> None:
    logout_user()
    _fresh_session()


class ActionView(Protocol):
    """A view :func:`dpo_required` wrapped, marked ``backoffice_action`` (the security tests find
    the back-office's actions by the mark)."""

    backoffice_action: bool

    def __call__(self, *args: Any, **kwargs: Any) -> Any: ...


def dpo_required(view: Callable[..., Any]) -> ActionView:
    """Only a ``dpo`` acts; an ``auditor`` gets the 403 page."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if not current_user.can_act:
            return render_template("backoffice/forbidden.html"), 403
        return view(*args, **kwargs)

    marked = cast(ActionView, wrapper)  # a function takes attributes; mypy cannot declare one on it
    marked.backoffice_action = True
    return marked


def lang() -> str:
    """The page language: the session's choice, French by default."""
    chosen = session.get("bo_lang")
    return chosen if chosen in LANGS else "fr"


def text(key: str) -> str:
    """One back-office text in the page language."""
    return TEXTS[lang()][key]


def page_or_404(read, **filters) -> paging.Page:
    """The page ``?page=`` asks for, read by ``read(number, size, **filters)``; a bad number or
    one past the last page is the back-office's 404 page."""
    try:
        return read(paging.page_number(request.args), paging.page_size(), **filters)
    except paging.NoSuchPage:
        abort(404)


# --- template helpers -------------------------------------------------------------------------


def _flat(errors) -> list[str]:
    """Every message of a (nested) error mapping, for a page that has no field to tie them to."""
    if isinstance(errors, dict):
        return [message for value in errors.values() for message in _flat(value)]
    if isinstance(errors, (list, tuple)):
        return [message for value in errors for message in _flat(value)]
    return [str(errors)]


def _instant(text: str | None) -> dt.datetime | None:
    """An RFC 3339 time as a receipt gives it, for ``when``."""
    if not text:
        return None
    try:
        return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None


@bp.context_processor
def _helpers():
    language = lang()
    texts = TEXTS[language]

    def when(moment, with_time=True):
        """An instant (Paris time) or a day, in words."""
        if isinstance(moment, dt.datetime) and with_time:
            return i18n.moment(moment, language)
        return i18n.day(moment, language)

    # The language link keeps the page's own query (filters, page number), only its language changes.
    other_language_query = urlencode([(key, value) for key, value in request.args.items(multi=True) if key != "lang"]
                                     + [("lang", texts["other_code"])])
    return {"current_user": current_user, "t": texts, "lang": language,
            "v": lambda value: value_label(language, value),
            "when": when, "day": lambda value, weekday=False: i18n.day(value, language, weekday=weekday),
            "label": lambda kind, value: labels.label(language, kind, value),
            "actor": lambda name: labels.actor(language, name), "note": lambda text: TIMELINE_NOTES(text, language),
            "refusal": lambda text: REFUSALS(text, language),
            "refusals": lambda texts: " ".join(REFUSALS(str(text), language) for text in texts or ()),
            "lint": lambda text: labels.LINT(text, language), "flat": _flat,
            "target": lambda text: labels.TARGETS(text, language),
            "path": lambda text: labels.path_label(language, text), "moment": _instant,
            "store": lambda name: datamap_wording.store_label(name, language) or name,
            "table": lambda store, name: (datamap_wording.TABLES.get(name or "", {}).get(language) if
                                          datamap_wording.store_label(store, language) else None) or name or "—",
            "legal_basis": lambda text: datamap_wording.LEGAL_BASES(text, language),
            "month": lambda year, number: i18n.month(year, number, language),
            "num": lambda value, decimals=0: i18n.number(value, language, decimals),
            "pct": lambda share: "—" if share is None else f"{i18n.number(100 * share, language, 0)}\u00a0%",
            "logout_form": forms.PlainForm(), "other_language_query": other_language_query,
            "nav": [(endpoint, texts[key]) for endpoint, key, dpo_only in NAV
                    if not dpo_only or (current_user.is_authenticated and current_user.can_act)]}
