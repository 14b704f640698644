"""The back-office's seal page: the latest seal, the last verification, « Vérifier les preuves »."""
from __future__ import annotations

import hashlib
import html as markup

import sqlalchemy as sa

from cookies import pages
from proofs import bundles, jobs
from proofs.models import ProofVerification

from ..backoffice.conftest import HTML
from ..cookies.helpers import decide, make_site
from .conftest import execute, seal


def _page(client) -> str:
    response = client.get("/backoffice/seals", headers=HTML)
    assert response.status_code == 200
    return markup.unescape(response.get_data(as_text=True))


def _decisions(bo, api_key, count=3):
    client = bo.test_client()
    site = make_site(client, api_key("sites:admin"))
    return [decide(client, site).get_json()["consent_id"] for _ in range(count)]


def test_an_anonymous_visitor_is_sent_to_sign_in(bo):
    response = bo.test_client().get("/backoffice/seals", headers=HTML)
    assert response.status_code == 302 and "/backoffice/login" in response.headers["Location"]


def test_before_any_seal_the_page_says_so(dpo_client):
    html = _page(dpo_client)
    assert "Aucun sceau pour l'instant" in html and "jamais été vérifiées" in html
    assert "Sceaux des preuves" in html


def test_the_latest_seal_its_time_in_words_and_its_hash(dpo_client, bo, api_key):
    _decisions(bo, api_key)
    seal()
    latest = bo.extensions["sqlalchemy"].session.execute(sa.text("SELECT hash FROM seals")).scalar_one()
    html = _page(dpo_client)
    assert latest in html and "1er\u00a0mars\u00a02027 à\u00a010\u00a0h\u00a000" in html
    assert "non configuré" in html  # no SEAL_JOURNAL
    english = dpo_client.get("/backoffice/seals?lang=en", headers=HTML).get_data(as_text=True)
    assert "Latest seal" in english and latest in english


def test_verifying_is_one_click_run_by_the_worker_and_its_result_shown(dpo_client, bo, api_key):
    _decisions(bo, api_key)
    seal()
    response = dpo_client.post("/backoffice/seals/verify", headers=HTML)
    assert response.status_code == 303
    assert "le traitement de fond va la lancer" in _page(dpo_client)
    dpo_client.post("/backoffice/seals/verify", headers=HTML)  # a second click queues nothing more
    assert jobs.verification_job() == 1
    assert jobs.verification_job() == 0
    html = _page(dpo_client)
    assert "Réussie" in html and "1 sceau et 3 preuves vérifiés" in html
    trail = markup.unescape(dpo_client.get("/backoffice/audit", headers=HTML).get_data(as_text=True))
    assert "vérification des preuves demandée" in trail


def test_a_failed_verification_names_the_first_mismatch_in_words(dpo_client, bo, api_key):
    ids = _decisions(bo, api_key)
    seal()
    execute("DELETE FROM consent_records WHERE consent_id = :id", id=ids[1])
    dpo_client.post("/backoffice/seals/verify", headers=HTML)
    jobs.verification_job()
    html = _page(dpo_client)
    assert "Échec" in html and f"l'enregistrement {ids[1]} a été supprimé" in html
    run = bo.extensions["sqlalchemy"].session.execute(sa.select(ProofVerification)).scalar_one()
    assert (run.status, run.requested_by) == ("failed", "dpo@bailleur.example.fr")


def test_an_auditor_sees_the_seals_but_cannot_ask_for_a_verification(auditor_client):
    html = _page(auditor_client)
    assert "Vérifier les preuves" not in html
    assert auditor_client.post("/backoffice/seals/verify", headers=HTML).status_code == 403


def test_the_proof_page_shows_the_banner_hash(dpo_client, bo, api_key):
    consent_id = _decisions(bo, api_key, 1)[0]
    execute("UPDATE consent_records SET banner_hash = :h WHERE consent_id = :id", h="ab" * 32, id=consent_id)
    html = dpo_client.get(f"/backoffice/proofs/{consent_id}", headers=HTML).get_data(as_text=True)
    assert "Empreinte du bandeau servi" in html and "ab" * 32 in html


def test_the_proof_page_links_to_the_banner_exactly_as_served(dpo_client, bo, api_key):
    visitor = bo.test_client()
    site = make_site(visitor, api_key("sites:admin"))
    bundles.forget()
    served = visitor.get("/banner.js").data
    banner_hash = hashlib.sha256(served).hexdigest()
    bundle_id = bundles.stamp(pages.BANNER_SOURCE.read_text(encoding="utf-8")).bundle_id
    consent_id = decide(visitor, site, banner=bundle_id).get_json()["consent_id"]
    html = dpo_client.get(f"/backoffice/proofs/{consent_id}", headers=HTML).get_data(as_text=True)
    assert f"/backoffice/bundles/{banner_hash}" in html
    download = dpo_client.get(f"/backoffice/bundles/{banner_hash}", headers=HTML)
    assert download.data == served and "attachment" in download.headers["Content-Disposition"]
    assert dpo_client.get(f"/backoffice/bundles/{'0' * 64}", headers=HTML).status_code == 404
    assert bo.test_client().get(f"/backoffice/bundles/{banner_hash}", headers=HTML).status_code == 302
