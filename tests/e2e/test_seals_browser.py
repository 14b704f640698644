"""Sealed proofs in a real browser: a visitor decides on the demo page, the worker seals, the DPO
sees the seal and, in one click, has the worker verify every proof."""
from __future__ import annotations

import hashlib

import pytest

from consent_service.extensions import db
from cookies import pages
from proofs import bundles, jobs, sealer

from .server import Service

pytestmark = pytest.mark.e2e

PASSWORD = "une phrase de passe assez longue"


@pytest.fixture(scope="module")
def office(tmp_path_factory, browser):
    server = Service(tmp_path_factory.mktemp("seals"))
    from backoffice.services import users

    with server.app.app_context():
        users.create_user("dpo@bailleur.example.fr", PASSWORD, "dpo")
        db.session.commit()
    bundles.forget()
    server.start()
    yield server
    server.stop()


def test_a_decision_is_sealed_verified_in_one_click_and_names_its_banner(office, page):
    page.goto(f"{office.base}/demo")
    with page.expect_response(lambda r: r.url.endswith("/consents") and r.request.method == "POST") as answer:
        page.get_by_role("button", name="Tout accepter").click()
    consent_id = answer.value.json()["consent_id"]
    served = page.request.get(f"{office.base}/banner.js").body()
    with office.app.app_context():
        assert sealer.seal_pending() == 1
        db.session.commit()

    page.goto(f"{office.base}/backoffice/login")
    page.get_by_label("Adresse e-mail").fill("dpo@bailleur.example.fr")
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.get_by_role("link", name="Sceaux des preuves").click()
    assert page.get_by_role("heading", name="Dernier sceau").is_visible()
    assert page.locator("#verification").inner_text() == "Les preuves n'ont jamais été vérifiées."

    page.get_by_role("button", name="Vérifier les preuves").click()
    assert "le traitement de fond va la lancer" in page.locator("#waiting").inner_text()
    with office.app.app_context():
        assert jobs.verification_job() == 1
    page.get_by_role("link", name="Actualiser la page").click()
    assert page.locator("#verification").inner_text().startswith("Réussie")
    assert "1 sceau et 1 preuve vérifiés" in page.locator("#verification").inner_text()

    page.goto(f"{office.base}/backoffice/proofs/{consent_id}")
    shown = page.locator("dt:has-text('Empreinte du bandeau servi') + dd").inner_text()
    assert bundles.PLACEHOLDER.encode() not in served
    assert answer.value.request.post_data_json["banner"] == bundles.stamp(
        pages.BANNER_SOURCE.read_text(encoding="utf-8")).bundle_id
    assert shown == hashlib.sha256(served).hexdigest()
