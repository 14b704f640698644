"""The e-mails of the request workflow: rendered from templates, queued in the outbox.

Each one is queued in the caller's transaction (the transactional outbox), French unless
the request's locale is ``en``, plain text with an autoescaped HTML alternative.
"""
from __future__ import annotations

import datetime as dt
import logging

from flask import current_app, render_template

from consent_service import clock, i18n
from consent_service.mail import queue_mail

from . import wording
from .deadlines import paris_day
from .models import DsarRequest

log = logging.getLogger(__name__)

TYPE_LABELS = {
    "fr": {"access": "droit d'accès", "rectification": "droit de rectification", "erasure": "droit à l'effacement",
           "restriction": "droit à la limitation du traitement", "objection": "droit d'opposition",
           "portability": "droit à la portabilité", None: "demande relative à vos données"},
    "en": {"access": "right of access", "rectification": "right to rectification", "erasure": "right to erasure",
           "restriction": "right to restriction of processing", "objection": "right to object",
           "portability": "right to data portability", None: "request about your data"},
}

SUBJECTS = {
    "acknowledgement": {"fr": "Votre demande {ref} : confirmez votre adresse",
                        "en": "Your request {ref}: please confirm your address"},
    "reminder": {"fr": "Rappel : confirmez votre demande {ref}", "en": "Reminder: please confirm your request {ref}"},
    "verified": {"fr": "Votre demande {ref} est confirmée", "en": "Your request {ref} is confirmed"},
    "extension": {"fr": "Votre demande {ref} : délai de réponse prolongé",
                  "en": "Your request {ref}: the time to answer is extended"},
    "completion": {"fr": "Votre demande {ref} est traitée", "en": "Your request {ref} has been handled"},
    "rejection": {"fr": "Votre demande {ref} : notre réponse", "en": "Your request {ref}: our answer"},
    "dpo_notice": {"fr": "Nouvelle demande {ref}", "en": "New request {ref}"},
    "digest": {"fr": "Échéances RGPD : {ref} demande(s) à traiter", "en": "GDPR deadlines: {ref} request(s) to handle"},
}

def format_day(day: dt.date, locale: str, weekday: bool = False) -> str:
    return i18n.day(day, locale, weekday=weekday)


def days_left(count: int, locale: str) -> str:
    """« dans 3 jours », "in 1 day"."""
    if locale == "en":
        return i18n.plural(count, "in {n} day", "in {n} days", "en")
    return i18n.plural(count, "dans {n} jour", "dans {n} jours", "fr")


def render(name: str, locale: str, ref: str, **context) -> tuple[str, str, str]:
    """``(subject, text, html)`` of the mail ``name`` in ``locale``."""
    locale = locale if locale == "en" else "fr"
    context.update(en=locale == "en", locale=locale, ref=ref, labels=TYPE_LABELS[locale],
                   day=lambda d, weekday=False: format_day(d, locale, weekday), paris=paris_day,
                   moment=lambda t: i18n.moment(t, locale),
                   label=lambda kind, value: wording.label(kind, value, locale),
                   days_left=lambda n: days_left(n, locale), base_url=current_app.config["PUBLIC_BASE_URL"])
    subject = SUBJECTS[name][locale].format(ref=ref)
    text = render_template(f"dsar/mail/{name}.txt", **context)
    html = render_template(f"dsar/mail/{name}.html", subject=subject, **context)
    return subject, text, html


# Mails that answer the request: they go only to an address known to be the subject's.
ANSWERS = frozenset({"verified", "extension", "completion", "rejection"})


def address_deliverable(dsar_request: DsarRequest) -> bool:
    """Whether answers may go to the request's address: its owner confirmed it by the e-mailed
    link, or it is the account's address on file (the automatic check compared it)."""
    return bool(dsar_request.email) and (dsar_request.email_confirmed_at is not None
                                         or dsar_request.address_check == "match")


def _to_subject(dsar_request: DsarRequest, name: str, **context):
    """Queue ``name`` to the subject's address, when there is one (for an answer, when it is
    deliverable: an export link never goes to an address nobody proved)."""
    if not dsar_request.email:
        return None
    if name in ANSWERS and not address_deliverable(dsar_request):
        log.info("dsar %s: %s not e-mailed, the address is not confirmed", dsar_request.reference, name)
        return None
    subject, text, html = render(name, dsar_request.locale, dsar_request.reference, r=dsar_request, **context)
    return queue_mail(to=dsar_request.email, subject=subject, text=text, html=html, auto=True,
                      ref=dsar_request.reference)


def acknowledgement(dsar_request: DsarRequest, verify_url: str | None, reminder: bool = False):
    return _to_subject(dsar_request, "reminder" if reminder else "acknowledgement", verify_url=verify_url)


def verified(dsar_request: DsarRequest):
    return _to_subject(dsar_request, "verified")


def extension(dsar_request: DsarRequest):
    return _to_subject(dsar_request, "extension", reason=dsar_request.extension_reason)


def completion(dsar_request: DsarRequest, summary: str):
    return _to_subject(dsar_request, "completion", summary=summary, export_url=dsar_request.export_url)


def rejection(dsar_request: DsarRequest, ground: str, reason: str):
    return _to_subject(dsar_request, "rejection", ground=ground, reason=reason)


def dpo_notice(dsar_request: DsarRequest):
    """The new-request notice: the reference, type, channel and deadline, no personal data."""
    subject, text, html = render("dpo_notice", "fr", dsar_request.reference, r=dsar_request)
    return queue_mail(to=current_app.config["DPO_EMAIL"], subject=subject, text=text, html=html, auto=True,
                      ref=dsar_request.reference)


def digest(requests: list[DsarRequest], today: dt.date):
    """The DPO's daily list of requests due within 7 days or overdue (references only)."""
    now = clock.now()
    rows = [{"r": r, "overdue": clock.utc(r.due_at) < now,
             "days_left": (r.due_on - today).days} for r in requests]
    subject, text, html = render("digest", "fr", str(len(rows)), rows=rows, today=today)
    return queue_mail(to=current_app.config["DPO_EMAIL"], subject=subject, text=text, html=html, auto=True,
                      ref=f"digest:{today.isoformat()}")

