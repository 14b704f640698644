"""The DPO back-office in a real browser (issue 5): sign in, take a request from received to
completed, an auditor cannot act, the lock after failures, sign-out when idle, the register paged
with the keyboard. Saves the README's screenshots of the dashboard and of a request page."""
from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest

from consent_service import clock
from consent_service.extensions import db

from .server import Service

pytestmark = pytest.mark.e2e

PASSWORD = "une phrase de passe assez longue"


@pytest.fixture(scope="module")
def office(tmp_path_factory, browser):
    """The service with two users and a few requests; the sign-in limit raised for the lock test."""
    server = Service(tmp_path_factory.mktemp("backoffice"), config={"BACKOFFICE_LOGIN_RATE_LIMIT": "200 per minute"})
    from backoffice.services import users
    from dsar import intake

    with server.app.app_context():
        for email, role in (("dpo@bailleur.example.fr", "dpo"), ("audit@bailleur.example.fr", "auditor"),
                            ("lock@bailleur.example.fr", "dpo"), ("idle@bailleur.example.fr", "dpo")):
            users.create_user(email, PASSWORD, role)
        now = clock.now()
        server.references = [intake.open_request(
            type=kind, channel=channel, actor="intake", full_name=name, email=email, account_id=None,
            received_at=now - dt.timedelta(days=days), notify_dpo=False).request.reference
            for kind, channel, name, email, days in (
                ("access", "post", "Camille Martin", "camille@example.fr", 3),
                ("erasure", "web", "Dominique Petit", "dominique@example.fr", 40),
                ("rectification", "phone", "Alex Durand", None, 12),
                (None, "email", "Sam Bernard", "sam@example.fr", 1))]
        db.session.commit()
    server.start()
    yield server
    server.stop()
    clock.set_now(None)


@pytest.fixture
def moved_clock():
    yield clock.set_now
    clock.set_now(None)


def sign_in(page, office, email, password=PASSWORD):
    page.goto(f"{office.base}/backoffice/login")
    page.get_by_label("Adresse e-mail").fill(email)
    page.get_by_label("Mot de passe").fill(password)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_load_state()


def test_an_anonymous_visitor_is_sent_to_sign_in(page, office):
    page.goto(f"{office.base}/backoffice/requests/{office.references[0]}")
    assert page.url == f"{office.base}/backoffice/login"
    assert page.get_by_role("heading", level=1).inner_text() == "Connexion à l'espace DPO"
    assert office.references[0] not in page.content()


def test_a_dpo_takes_a_request_from_received_to_completed(page, office, tmp_path):
    """Regenerate the README's screenshots with SCREENSHOT_DIR=docs/screenshots."""
    screenshots = Path(os.environ.get("SCREENSHOT_DIR") or tmp_path)
    reference = office.references[0]
    sign_in(page, office, "dpo@bailleur.example.fr")
    assert page.get_by_role("heading", level=1).inner_text() == "Tableau de bord"
    rows = page.locator("table").first.locator("tbody tr")
    assert rows.count() == 4
    assert office.references[1] in rows.first.inner_text() and "En retard" in rows.first.inner_text()
    screenshots.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(screenshots / "backoffice-dashboard.png"), full_page=True)
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.getAttribute('href')") == "#main"  # the skip link comes first

    page.get_by_role("link", name=reference).click()
    assert page.get_by_role("heading", level=1).inner_text().startswith(reference)
    verify = page.get_by_role("form", name="Vérifier l'identité")
    verify.get_by_label("Méthode").select_option("document")
    verify.get_by_label("Note").fill("Copie de la carte d'identité reçue avec le courrier.")
    verify.get_by_role("button", name="Marquer comme vérifiée").click()
    assert page.get_by_role("status").inner_text() == "Action enregistrée."
    assert "vérifiée" in page.locator("h1").inner_text()

    extend = page.get_by_role("form", name="Prolonger le délai (une fois, 3 mois)")
    extend.get_by_label("Motif").fill("Demande portant sur dix ans d'archives.")
    extend.get_by_role("button", name="Prolonger").click()
    assert page.get_by_role("status").inner_text() == "Action enregistrée."
    assert "(prolongée" in page.content()
    page.set_viewport_size({"width": 1280, "height": 1000})
    page.screenshot(path=str(screenshots / "backoffice-request.png"), full_page=True)

    complete = page.get_by_role("form", name="Clore la demande")
    complete.get_by_label("Résumé envoyé à la personne").fill("Copie de vos données envoyée par courrier.")
    complete.get_by_role("button", name="Clore").click()
    assert "traitée" in page.locator("h1").inner_text()
    timeline = page.locator("ol.timeline").inner_text()
    for kind in ("reçue", "vérifiée", "délai prolongé", "traitée"):
        assert kind in timeline
    assert timeline.count("dpo@bailleur.example.fr") == 3

    page.set_viewport_size({"width": 768, "height": 1024})  # a tablet: nothing wider than the screen
    page.goto(f"{office.base}/backoffice/")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_an_erasure_asks_for_confirmation(page, office):
    reference = office.references[1]
    sign_in(page, office, "dpo@bailleur.example.fr")
    page.goto(f"{office.base}/backoffice/requests/{reference}")
    reject = page.get_by_role("form", name="Refuser la demande")
    reject.get_by_label("Motif", exact=True).fill("Identité non établie.")
    reject.evaluate("form => form.noValidate = true")  # past the browser's own check: the server refuses too
    reject.get_by_role("button", name="Refuser la demande").click()
    assert "Cochez la case de confirmation" in page.content()
    assert "en attente de vérification" in page.locator("h1").inner_text()


def test_an_auditor_reads_but_cannot_act(page, office):
    reference = office.references[2]
    sign_in(page, office, "audit@bailleur.example.fr")
    page.goto(f"{office.base}/backoffice/requests/{reference}")
    assert page.get_by_role("heading", level=1).inner_text().startswith(reference)
    assert page.locator(f"form[action*='/requests/{reference}/']").count() == 0
    assert "Votre rôle ne permet que la consultation." in page.content()
    token = page.locator("input[name=csrf_token]").first.get_attribute("value")
    response = page.request.post(f"{office.base}/backoffice/requests/{reference}/verify",
                                 form={"method": "document", "note": "x", "csrf_token": token},
                                 headers={"Accept": "text/html"})
    assert response.status == 403
    page.goto(f"{office.base}/backoffice/intake")
    assert page.locator("h1").inner_text() == "Votre rôle ne permet que la consultation."


def test_five_failures_lock_the_account_for_fifteen_minutes(page, office, moved_clock):
    for _ in range(5):
        sign_in(page, office, "lock@bailleur.example.fr", "not the password at all")
        assert "Connexion impossible" in page.get_by_role("alert").inner_text()
    sign_in(page, office, "lock@bailleur.example.fr")  # the right password: still locked
    assert "Connexion impossible" in page.get_by_role("alert").inner_text()
    moved_clock(clock.now() + dt.timedelta(minutes=16))
    sign_in(page, office, "lock@bailleur.example.fr")
    assert page.get_by_role("heading", level=1).inner_text() == "Tableau de bord"


def test_idle_for_thirty_minutes_signs_out(page, office, moved_clock):
    sign_in(page, office, "idle@bailleur.example.fr")
    assert page.get_by_role("heading", level=1).inner_text() == "Tableau de bord"
    moved_clock(clock.now() + dt.timedelta(minutes=31))
    page.goto(f"{office.base}/backoffice/register")
    assert page.url == f"{office.base}/backoffice/login"
    assert "inactivité" in page.get_by_role("status").inner_text()


def test_english_is_one_click_away(page, office):
    sign_in(page, office, "dpo@bailleur.example.fr")
    page.get_by_role("link", name="English").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Dashboard"
    assert page.locator("html").get_attribute("lang") == "en"


def test_the_register_pages_with_the_keyboard(page, office):
    size = office.app.config["BACKOFFICE_PAGE_SIZE"]
    office.app.config["BACKOFFICE_PAGE_SIZE"] = 2
    try:
        sign_in(page, office, "dpo@bailleur.example.fr")
        page.goto(f"{office.base}/backoffice/register")
        pager = page.get_by_role("navigation", name="Pagination")
        assert pager.get_by_text("Page 1 sur").is_visible()
        assert pager.get_by_role("link", name="Précédent").count() == 0  # no dead link at the start
        first_rows = page.locator("a[href^='/backoffice/requests/']").all_inner_texts()
        pager.get_by_role("link", name="Suivant").focus()
        page.keyboard.press("Enter")
        page.wait_for_url("**/backoffice/register?page=2")
        assert page.get_by_role("navigation", name="Pagination").get_by_text("Page 2 sur").is_visible()
        second_rows = page.locator("a[href^='/backoffice/requests/']").all_inner_texts()
        assert len(first_rows) == 2 and second_rows and not set(first_rows) & set(second_rows)
    finally:
        office.app.config["BACKOFFICE_PAGE_SIZE"] = size  # the setting, not its absence: later pages read it


def test_the_statistics_page_prints_without_the_navigation(page, office, tmp_path):
    """The annual report's figures: on screen with the navigation, on paper without it."""
    sign_in(page, office, "audit@bailleur.example.fr")
    page.goto(f"{office.base}/backoffice/statistics")
    assert page.get_by_role("heading", level=1).inner_text().startswith("Statistiques des demandes")
    assert page.locator("#stat-received").inner_text() == str(len(office.references))
    screenshots = Path(os.environ.get("SCREENSHOT_DIR") or tmp_path)
    screenshots.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(screenshots / "backoffice-statistics.png"), full_page=True)
    page.emulate_media(media="print")
    assert not page.locator("nav.nav").is_visible() and not page.locator("form.no-print").is_visible()
    assert page.locator("#stat-received").is_visible()


def test_the_dpo_pages_fit_a_390_px_phone(browser, office):
    """No page wider than a phone: long tables scroll inside their own box, the rest wraps."""
    ctx = browser.new_context(viewport={"width": 390, "height": 844}, locale="fr-FR", is_mobile=True,
                              has_touch=True)
    ctx.set_default_timeout(5000)
    page = ctx.new_page()
    try:
        sign_in(page, office, "dpo@bailleur.example.fr")
        assert page.get_by_role("heading", level=1).inner_text() == "Tableau de bord"
        for path in ("/backoffice/", f"/backoffice/requests/{office.references[1]}", "/backoffice/register",
                     "/backoffice/statistics", "/backoffice/mail", "/backoffice/records", "/backoffice/intake"):
            page.goto(f"{office.base}{path}")
            overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
            assert overflow <= 0, (path, overflow)
        # The request page's actions stay within reach: the first action's button is on screen width.
        page.goto(f"{office.base}/backoffice/requests/{office.references[1]}")
        box = page.locator("form.card button[type=submit]").first.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 390
    finally:
        ctx.close()
