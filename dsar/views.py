"""The request API under ``/v1/dsar`` (thin views: parse, call a service, commit, answer)."""
from __future__ import annotations

from flask import Response, g, request
from flask_smorest import Blueprint

from consent_service import apikeys, mail
from consent_service.errors import NotFound, PayloadTooLarge, UnsupportedMediaType, commit
from consent_service.extensions import db
from consent_service.ratelimit import shared_limit_from_config

from . import actions, inbound_email, intake, register, rights_form, schemas, services
from .models import DsarRequest
from .rights_form import ADDRESS_SCOPE, EMAIL_SCOPE
from .services import SYSTEM

blp = Blueprint("dsar", __name__, url_prefix="/v1/dsar", description="Data-subject requests")

INBOUND_LIMIT = 10 * 1024 * 1024
ADMIN = "dsar:admin"


# --- rate limits of the public form ------------------------------------------------------------


def _email_key() -> str | None:
    """The per-address bucket: a keyed hash of the normalised e-mail (counters and the
    limiter's logs never hold the address), or None to skip this limit when the body has
    no readable address (such a body is refused as 400/413/422 anyway)."""
    limit = request.max_content_length
    if not request.is_json or (limit is not None and (request.content_length or 0) > limit):
        return None
    try:
        body = request.get_json(silent=True)
    except Exception:  # an over-long or broken stream: the view answers it
        return None
    address = body.get("email") if isinstance(body, dict) else None
    if not isinstance(address, str) or "@" not in address or len(address) > 254:
        return None
    return rights_form.email_bucket(address)


def _accepted_only(response: Response) -> bool:
    return response.status_code == 202


# --- helpers ------------------------------------------------------------------------------------


def _actor() -> str:
    return g.get("api_key_name") or SYSTEM


def _act(action: str, reference: str, data: dict) -> DsarRequest:
    """Run one of the DPO's actions, commit it with its queued e-mail, answer the detail."""
    dsar_request = actions.perform(action, reference, data, _actor())
    commit()
    return dsar_request


# --- the subject's form --------------------------------------------------------------------------


@blp.route("/requests", methods=["POST"])
@shared_limit_from_config("DSAR_RATE_LIMIT", ADDRESS_SCOPE)  # shared with the form (dsar/rights_form.py)
@shared_limit_from_config("DSAR_EMAIL_RATE_LIMIT", EMAIL_SCOPE, key_func=_email_key, deduct_when=_accepted_only)
@blp.arguments(schemas.PublicRequestIn)
@blp.response(202, schemas.Accepted)
def submit_request(data):
    """A data subject's request (public, rate limited). The answer never says whether an
    account exists: it is the same whatever the account id and birth date."""
    result = intake.submit_form(**data)
    commit()
    return result.request


@blp.route("/requests/intake", methods=["POST"])
@apikeys.require_scope(ADMIN)
@blp.arguments(schemas.IntakeIn)
@blp.response(201, schemas.RequestDetail)
def intake_request(data):
    """A request the DPO received by post, e-mail or phone, with its real receipt time."""
    note = data.pop("note", None)
    result = intake.open_request(actor=_actor(), notify_dpo=False, note=note, **data)
    commit()
    return result.request


@blp.route("/inbound-email", methods=["POST"])
@apikeys.require_scope("dsar:inbound")
@blp.response(202, schemas.InboundAccepted)
@blp.doc(requestBody={"required": True, "description": (
    "An RFC 5322 message with exactly one valid From address (application/octet-stream is read the same way)."),
    "content": {"message/rfc822": {"schema": {"type": "string", "format": "binary", "minLength": 1}}}})
def inbound_email_view():
    """A raw e-mail (``message/rfc822``, at most 10 MiB) sent to the DPO's address becomes a
    case with ``channel: "email"``; a duplicate within minutes joins the open case."""
    request.max_content_length = INBOUND_LIMIT
    if (request.content_length or 0) > INBOUND_LIMIT:
        raise PayloadTooLarge("The message is larger than 10 MiB.")
    if request.mimetype not in ("message/rfc822", "application/octet-stream", "text/plain"):
        raise UnsupportedMediaType("Send the raw message as message/rfc822.")
    raw = request.get_data(cache=False)
    parsed = inbound_email.parse(raw)
    note = f"Received by e-mail ({parsed.attachments} attachment(s) ignored)."
    message = f"{parsed.subject}\n\n{parsed.text}".strip() or None
    if parsed.automatic:
        note += " Automatic message: no acknowledgement sent."
    result = intake.open_request(type=parsed.type, channel="email", actor=SYSTEM, email=parsed.sender,
                                 full_name=parsed.display_name, message=message, locale=parsed.locale,
                                 acknowledge=not parsed.automatic, note=note)
    commit()
    return result.request


# --- the DPO's register -----------------------------------------------------------------------


@blp.route("/requests", methods=["GET"])
@apikeys.require_scope(ADMIN)
@blp.arguments(schemas.ListQuery, location="query")
@blp.response(200, schemas.RequestList)
def list_requests(query):
    """Requests, newest first; ``overdue=true`` keeps the open ones past their deadline."""
    return {"items": services.list_requests(**query)}


@blp.route("/requests.csv", methods=["GET"])
@apikeys.require_scope(ADMIN)
@blp.arguments(schemas.ListQuery, location="query")
@blp.response(200, content_type="text/csv", description="The register of requests (CSV, UTF-8).")
def register_csv(query):
    """The register of requests for the DPO (CSV; cells that could run as formulas are quoted)."""
    body = register.register_csv(services.list_requests(**query))
    return Response(body, mimetype="text/csv", headers={
        "Content-Disposition": 'attachment; filename="dsar-register.csv"', "Cache-Control": "no-store"})


@blp.route("/requests/<string:reference>", methods=["GET"])
@apikeys.require_scope(ADMIN)
@blp.response(200, schemas.RequestDetail)
def get_request(reference):
    """One request with its timeline (oldest first) and its e-mails."""
    return services.get_request(reference)


@blp.route("/requests/<string:reference>", methods=["PATCH"])
@apikeys.require_scope(ADMIN)
@blp.arguments(actions.ACTIONS["classify"].schema)
@blp.response(200, schemas.RequestDetail)
def classify_request(data, reference):
    """Set the request's type."""
    return _act("classify", reference, data)


@blp.route("/requests/<string:reference>/verify", methods=["POST"])
@apikeys.require_scope(ADMIN)
@blp.arguments(actions.ACTIONS["verify"].schema)
@blp.response(200, schemas.RequestDetail)
def verify_request(data, reference):
    """The DPO verified the subject's identity by another method, with a note."""
    return _act("verify", reference, data)


@blp.route("/requests/<string:reference>/extend", methods=["POST"])
@apikeys.require_scope(ADMIN)
@blp.arguments(actions.ACTIONS["extend"].schema)
@blp.response(200, schemas.RequestDetail)
def extend_request(data, reference):
    """Extend the deadline to three months after receipt (once, before the first deadline)."""
    return _act("extend", reference, data)


@blp.route("/requests/<string:reference>/execute", methods=["POST"])
@apikeys.require_scope(ADMIN)
@blp.arguments(actions.ACTIONS["execute"].schema)
@blp.response(200, schemas.RequestDetail)
def execute_request(data, reference):
    """Carry the request out with the executor registered for its type (``changes`` for a rectification)."""
    return _act("execute", reference, data)


@blp.route("/requests/<string:reference>/reject", methods=["POST"])
@apikeys.require_scope(ADMIN)
@blp.arguments(actions.ACTIONS["reject"].schema)
@blp.response(200, schemas.RequestDetail)
def reject_request(data, reference):
    """Refuse the request, with a ground and a reason the subject receives."""
    return _act("reject", reference, data)


@blp.route("/requests/<string:reference>/complete", methods=["POST"])
@apikeys.require_scope(ADMIN)
@blp.arguments(actions.ACTIONS["complete"].schema)
@blp.response(200, schemas.RequestDetail)
def complete_request(data, reference):
    """Close the handled request; the subject receives the summary."""
    return _act("complete", reference, data)


@blp.route("/requests/<string:reference>/withdraw", methods=["POST"])
@apikeys.require_scope(ADMIN)
@blp.arguments(actions.ACTIONS["withdraw"].schema)
@blp.response(200, schemas.RequestDetail)
def withdraw_request(data, reference):
    """Record that the subject withdrew the request."""
    return _act("withdraw", reference, data)



# --- the outbox, as the DPO sees it ------------------------------------------------------------


@blp.route("/outbox", methods=["GET"])
@apikeys.require_scope(ADMIN)
@blp.arguments(schemas.OutboxQuery, location="query")
@blp.response(200, schemas.OutboxList)
def list_outbox(query):
    """Outgoing e-mails, newest first; ``status=failed`` lists those that gave up."""
    return {"items": mail.list_messages(**query)}


@blp.route("/outbox/<int:message_id>/retry", methods=["POST"])
@apikeys.require_scope(ADMIN)
@blp.response(200, schemas.OutboxItem)
def retry_outbox(message_id):
    """Queue a failed e-mail again with a fresh set of tries."""
    message = mail.requeue(message_id)
    if message is None:
        raise NotFound("No failed e-mail with that id.")
    db.session.commit()
    return message
