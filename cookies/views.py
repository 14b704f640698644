"""The public consent API and the site/policy administration API (thin views)."""
from __future__ import annotations

from flask import Response, current_app, jsonify, request
from flask_smorest import Blueprint

from consent_service import apikeys
from consent_service.errors import fail
from consent_service.extensions import db
from consent_service.fields import account_id_is_valid
from consent_service.ratelimit import limit_from_config

from . import cors, schemas, services
from .services import CONSENT_COOKIE, RCI_COOKIE

sites_blp = Blueprint("sites", __name__, url_prefix="/v1/sites", description="Sites and cookie policies")
consent_blp = Blueprint("consents", __name__, url_prefix="/v1", description="Consent decisions and their proof")
consent_blp.after_request(cors.add_cors_headers)
sites_blp.after_request(cors.add_cors_headers)


def _site_or_404(key: str):
    try:
        return services.get_site(key)
    except services.NotFound as err:
        fail(404, str(err))


def _current_or_404(key: str) -> services.CurrentPolicy:
    try:
        return services.current_policy(key)
    except services.NotFound as err:
        fail(404, str(err))


def _gpc() -> bool:
    return request.headers.get("Sec-GPC", "").strip() == "1"


@sites_blp.route("", methods=["POST"])
@apikeys.require_scope("sites:admin")
@sites_blp.arguments(schemas.SiteIn)
@sites_blp.response(201, schemas.SiteOut)
def create_site(data):
    """Register a site that embeds the banner."""
    try:
        site = services.create_site(**data)
    except services.Conflict as err:
        fail(409, str(err))
    db.session.commit()
    return site


@sites_blp.route("/<string:site>/policies", methods=["POST"])
@apikeys.require_scope("sites:admin")
@sites_blp.arguments(schemas.PolicyIn)
@sites_blp.response(201, schemas.PolicyOut)
def publish_policy(data, site):
    """Publish a new immutable policy version."""
    found = _site_or_404(site)
    try:
        policy = services.publish_policy(found, data)
    except services.Conflict as err:
        fail(409, str(err))
    db.session.commit()
    return services.policy_json(found.key, policy)


@sites_blp.route("/<string:site>/policy", methods=["GET"])
@sites_blp.response(200, schemas.PolicyOut)
@sites_blp.alt_response(304, description="Not modified (If-None-Match matched the ETag).")
def current_policy(site):
    """The current policy version (public; revalidate with If-None-Match)."""
    policy = _current_or_404(site)
    headers = {"ETag": policy.etag, "Cache-Control": "no-cache"}
    if request.if_none_match.contains(policy.etag.strip('"')) or request.if_none_match.star_tag:
        return Response(status=304, headers=headers)
    return Response(policy.body, status=200, headers=headers, mimetype="application/json")


@sites_blp.route("/<string:site>/policies/<int:version>", methods=["GET"])
@sites_blp.response(200, schemas.PolicyOut)
def policy_version(site, version):
    """Any published version, current or past."""
    found = _site_or_404(site)
    try:
        policy = services.get_policy_version(found, version)
    except services.NotFound as err:
        fail(404, str(err))
    return services.policy_json(found.key, policy)


@sites_blp.route("/<string:site>/policy/lint", methods=["GET"])
@apikeys.require_scope("sites:admin")
@sites_blp.response(200, schemas.LintOut)
def lint_policy(site):
    """Compliance findings for the current policy."""
    found = _site_or_404(site)
    try:
        policy = services.latest_policy(found)
    except services.NotFound as err:
        fail(404, str(err))
    return {"site": found.key, "version": policy.version, "findings": services.lint(policy.document)}


def _set_consent_cookies(response: Response, decision: services.Decision, policy: services.CurrentPolicy) -> None:
    for name, value in ((CONSENT_COOKIE, decision.cookie_consent), (RCI_COOKIE, decision.r_ci)):
        response.set_cookie(name, value, max_age=decision.max_age, path="/", samesite="Lax",
                            secure=current_app.config["SECURE_COOKIES"], httponly=False,
                            domain=policy.cookie_domain)


@consent_blp.route("/sites/<string:site>/consents", methods=["POST"])
@limit_from_config("CONSENT_RATE_LIMIT")
@consent_blp.arguments(schemas.ConsentIn())  # an instance: webargs would build one per request from a class
@consent_blp.response(201, schemas.ConsentOut)
def record_consent(data, site):
    """Record one decision and set the ``cookie_consent`` and ``r_ci`` cookies."""
    policy = _current_or_404(site)
    origin = request.headers.get("Origin")
    if origin and not cors.origin_allowed(site, origin):
        fail(403, "This origin may not record consent for this site.")
    locale = data["locale"]
    if locale not in policy.texts_hashes:
        fail(422, errors={"locale": ["This policy has no texts in that locale."]})
    try:
        decision = services.record_decision(
            policy, action=data["action"], chosen=data.get("categories"), visitor_id=data.get("visitor_id"),
            locale=locale, page=data.get("page"), ip=request.remote_addr,
            user_agent=request.headers.get("User-Agent"), gpc=_gpc())
    except ValueError as err:
        db.session.rollback()
        fail(422, errors={"categories": {key: ["Unknown category."] for key in err.args[0]}})
    except services.Conflict as err:
        db.session.rollback()
        fail(409, str(err))
    record = decision.record
    body = {
        "consent_id": record.consent_id, "visitor_id": record.visitor_id, "site": record.site,
        "policy_version": record.policy_version, "action": record.action, "categories": record.categories,
        "recorded_at": services.clock.rfc3339(record.recorded_at),
        "valid_until": services.clock.rfc3339(record.valid_until),
        "cookies": {CONSENT_COOKIE: {"value": decision.cookie_consent, "max_age": decision.max_age},
                    RCI_COOKIE: {"value": decision.r_ci, "max_age": decision.max_age}},
    }
    db.session.commit()  # the 201 below means the proof is committed
    response = jsonify(body)
    response.status_code = 201
    _set_consent_cookies(response, decision, policy)
    return response


@consent_blp.route("/sites/<string:site>/consent-state", methods=["GET"])
@consent_blp.response(200, schemas.ConsentStateOut)
def consent_state(site):
    """Whether the banner must show and what is granted, from the request's cookies."""
    policy = _current_or_404(site)
    state = services.consent_state(policy, request.cookies.get(CONSENT_COOKIE), request.cookies.get(RCI_COOKIE),
                                   _gpc())
    response = jsonify(state.__dict__)
    response.headers["Cache-Control"] = "no-store"
    return response


@consent_blp.route("/consents/<string:consent_id>", methods=["GET"])
@consent_blp.response(200, schemas.ProofOut)
@consent_blp.doc(security=[{"bearerAuth": []}, {}])
def get_proof(consent_id):
    """The proof of one decision: for a ``consents:read`` key or the holder of that consent's cookie."""
    if not _holds_consent_cookie(consent_id) and not apikeys.optional_key("consents:read"):
        apikeys.current_key("consents:read")
    try:
        record = services.get_proof(consent_id)
    except services.NotFound as err:
        fail(404, str(err))
    return services.proof_json(record)


def _holds_consent_cookie(consent_id: str) -> bool:
    try:
        payload = services.read_consent_token(request.cookies.get(CONSENT_COOKIE))
    except services.tokens.BadData:
        return False
    return payload is not None and payload["id"] == consent_id


@consent_blp.route("/consents", methods=["GET"])
@apikeys.require_scope("consents:read")
@consent_blp.arguments(schemas.HistoryQuery, location="query")
@consent_blp.response(200, schemas.ProofList)
def consent_history(query):
    """A subject's decisions (by visitor or by account), newest first."""
    records = services.history(**query)
    return {"items": [services.proof_json(r) for r in records]}


@consent_blp.route("/accounts/<string:account_id>/visitors", methods=["POST"])
@apikeys.require_scope("accounts:write")
@consent_blp.arguments(schemas.VisitorLinkIn)
@consent_blp.response(204)
def link_visitor(data, account_id):
    """Link a banner visitor to a portal account."""
    if not account_id_is_valid(account_id):
        fail(422, errors={"account_id": ["Not a valid account id."]})
    try:
        services.link_visitor(account_id, data["visitor_id"])
    except services.Conflict as err:
        fail(409, str(err))
    db.session.commit()
    return ""
