"""The public consent API and the site/policy administration API (thin views)."""
from __future__ import annotations

from flask import Response, current_app, request
from flask_smorest import Blueprint

from consent_service import apikeys
from consent_service.errors import Forbidden, Invalid
from consent_service.extensions import db
from consent_service.fields import account_id_is_valid
from consent_service.ratelimit import RouteLimits
from proofs import bundles

from . import answers, cors, policies, schemas, services
from .services import CONSENT_COOKIE, RCI_COOKIE

sites_blp = Blueprint("sites", __name__, url_prefix="/v1/sites", description="Sites and cookie policies")
consent_blp = Blueprint("consents", __name__, url_prefix="/v1", description="Consent decisions and their proof")
consent_blp.after_request(cors.add_cors_headers)
sites_blp.after_request(cors.add_cors_headers)

# The hot routes' limits, declared once: they decorate the views below and gate the hot
# handlers (cookies/hot.py). A limit goes here, never as a bare decorator on those views.
POLICY_LIMITS = RouteLimits("sites.current_policy", "CONSENT_READ_RATE_LIMIT")
STATE_LIMITS = RouteLimits("consents.consent_state", "CONSENT_READ_RATE_LIMIT")
WRITE_LIMITS = RouteLimits("consents.record_consent", "CONSENT_RATE_LIMIT")
CONSENT_IN = schemas.ConsentIn()  # one instance: webargs would build one per request from a class


def gpc(header: str | None) -> bool:
    """Whether ``Sec-GPC`` asks not to sell or share (Global Privacy Control)."""
    return (header or "").strip() == "1"


def record(policy: policies.CurrentPolicy, data: dict, ip: str | None, user_agent: str | None,
           gpc_header: str | None) -> services.Decision:
    """Record a validated decision and commit it (both paths: the view below and cookies/hot.py).

    The proof is written outside the ORM session, by the process's group commit
    (cookies/group_commit.py): a Core INSERT and COMMIT, shared with the decisions that arrived
    at the same moment. Once this returns, the proof is committed."""
    return services.record_decision(
        policy, action=data["action"], chosen=data.get("categories"), visitor_id=data.get("visitor_id"),
        locale=data["locale"], page=data.get("page"), ip=ip, user_agent=user_agent, gpc=gpc(gpc_header),
        banner_hash=bundles.hash_for(data.get("banner")), into=current_app.extensions["proof_writer"])


@sites_blp.route("", methods=["POST"])
@apikeys.require_scope("sites:admin")
@sites_blp.arguments(schemas.SiteIn)
@sites_blp.response(201, schemas.SiteOut)
def create_site(data):
    """Register a site that embeds the banner."""
    site = policies.create_site(**data)
    db.session.commit()
    return site


@sites_blp.route("/<string:site>", methods=["PATCH"])
@apikeys.require_scope("sites:admin")
@sites_blp.arguments(schemas.SiteChanges)
@sites_blp.response(200, schemas.SiteOut)
def update_site(data, site):
    """Change a site's name, allowed origins (the pages that may embed the banner) or cookie domain."""
    found = policies.update_site(policies.get_site(site), data)
    db.session.commit()
    return found


@sites_blp.route("/<string:site>/policies", methods=["POST"])
@apikeys.require_scope("sites:admin")
@sites_blp.arguments(schemas.PolicyIn)
@sites_blp.response(201, schemas.PolicyOut)
def publish_policy(data, site):
    """Publish a new immutable policy version."""
    found = policies.get_site(site)
    policy = policies.publish_policy(found, data)
    db.session.commit()
    return policy


@sites_blp.route("/<string:site>/policy", methods=["GET"])
@POLICY_LIMITS.decorate
@sites_blp.response(200, schemas.PolicyOut)
@sites_blp.alt_response(304, description="Not modified (If-None-Match matched the ETag).")
def current_policy(site):
    """The current policy version (public; revalidate with If-None-Match)."""
    policy = policies.current_policy(site)
    headers = answers.policy_cache_headers(policy)
    if answers.not_modified(policy, request.headers.get("If-None-Match")):
        return Response(status=304, headers=headers)
    return Response(policy.body, status=200, headers=headers, mimetype=answers.JSON)


@sites_blp.route("/<string:site>/policies/<int:version>", methods=["GET"])
@sites_blp.response(200, schemas.PolicyOut)
def policy_version(site, version):
    """Any published version, current or past."""
    return policies.get_policy_version(policies.get_site(site), version)


@sites_blp.route("/<string:site>/policy/lint", methods=["GET"])
@apikeys.require_scope("sites:admin")
@sites_blp.response(200, schemas.LintOut)
def lint_policy(site):
    """Compliance findings for the current policy."""
    found = policies.get_site(site)
    policy = policies.latest_policy(found)
    return {"site": found.key, "version": policy.version, "findings": policies.lint(policy.document)}


@consent_blp.route("/sites/<string:site>/consents", methods=["POST"])
@WRITE_LIMITS.decorate
@consent_blp.arguments(CONSENT_IN)
@consent_blp.response(201, schemas.ConsentOut)
def record_consent(data, site):
    """Record one decision and set the ``cookie_consent`` and ``r_ci`` cookies."""
    policy = policies.current_policy(site)
    origin = request.headers.get("Origin")
    if origin and not cors.origin_allowed(site, origin):
        raise Forbidden("This origin may not record consent for this site.")
    if data["locale"] not in policy.texts_hashes:
        raise Invalid(errors={"locale": ["This policy has no texts in that locale."]})
    try:
        decision = record(policy, data, request.remote_addr, request.headers.get("User-Agent"),
                          request.headers.get("Sec-GPC"))
    except ValueError as err:  # unknown categories (a 409 Conflict passes through)
        raise Invalid(errors={"categories": {key: ["Unknown category."] for key in err.args[0]}}) from None
    db.session.commit()  # the proof is committed (by record); this ends the policy read's transaction
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    return Response(answers.decision_body(app, decision), status=201, mimetype=answers.JSON,
                    headers=answers.consent_cookie_headers(app, decision, policy))


@consent_blp.route("/sites/<string:site>/consent-state", methods=["GET"])
@STATE_LIMITS.decorate
@consent_blp.response(200, schemas.ConsentStateOut)
def consent_state(site):
    """Whether the banner must show and what is granted, from the request's cookies."""
    policy = policies.current_policy(site)
    state = services.consent_state(policy, request.cookies.get(CONSENT_COOKIE), request.cookies.get(RCI_COOKIE),
                                   gpc(request.headers.get("Sec-GPC")))
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    return Response(answers.state_body(app, state), mimetype=answers.JSON,
                    headers={"Cache-Control": answers.STATE_CACHE_CONTROL})


@consent_blp.route("/consents/<string:consent_id>", methods=["GET"])
@consent_blp.response(200, schemas.ProofOut)
@consent_blp.doc(security=[{"bearerAuth": []}, {}])
def get_proof(consent_id):
    """The proof of one decision: for a ``consents:read`` key or the holder of that consent's cookie."""
    require_proof_reader(consent_id)
    return services.get_proof(consent_id)


def require_proof_reader(consent_id: str) -> None:
    """Let through a ``consents:read`` key or the holder of this consent's own cookie; else 401/403."""
    if not _holds_consent_cookie(consent_id) and not apikeys.optional_key("consents:read"):
        apikeys.current_key("consents:read")


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
    return {"items": services.history(**query)}


@consent_blp.route("/accounts/<string:account_id>/visitors", methods=["POST"])
@apikeys.require_scope("accounts:write")
@consent_blp.arguments(schemas.VisitorLinkIn)
@consent_blp.response(204)
def link_visitor(data, account_id):
    """Link a banner visitor to a portal account."""
    if not account_id_is_valid(account_id):
        raise Invalid(errors={"account_id": ["Not a valid account id."]})
    services.link_visitor(account_id, data["visitor_id"])
    db.session.commit()
    return ""
