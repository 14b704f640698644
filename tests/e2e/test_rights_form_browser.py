"""The public rights form in Chromium: filled and sent with the keyboard alone, errors announced and
tied to their fields, readable without sideways scrolling on a 390 px phone, no script at all.
Regenerate the README's screenshots with SCREENSHOT_DIR=docs/screenshots."""
from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from consent_service.extensions import db

pytestmark = pytest.mark.e2e

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def phone(browser):
    ctx = browser.new_context(viewport=PHONE, locale="fr-FR", is_mobile=True, has_touch=True,
                              device_scale_factor=2)
    ctx.set_default_timeout(5000)
    yield ctx.new_page()
    ctx.close()


def _screens(tmp_path) -> Path:
    folder = Path(os.environ.get("SCREENSHOT_DIR") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _overflow(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")


def _cases(service) -> list:
    from dsar.models import DsarRequest

    with service.app.app_context():
        rows = db.session.execute(db.select(DsarRequest).order_by(DsarRequest.id)).scalars()
        return [(r.reference, r.type, r.channel, r.email, r.locale) for r in rows]


def _send(page, values: tuple[str, str, str], words: tuple[str, str, str]) -> None:
    """Choose a right, type an address and a name, send: ``values`` are (right, address, name),
    ``words`` the page's (address label, name label, button)."""
    right, email, name = values
    email_label, name_label, button = words
    page.get_by_label(right).check()
    page.get_by_label(email_label).fill(email)
    page.get_by_label(name_label).fill(name)
    page.get_by_role("button", name=button).click()
    page.wait_for_load_state()


def test_a_tenant_sends_a_request_with_the_keyboard_alone(page, service, tmp_path):
    before = len(_cases(service))
    page.goto(f"{service.base}/sites/espace-locataire/rights")
    assert page.evaluate("document.scripts.length") == 0
    page.keyboard.press("Tab")  # the language link
    page.keyboard.press("Tab")  # the first right of the group
    assert page.evaluate("document.activeElement.id") == "type-access"
    page.keyboard.press("ArrowDown")  # arrows move through a radio group and select
    page.keyboard.press("ArrowDown")
    assert page.evaluate("document.activeElement.id") == "type-erasure"
    assert page.is_checked("#type-erasure")
    for text in ("keyboard@example.fr", "Camille Clavier", "T-2001", "14/07/1985", "Tout effacer, merci."):
        page.keyboard.press("Tab")
        page.keyboard.type(text)
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Envoyer ma demande"  # the honeypot is skipped
    with page.expect_navigation():  # a key press, unlike a click, does not wait for the page it sends
        page.keyboard.press("Enter")
    assert page.get_by_role("heading", level=1).inner_text() == "Votre demande est enregistrée"
    reference, kind, channel, email, locale = _cases(service)[-1]
    assert len(_cases(service)) == before + 1
    assert (kind, channel, email, locale) == ("erasure", "web", "keyboard@example.fr", "fr")
    assert reference in page.locator(".reference").inner_text()
    # the day held together by no-break spaces (consent_service/i18n.py)
    assert re.search(r"au plus tard le (lundi|mardi|mercredi|jeudi|vendredi) \S+\xa0\S+\xa020\d\d\.",
                     page.locator(".due").inner_text())
    page.screenshot(path=str(_screens(tmp_path) / "rights-form-sent.png"), full_page=True)


def test_errors_are_announced_focused_and_tied_to_their_fields(page, service):
    before = len(_cases(service))
    page.goto(f"{service.base}/sites/espace-locataire/rights")
    page.get_by_label("Accéder à mes données").check()
    page.get_by_label("Votre adresse e-mail").fill("pas-une-adresse")
    page.get_by_role("button", name="Envoyer ma demande").click()
    page.wait_for_load_state()
    assert page.title().startswith("Erreur")
    alert = page.get_by_role("alert")
    assert "Le formulaire contient des erreurs" in alert.inner_text()
    assert page.evaluate("document.activeElement.id") == "email"  # the first field in error has the focus
    email = page.get_by_label("Votre adresse e-mail")
    assert email.get_attribute("aria-invalid") == "true"
    described = email.get_attribute("aria-describedby").split()
    assert "email-error" in described
    assert "Indiquez une adresse e-mail valide" in page.locator("#email-error").inner_text()
    assert page.get_by_label("Vos nom et prénom").get_attribute("aria-invalid") == "true"
    assert page.is_checked("#type-access") and email.input_value() == "pas-une-adresse"
    alert.get_by_role("link").first.click()
    assert page.evaluate("document.activeElement.id") == "email"
    assert len(_cases(service)) == before


def test_the_form_fits_a_390_px_phone(phone, service, tmp_path):
    phone.goto(f"{service.base}/sites/espace-locataire/rights")
    assert _overflow(phone) <= 0
    phone.screenshot(path=str(_screens(tmp_path) / "rights-form-phone.png"), full_page=True)
    phone.get_by_role("button", name="Envoyer ma demande").click()
    phone.wait_for_load_state()
    assert phone.get_by_role("alert").is_visible() and _overflow(phone) <= 0
    for field in ("email", "full_name", "account_id", "birth_date", "message"):
        box = phone.locator(f"#{field}").bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], field
        assert box["height"] >= 24, field  # a target a thumb can hit


def test_the_english_form_is_english_and_sends_an_english_case(page, service):
    page.goto(f"{service.base}/sites/espace-locataire/rights")
    page.get_by_role("link", name="English version").click()
    page.wait_for_load_state()
    assert page.evaluate("document.documentElement.lang") == "en"
    _send(page, ("Get my data in a reusable format", "english@example.fr", "Sam English"),
          ("Your e-mail address", "Your full name", "Send my request"))
    assert page.get_by_role("heading", level=1).inner_text() == "Your request is recorded"
    assert "We will answer at the latest on" in page.locator(".due").inner_text()
    assert _cases(service)[-1][1:] == ("portability", "web", "english@example.fr", "en")


def test_the_policy_page_leads_to_the_form(page, service):
    page.goto(f"{service.base}/sites/espace-locataire/cookies")
    page.locator("a.rights").click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", level=1).inner_text() == "Exercer vos droits sur vos données personnelles"


def test_the_answer_page_fits_a_390_px_phone(phone, service):
    phone.goto(f"{service.base}/sites/espace-locataire/rights")
    _send(phone, ("Effacer mes données", "telephone@example.fr", "Camille Téléphone"),
          ("Votre adresse e-mail", "Vos nom et prénom", "Envoyer ma demande"))
    assert phone.get_by_role("heading", level=1).inner_text() == "Votre demande est enregistrée"
    assert _overflow(phone) <= 0
    assert phone.locator(".reference").is_visible() and "au plus tard le" in phone.locator(".due").inner_text()
    assert phone.locator("ol.next-steps li").count() >= 3


def test_a_missing_choice_of_right_is_announced_on_the_first_right(page, service):
    page.goto(f"{service.base}/sites/espace-locataire/rights")
    page.get_by_label("Votre adresse e-mail").fill("choix@example.fr")
    page.get_by_label("Vos nom et prénom").fill("Camille Choix")
    page.get_by_role("button", name="Envoyer ma demande").click()
    page.wait_for_load_state()
    assert page.evaluate("document.activeElement.id") == "type-access"
    described = page.evaluate("document.activeElement.getAttribute('aria-describedby')").split()
    assert described == ["type-access-hint", "type-error"]
    assert "Choisissez le droit" in page.locator("#type-error").inner_text()
