"""The account page of the back-office in a real browser (issue 14): a DPO finds an account by
its id with the keyboard, reads its paperless status and history in words, records a change
received by phone; an auditor reads only. SCREENSHOT_DIR=docs/screenshots saves the page."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from consent_service.extensions import db
from preferences.catalogue import DEMO_PATH

from .server import Service

pytestmark = pytest.mark.e2e

PASSWORD = "une phrase de passe assez longue"


@pytest.fixture(scope="module")
def office(tmp_path_factory, browser):
    server = Service(tmp_path_factory.mktemp("preferences"), PREFERENCES_PATH=str(DEMO_PATH))
    from backoffice.services import users
    from preferences.demo import load_demo_preferences

    with server.app.app_context():
        users.create_user("dpo@bailleur.example.fr", PASSWORD, "dpo")
        users.create_user("audit@bailleur.example.fr", PASSWORD, "auditor")
        load_demo_preferences()
        db.session.commit()
    server.start()
    yield server
    server.stop()


def sign_in(page, office, email):
    page.goto(f"{office.base}/backoffice/login")
    page.get_by_label("Adresse e-mail").fill(email)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="Se connecter").click()


def find_account(page, account_id):
    with page.expect_navigation():
        page.get_by_role("link", name="Préférences des comptes").click()
    field = page.get_by_label("Identifiant du compte")
    field.focus()
    page.keyboard.type(account_id)
    with page.expect_navigation():
        page.keyboard.press("Enter")


def test_a_dpo_reads_an_account_and_records_a_phone_call(page, office, tmp_path):
    sign_in(page, office, "dpo@bailleur.example.fr")
    find_account(page, "A1002")
    assert "A1002" not in page.url
    content = page.locator("main").inner_text()
    assert "Retour au papier demandé : un dernier avis électronique le " in content
    assert "papier à partir du " in content
    history = page.locator("table tbody tr")
    assert history.count() == 4  # direct debit, paperless asked, themes, cancelled too late
    assert "Le portail, à la demande du locataire — demo-portal" in history.first.inner_text()
    screenshots = Path(os.environ.get("SCREENSHOT_DIR") or tmp_path)
    screenshots.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(screenshots / "backoffice-preferences.png"), full_page=True)

    page.get_by_label("Demande reçue par", exact=True).select_option("phone")
    page.get_by_label("Enquêtes de satisfaction").check()
    page.get_by_label("Note (facultative, ex. : courrier du 12 mars)").fill("Appel du locataire")
    with page.expect_navigation():
        page.get_by_role("button", name="Enregistrer").click()
    assert "Changements enregistrés : 1." in page.locator(".notice").inner_text()
    newest = page.locator("table tbody tr").first.inner_text()
    assert "dpo@bailleur.example.fr" in newest and "Téléphone" in newest
    assert "Enquêtes de satisfaction : activé" in newest
    assert page.get_by_label("Alertes de sécurité (obligatoire)").is_disabled()


def test_an_auditor_reads_but_cannot_record(page, office):
    sign_in(page, office, "audit@bailleur.example.fr")
    find_account(page, "A1003")
    content = page.locator("main").inner_text()
    assert "Avis électroniques demandés, pas encore en place" in content
    assert "Lecture seule" in content
    assert page.get_by_role("button", name="Enregistrer").count() == 0
