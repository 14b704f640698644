"""Consent proofs: searches by consent, visitor or account id, and one proof; both audited."""
from __future__ import annotations

import dataclasses

from consent_service.fields import account_id_is_valid
from cookies import services as cookie_services

from . import OPAQUE_ID, Refused
from .audit import audit

SEARCH_KINDS = ("consent_id", "visitor_id", "account_id")

PROOF_LIMIT = 500  # the most recent proofs a search shows; the page says when there were more


@dataclasses.dataclass
class ProofResults:
    records: list
    cut: bool  # more than PROOF_LIMIT matched: only the most recent are in ``records``


def find_proofs(kind: str, value: str, actor: str) -> ProofResults:
    """Consent proofs by consent id, visitor id or account id (newest first, at most
    ``PROOF_LIMIT``, ``cut`` when there were more); the look-up is audited with the kind and
    the count (the id itself only for a consent id)."""
    value = (value or "").strip()
    if kind not in SEARCH_KINDS:
        raise Refused(None, {"kind": ["Choose what to search by."]}, 422)
    valid = account_id_is_valid(value) if kind == "account_id" else bool(OPAQUE_ID.match(value))
    if not valid:
        raise Refused(None, {"value": ["Not a valid identifier."]}, 422)
    if kind == "consent_id":
        try:
            found = [cookie_services.get_proof(value)]
        except cookie_services.NotFound:
            found = []
    else:
        found = cookie_services.history(**{kind: value}, limit=PROOF_LIMIT + 1)
    cut = len(found) > PROOF_LIMIT
    found = found[:PROOF_LIMIT]
    more = "+" if cut else ""
    target = f"consent_id {value}" if kind == "consent_id" else f"{kind}: {len(found)}{more} record(s)"
    audit(actor, "proof_search", target)
    return ProofResults(found, cut)


def proof(consent_id: str, actor: str):
    if not OPAQUE_ID.match(consent_id or ""):
        return None
    try:
        record = cookie_services.get_proof(consent_id)
    except cookie_services.NotFound:
        return None
    audit(actor, "proof_viewed", f"consent_id {consent_id}")
    return record

