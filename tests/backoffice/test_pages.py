"""Every page renders for a DPO, and the DPO actions of docs/rights-requests.md work through the forms."""
from __future__ import annotations

import copy
import datetime as dt
import html

from consent_service import clock, hooks
from consent_service.extensions import db

from .conftest import HTML, NOW


def _site_with_two_versions():
    from cookies import policies
    from cookies.demo import DEMO_POLICY, load_demo_site

    load_demo_site()
    site = policies.get_site("espace-locataire")
    changed = copy.deepcopy(DEMO_POLICY)
    changed["cookies"] = [c for c in changed["cookies"] if c["name"] != "Cookie_support"]
    changed["cookies"][0]["lifetime"] = "6 mois"
    changed["cookies"].append({"name": "_pk_id", "category": "analytics", "type": "", "purpose": "Mesure",
                               "lifetime": "13 mois", "description": {"fr": "Matomo", "en": "Matomo"}})
    changed["accept_validity_months"] = 6
    changed["texts"] = copy.deepcopy(policies.latest_policy(site).document["texts"])
    changed["texts"]["fr"]["title"] = "Vos cookies"
    policies.publish_policy(site, changed)
    db.session.commit()
    policies.forget_cached_policy()


def test_every_page_renders_for_a_dpo(bo, dpo_client, dsar_request, api_key):
    from datamap import purge_start

    reference = dsar_request()
    late = dsar_request(type="access", received_at=NOW - dt.timedelta(days=40), email="other@example.fr")
    _site_with_two_versions()
    consent = bo.test_client().post("/v1/sites/espace-locataire/consents", json={"action": "accept_all"}).get_json()
    purge = purge_start.start_purge("T-2002", "account_deleted")
    db.session.commit()
    pages = {
        "/backoffice/": ["Demandes en cours", reference, "En retard", "Nombre par statut", "effacement"],
        f"/backoffice/requests/{reference}": ["Dominique Petit", "courrier", "Historique", "Vérifier l&#39;identité",
                                              "Je confirme"],
        "/backoffice/intake": ["courrier", "téléphone", 'type="datetime-local"'],
        "/backoffice/register": [reference, "register.csv"],
        "/backoffice/audit": ["connexion", "dpo@bailleur.example.fr"],
        "/backoffice/proofs": ['name="kind"', "Identifiant visiteur"],
        f"/backoffice/proofs/{consent['consent_id']}": [consent["consent_id"], "tout accepté", "analytics"],
        "/backoffice/policies": ["espace-locataire"],
        "/backoffice/policies/espace-locataire": ["Cookie_support", "_pk_id", "durée de vie", "6 mois", "Vos cookies",
                                                  "durée de validité d&#39;une acceptation (mois)", "v1 → v2"],
        "/backoffice/purges": [purge.purge_id, "compte supprimé"],
        f"/backoffice/purges/{purge.purge_id}": [purge.purge_id, "Stockages"],
    }
    for path, expected in pages.items():
        response = dpo_client.get(path, headers=HTML)
        assert response.status_code == 200, path
        body = response.get_data(as_text=True)
        for text in expected:
            assert text in body, (path, text)
        assert 'href="#main"' in body and '<main id="main"' in body and "<nav" in body
    dashboard = dpo_client.get("/backoffice/", headers=HTML).get_data(as_text=True)
    assert dashboard.index(late) < dashboard.index(reference)  # soonest deadline first
    assert '<tr class="late">' in dashboard


def test_pages_switch_to_english_and_stay_there(dpo_client):
    page = dpo_client.get("/backoffice/?lang=en", headers=HTML).get_data(as_text=True)
    assert '<html lang="en">' in page and "Open requests" in page
    assert "Open requests" in dpo_client.get("/backoffice/", headers=HTML).get_data(as_text=True)
    assert "Demandes en cours" in dpo_client.get("/backoffice/?lang=fr", headers=HTML).get_data(as_text=True)


def test_unknown_request_purge_proof_and_site_are_404(dpo_client):
    for path in ("/backoffice/requests/DSAR-2027-NOPE", "/backoffice/purges/nope", "/backoffice/proofs/nope",
                 "/backoffice/policies/nope"):
        assert dpo_client.get(path, headers=HTML).status_code == 404, path


def _post(client, reference, action, **data):
    return client.post(f"/backoffice/requests/{reference}/{action}", data=data, headers=HTML)


def _events(reference):
    from dsar.services import get_request

    db.session.expire_all()
    made = get_request(reference)
    return made, [(e.kind, e.actor) for e in made.events]


def test_a_request_from_received_to_completed(dpo_client, dsar_request):
    reference = dsar_request(type="access", account_id=None)
    assert _post(dpo_client, reference, "verify", method="document", note="Carte d'identité vue").status_code == 302
    assert _post(dpo_client, reference, "extend", reason="Demande complexe").status_code == 302
    assert _post(dpo_client, reference, "complete", summary="Copie envoyée par courrier").status_code == 302
    made, events = _events(reference)
    assert made.status == "completed" and made.extended and made.verification_method == "document"
    # (the system notes on the timeline that the unconfirmed address was not e-mailed)
    assert [e for e in events[1:] if e[1] != "system"] == [
        ("verified", "dpo@bailleur.example.fr"), ("extended", "dpo@bailleur.example.fr"),
                          ("completed", "dpo@bailleur.example.fr")]
    page = dpo_client.get(f"/backoffice/requests/{reference}", headers=HTML).get_data(as_text=True)
    assert "Action enregistrée" in page and "Demande close" in page
    trail = dpo_client.get("/backoffice/audit", headers=HTML).get_data(as_text=True)
    assert trail.count(f">{reference}</a>") == 4  # received (by the API key), verified, extended, completed


def test_classify_then_execute_a_rectification_with_field_value_pairs(dpo_client, dsar_request):
    from flask import current_app

    seen = {}

    def executor(dsar_request_, body):
        seen.update(body)
        return {"note": "rectified"}

    hooks.DSAR_EXECUTORS.register(current_app, "rectification", executor)
    reference = dsar_request(type=None)
    assert _post(dpo_client, reference, "classify", type="rectification").status_code == 302
    _post(dpo_client, reference, "verify", method="in_person", note="Vu au guichet")
    response = _post(dpo_client, reference, "execute", **{
        "changes-0-field": "phone", "changes-0-value": "0102030405", "changes-1-field": "",
        "changes-1-value": "", "changes-2-field": "city", "changes-2-value": "Lyon"})
    assert response.status_code == 302
    assert seen == {"changes": {"phone": "0102030405", "city": "Lyon"}}
    made, events = _events(reference)
    assert made.type == "rectification" and made.status == "in_progress"
    assert [k for k, _ in events] == ["received", "classified", "verified", "executed"]


def test_a_rectification_without_changes_shows_the_workflow_error(dpo_client, dsar_request):
    reference = dsar_request(type="rectification")
    _post(dpo_client, reference, "verify", method="document", note="ok")
    response = _post(dpo_client, reference, "execute")
    assert response.status_code == 422
    assert "Une rectification indique les changements à faire." in response.get_data(as_text=True)


def test_erasure_and_rejection_need_the_confirmation_box(dpo_client, dsar_request):
    reference = dsar_request()
    _post(dpo_client, reference, "verify", method="document", note="ok")
    unconfirmed = _post(dpo_client, reference, "execute")
    assert unconfirmed.status_code == 422 and "Cochez la case" in unconfirmed.get_data(as_text=True)
    refused = _post(dpo_client, reference, "reject", ground="excessive", reason="Trop de demandes")
    assert refused.status_code == 422 and "Cochez la case" in refused.get_data(as_text=True)
    made, events = _events(reference)
    assert made.status == "verified" and len(events) == 2
    assert _post(dpo_client, reference, "execute", confirm="y").status_code == 302
    made, events = _events(reference)
    assert made.status == "in_progress" and made.purge_id
    assert _post(dpo_client, reference, "reject", ground="excessive", reason="Abus", confirm="y").status_code == 302
    made, _ = _events(reference)
    assert made.status == "rejected" and made.rejection_ground == "excessive"


def test_a_refused_action_says_why_and_changes_nothing(dpo_client, dsar_request):
    reference = dsar_request()
    response = _post(dpo_client, reference, "complete", summary="done")
    assert response.status_code == 409
    assert "elle ne peut pas être close" in html.unescape(response.get_data(as_text=True))
    bad = _post(dpo_client, reference, "verify", method="telepathy", note="")
    assert bad.status_code == 422
    assert _events(reference)[0].status == "awaiting_verification"


def test_withdraw(dpo_client, dsar_request):
    reference = dsar_request()
    assert _post(dpo_client, reference, "withdraw", note="Par téléphone").status_code == 302
    assert _events(reference)[0].status == "withdrawn"


def test_intake_of_a_request_received_by_phone(dpo_client):
    response = dpo_client.post("/backoffice/intake", headers=HTML, data={
        "channel": "phone", "received_at": "2027-02-27T10:30", "type": "objection", "full_name": "Alex Durand",
        "email": "", "account_id": "T-77", "message": "Ne plus recevoir de mesure d'audience", "locale": "fr"})
    assert response.status_code == 302
    reference = response.headers["Location"].rsplit("/", 1)[1]
    made, events = _events(reference)
    assert made.channel == "phone" and made.type == "objection" and made.account_id == "T-77"
    assert clock.utc(made.received_at) == dt.datetime(2027, 2, 27, 9, 30, tzinfo=dt.UTC)  # Paris time
    assert events == [("received", "dpo@bailleur.example.fr")]


def test_intake_errors_are_shown_by_field(dpo_client):
    response = dpo_client.post("/backoffice/intake", headers=HTML, data={
        "channel": "pigeon", "received_at": "2030-01-01T10:00", "full_name": ""})
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert 'id="err-channel"' in body and 'id="err-received_at"' in body and 'id="err-full_name"' in body


def test_proof_search_by_each_identifier_is_audited_without_the_subject_id(bo, dpo_client, api_key):
    from cookies.demo import load_demo_site

    load_demo_site()
    db.session.commit()
    client = bo.test_client()
    first = client.post("/v1/sites/espace-locataire/consents", json={"action": "refuse_all"}).get_json()
    client.post("/v1/sites/espace-locataire/consents", json={"action": "accept_all",
                                                              "visitor_id": first["visitor_id"]})
    client.post("/v1/accounts/T-9/visitors", json={"visitor_id": first["visitor_id"]},
                headers=api_key("accounts:write"))
    for kind, value, count in (("consent_id", first["consent_id"], 1), ("visitor_id", first["visitor_id"], 2),
                               ("account_id", "T-9", 2), ("account_id", "T-10", 0)):
        response = dpo_client.post("/backoffice/proofs", data={"kind": kind, "value": value}, headers=HTML)
        assert response.status_code == 200
        assert f"({count})" in response.get_data(as_text=True), kind
    assert dpo_client.post("/backoffice/proofs", data={"kind": "account_id", "value": "../x"},
                           headers=HTML).status_code == 422
    trail = dpo_client.get("/backoffice/audit", headers=HTML).get_data(as_text=True)
    assert trail.count("recherche de preuves") == 4
    assert first["visitor_id"] not in trail and "T-9" not in trail


def test_the_register_csv_is_the_dsar_register(dpo_client, dsar_request):
    reference = dsar_request()
    response = dpo_client.get("/backoffice/register.csv", headers=HTML)
    assert response.status_code == 200 and response.mimetype == "text/csv"
    lines = response.get_data(as_text=True).splitlines()
    assert lines[0].startswith("reference,type,status") and reference in lines[1]


def test_policy_diff_lists_added_removed_and_changed():
    from backoffice.services.policies import diff_policies

    old = {"categories": [{"key": "a", "label": {"fr": "A"}}], "cookies": [{"name": "x", "lifetime": "1"}],
           "texts": {"fr": {"title": "T"}}, "accept_validity_months": 13, "refuse_validity_months": 1,
           "implied_consent_on_continue": True}
    new = {"categories": [{"key": "a", "label": {"fr": "B"}}, {"key": "b"}], "cookies": [],
           "texts": {"fr": {"title": "T"}, "en": {"title": "E"}}, "accept_validity_months": 6,
           "refuse_validity_months": 1, "implied_consent_on_continue": False}
    got = [(c.section, c.item, c.change, c.field, c.before, c.after) for c in diff_policies(old, new)]
    assert got == [("categories", "a", "changed", "label.fr", "A", "B"), ("categories", "b", "added", None, None, None),
                   ("cookies", "x", "removed", None, None, None), ("texts", "en.title", "added", None, None, "E"),
                   ("settings", "accept_validity_months", "changed", None, 13, 6),
                   ("settings", "implied_consent_on_continue", "changed", None, True, False)]


def test_the_printable_proof_is_audited_and_has_print_styles(bo, dpo_client):
    from cookies.demo import load_demo_site

    load_demo_site()
    db.session.commit()
    consent_id = bo.test_client().post("/v1/sites/espace-locataire/consents",
                                       json={"action": "refuse_all"}).get_json()["consent_id"]
    page = dpo_client.get(f"/backoffice/proofs/{consent_id}", headers=HTML).get_data(as_text=True)
    assert "tout refusé" in page and 'class="no-print"' in page
    css = dpo_client.get("/backoffice/static/backoffice/backoffice.css").get_data(as_text=True)
    assert "@media print" in css
    trail = dpo_client.get("/backoffice/audit", headers=HTML).get_data(as_text=True)
    assert f"preuve {consent_id}" in trail and "preuve consultée" in trail
