"""Account deletion: one purge per account, every store, receipts without personal data."""
from __future__ import annotations

import hashlib
import hmac

import pytest

from consent_service import pseudonym
from consent_service.extensions import db
from datamap import connectors
from datamap.models import Purge

from .helpers import (
    TENANTS,
    assert_no_personal_data,
    consent_for,
    consent_rows,
    link_rows,
    personal_needles,
    run_worker,
)


def delete(client, headers, account_id="A1001"):
    return client.post(f"/v1/accounts/{account_id}/deletion", headers=headers)


def test_deletion_answers_202_with_a_pending_purge(client, writer):
    response = delete(client, writer)
    assert response.status_code == 202
    body = response.get_json()
    assert body["status"] == "pending" and len(body["purge_id"]) == 32


def test_deletion_is_idempotent_before_and_after_the_purge_ran(client, writer):
    first = delete(client, writer).get_json()["purge_id"]
    assert delete(client, writer).get_json()["purge_id"] == first
    run_worker()
    again = delete(client, writer)
    assert again.status_code == 202
    assert again.get_json() == {"purge_id": first, "status": "done"}
    subject_purges = db.select(db.func.count()).select_from(Purge).where(Purge.trigger != "retention")
    assert db.session.execute(subject_purges).scalar_one() == 1


def test_purge_applies_on_erasure_to_every_table_and_removes_the_folder(client, writer, portal, api_key):
    visitor = consent_for(client, api_key, "A1001")
    other_visitor = consent_for(client, api_key, "A1002")
    purge_id = delete(client, writer).get_json()["purge_id"]
    run_worker()
    assert portal.count("tenants", account_id="A1001") == 0
    assert portal.count("documents", account_id="A1001") == 0
    assert portal.count("payments", account_id="A1001") == 0
    anonymized = [r for r in portal.rows("payments") if r["account_id"] is None]
    assert len(anonymized) == 2 and all(r["payer_name"] is None and r["iban"] is None for r in anonymized)
    assert all(r["amount_cents"] == 85000 for r in anonymized)  # the row stays
    assert portal.count("leases", account_id="A1001") == 1  # retained under its legal basis
    assert not (portal.root / "A1001").exists()
    assert consent_rows(visitor) == 0 and link_rows("A1001") == 0
    # the other tenant is untouched
    assert portal.count("tenants", account_id="A1002") == 1
    assert portal.count("payments", account_id="A1002") == 2
    assert (portal.root / "A1002" / "bail.pdf").exists()
    assert consent_rows(other_visitor) == 1 and link_rows("A1002") == 1
    assert db.session.get(Purge, purge_id).status == "done"


def test_receipt_lists_each_table_and_folder_with_counts_and_no_personal_data(client, writer, api_key):
    consent_for(client, api_key, "A1001")
    purge_id = delete(client, writer).get_json()["purge_id"]
    run_worker()
    response = client.get(f"/v1/purges/{purge_id}", headers=writer)
    assert response.status_code == 200
    receipt = response.get_json()
    assert receipt["trigger"] == "account_deleted" and receipt["status"] == "done"
    assert receipt["requested_at"].endswith("Z") and receipt["finished_at"].endswith("Z")
    entries = {(e["store"], e["table"]): e for e in receipt["stores"]}
    assert entries[("portal", "tenants")]["action"] == "delete" and entries[("portal", "tenants")]["rows"] == 1
    assert entries[("portal", "documents")]["rows"] == 3
    assert entries[("portal", "payments")]["action"] == "anonymize" and entries[("portal", "payments")]["rows"] == 2
    leases = entries[("portal", "leases")]
    assert leases["action"] == "retain" and leases["legal_basis"].startswith("Obligation comptable")
    assert leases["rows"] == 1
    assert entries[("documents-files", None)]["rows"] == 3  # files removed
    assert entries[("consent-service", "consent_records")]["rows"] == 1
    assert entries[("consent-service", "visitor_links")]["rows"] == 1
    assert all(e["legal_basis"] is None for e in receipt["stores"] if e["action"] != "retain")
    assert_no_personal_data(receipt, "A1001")
    expected = hmac.new(pseudonym.key(), b"account:A1001", hashlib.sha256).hexdigest()
    assert pseudonym.key() != b"test-secret-key"  # the pseudonym key is not SECRET_KEY
    assert receipt["subject"] == expected


def test_purge_leaves_no_residue_in_any_mapped_table_or_folder(client, writer, api_key, app):
    consent_for(client, api_key, "A1001")
    delete(client, writer)
    run_worker()
    datamap = app.extensions["datamap"]
    needles = personal_needles("A1001")
    for store, table in datamap.sql_tables():
        if table.on_erasure != "retain":
            assert connectors.table_contains(store, table, needles) == [], table.name
    for store in datamap.stores:
        if store.kind == "files":
            assert connectors.folder_contains(store, needles) == []
    assert connectors.folder_contains(datamap.stores[1], personal_needles("A1002"))  # the scan does find things


def test_purge_receipt_is_readable_with_dsar_admin_but_not_other_scopes(client, writer, api_key):
    purge_id = delete(client, writer).get_json()["purge_id"]
    assert client.get(f"/v1/purges/{purge_id}", headers=api_key("dsar:admin")).status_code == 200
    assert client.get(f"/v1/purges/{purge_id}", headers=api_key("consents:read")).status_code == 403
    assert client.get(f"/v1/purges/{purge_id}").status_code == 401
    assert client.get("/v1/purges/nope", headers=writer).status_code == 404


@pytest.mark.parametrize("method,path,body", [
    ("post", "/v1/accounts/A1001/deletion", None),
    ("put", "/v1/accounts/A1001/lease", {"lease_end": "2027-11-30"}),
    ("get", "/v1/accounts/A1001/processing", None),
])
def test_account_endpoints_refuse_no_key_and_other_scopes(client, api_key, method, path, body):
    call = getattr(client, method)
    assert call(path, json=body).status_code == 401
    assert call(path, json=body, headers={"Authorization": "Bearer csk_nope"}).status_code == 401
    for scope in ("sites:admin", "consents:read", "dsar:admin", "dsar:inbound"):
        assert call(path, json=body, headers=api_key(scope)).status_code == 403


@pytest.mark.parametrize("account_id", ["a..b", "-x", "a b", "x" * 200, "é"])
def test_bad_account_ids_are_refused_with_422(client, writer, account_id):
    for method, suffix, body in (("post", "deletion", None), ("put", "lease", {"lease_end": "2027-11-30"}),
                                 ("get", "processing", None)):
        response = getattr(client, method)(f"/v1/accounts/{account_id}/{suffix}", json=body, headers=writer)
        assert response.status_code == 422, (method, suffix)
        assert "account_id" in response.get_json()["errors"]


def test_purge_of_an_unknown_account_is_done_with_zero_counts(client, writer):
    purge_id = delete(client, writer, "Z9999").get_json()["purge_id"]
    run_worker()
    receipt = client.get(f"/v1/purges/{purge_id}", headers=writer).get_json()
    assert receipt["status"] == "done"
    assert all(e["rows"] == 0 for e in receipt["stores"])


def test_no_visitor_can_be_linked_to_an_account_once_its_purge_has_started(client, writer, api_key):
    consent_for(client, api_key, "A1001")
    delete(client, writer)

    def link(account_id):
        return client.post(f"/v1/accounts/{account_id}/visitors", json={"visitor_id": "v" * 32}, headers=writer)

    refused = link("A1001")  # the purge is pending: a link now would outlive it
    assert refused.status_code == 409 and "deleted" in refused.get_json()["message"]
    run_worker()
    assert link("A1001").status_code == 409  # and once it is done
    assert link_rows("A1001") == 0
    assert link("A1002").status_code == 204  # other accounts are not concerned


def _request_of(account_id: str, *, closed: bool) -> str:
    from dsar import workflow
    from dsar.intake import open_request

    name, email, _birth = TENANTS[account_id]
    reference = open_request(type="access", channel="post", actor="system", email=email, full_name=name,
                             account_id=account_id, message=f"Copie des données de {name}").request.reference
    if closed:
        workflow.reject(reference, "identity_not_verified", f"Identité de {name} non établie.", "dpo-key")
    db.session.commit()
    return reference


def test_purge_minimises_the_accounts_closed_requests_and_says_it_keeps_the_open_ones(client, writer, app):
    from dsar.models import DsarEvent, DsarRequest

    closed, still_open = _request_of("A1001", closed=True), _request_of("A1001", closed=False)
    other = _request_of("A1002", closed=True)
    purge_id = delete(client, writer).get_json()["purge_id"]
    run_worker()

    receipt = client.get(f"/v1/purges/{purge_id}", headers=writer).get_json()
    requests = {e["action"]: e for e in receipt["stores"] if e["table"] == "dsar_requests"}
    assert requests["anonymize"]["rows"] == 1 and requests["anonymize"]["legal_basis"] is None
    assert requests["retain"]["rows"] == 1 and "12(3)" in requests["retain"]["legal_basis"]
    assert_no_personal_data(receipt, "A1001")

    def row(reference):
        return db.session.execute(db.select(DsarRequest).where(DsarRequest.reference == reference)).scalar_one()

    needles = personal_needles("A1001")
    minimised = row(closed)
    kept_text = [minimised.email, minimised.full_name, minimised.account_id, minimised.message, minimised.outcome,
                 *[event.note for event in db.session.execute(
                     db.select(DsarEvent).where(DsarEvent.request_id == minimised.id)).scalars()]]
    assert not any(needle in (text or "") for text in kept_text for needle in needles)
    assert minimised.status == "rejected" and minimised.rejection_ground == "identity_not_verified"
    assert row(still_open).email == TENANTS["A1001"][1]  # the answer is still owed to that address
    assert row(other).account_id == "A1002" and row(other).full_name == TENANTS["A1002"][0]


def test_an_open_request_of_a_purged_account_is_minimised_when_it_closes(client, writer):
    from dsar import workflow
    from dsar.models import DsarRequest

    reference = _request_of("A1001", closed=False)
    delete(client, writer)
    run_worker()
    workflow.reject(reference, "no_data", "Plus aucune donnée.", "dpo-key")
    db.session.commit()
    db.session.expire_all()
    request = db.session.execute(db.select(DsarRequest).where(DsarRequest.reference == reference)).scalar_one()
    assert request.email is None and request.account_id is None and request.status == "rejected"
