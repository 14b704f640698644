"""The export's summary.html: the tenant's data itself in tables with human labels (amounts in
euros, dates in words, codes in words), then the Article 15 information, in the request's
language, without the service's internal names."""
from __future__ import annotations

import html
import io
import os
import re
import zipfile
from pathlib import Path

import pytest

from consent_service import hooks
from consent_service.extensions import db

from .conftest import fake_request
from .helpers import consent_for

INTERNAL = ("consent-service", "visitor_links", "consent_records", "account_processing", "dsar_requests",
            "CONSENT_PROOF_RETENTION_MONTHS", "amount_cents", "account_id", "accept_all", "awaiting_verification",
            "data_exports", "preference_changes")


def summary_of(app, client, locale="fr", **request) -> str:
    result = hooks.DSAR_EXECUTORS.get("access")(fake_request("access", locale=locale, **request), {})
    db.session.commit()
    token = result["export_url"].rsplit("/", 1)[1]
    archive = zipfile.ZipFile(io.BytesIO(client.get(f"/dsar/exports/{token}").data))
    assert {"summary.html", "article15.json", "data/portal/payments.json"} <= set(archive.namelist())
    return archive.read("summary.html").decode()


def visible(page: str) -> str:
    page = re.sub(r"(?s)<(style|title)\b.*?</\1>", " ", page)
    return html.unescape(re.sub(r"<[^>]+>", " ", page))


def test_the_summary_shows_the_data_itself_with_labels_euros_and_dates_in_words(app, client, api_key):
    consent_for(client, api_key, "A1001")
    page = summary_of(app, client)
    text = visible(page)
    assert "Vos données personnelles" in text and "DSAR-2027-TESTTEST" in text
    assert "Camille Martin" in text and "camille.martin@example.fr" in text  # the data, not pointers to it
    assert "850,00\u00a0€" in text and "85000" not in text  # amounts in euros
    assert "12\u00a0avril\u00a01985" in text and "1985-04-12" not in text  # dates in words
    assert "Vos choix sur les cookies (preuves)" in text and "tout accepté" in text
    assert "Navigateurs reliés à votre compte" in text and "Numéro de compte" in text
    assert 'href="files/documents-files/bail.pdf"' in page  # the listed files open from the page
    assert "Pourquoi (finalité)" in text and "Rent receipts" in text and "Lease contract" in text
    assert "Vos droits" in text and "CNIL" in text and "3 place de Fontenoy" in text
    assert "data/portal/payments.json" in text  # the portable copy is named


def test_no_internal_name_leaks_into_the_summary(app, client, api_key):
    consent_for(client, api_key, "A1001")
    text = visible(summary_of(app, client))
    leaks = [name for name in INTERNAL if re.search(rf"(?<![/\w-]){re.escape(name)}(?![\w-]*\.json)", text)]
    assert leaks == []
    assert not re.findall(r"\b[a-z]+_[a-z_]+\b", re.sub(r"\S+\.json|\S+\.pdf", " ", text))


def test_the_english_summary_is_english(app, client, api_key):
    consent_for(client, api_key, "A1001")
    text = visible(summary_of(app, client, locale="en"))
    assert "Your personal data" in text and "€850.00" in text and "12 April 1985" in text
    assert "Your cookie choices (proofs)" in text and "accepted all" in text and "Why (purpose)" in text
    assert "Vos données" not in text and "Pourquoi" not in text


def test_a_table_longer_than_the_preview_says_where_the_rest_is(app, client, monkeypatch):
    from datamap import summary

    monkeypatch.setattr(summary, "PREVIEW_ROWS", 1)
    text = visible(summary_of(app, client))
    assert "Seuls les 1 premiers éléments sont affichés ici ; le fichier data/portal/payments.json les contient " \
           "tous." in text


def test_the_summary_fits_a_390_px_phone_in_chromium(app, client, api_key, portal, browser, tmp_path):
    """Opened from the unzipped export, as a tenant would, with a data map that names its tables
    and columns as the demo's does. SCREENSHOT_DIR=docs/screenshots keeps its picture. The chromium
    is the session's (``browser``): a Playwright of its own would fail after the e2e tests."""
    from datamap.loader import load

    portal.write_map(_labelled_map(portal))
    app.extensions["datamap"] = load(str(portal.map_path))
    consent_for(client, api_key, "A1001")
    path = tmp_path / "summary.html"
    path.write_text(summary_of(app, client), encoding="utf-8")
    screenshots = Path(os.environ.get("SCREENSHOT_DIR") or tmp_path)
    context = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=2)
    try:
        page = context.new_page()
        page.goto(path.as_uri())
        overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 0
        label = page.locator("td[data-label]").first
        assert page.evaluate("(el) => getComputedStyle(el, '::before').content", label.element_handle()) != "none"
        assert page.get_by_role("heading", name="Vos données personnelles").is_visible()
        screenshots.mkdir(parents=True, exist_ok=True)
        page.locator("#data-3").scroll_into_view_if_needed()
        page.screenshot(path=str(screenshots / "export-summary-phone.png"), full_page=False)
        page.set_viewport_size({"width": 1280, "height": 900})
        page.screenshot(path=str(screenshots / "export-summary.png"), full_page=False)
    finally:
        context.close()


LABELS = {
    "      - name: payments\n": '      - name: payments\n        label: {fr: "Mes paiements", en: "My payments"}\n'
                                '        columns: {paid_on: {fr: "Payé le", en: "Paid on"}, amount_cents: '
                                '{fr: "Montant", en: "Amount"}, payer_name: "Payeur / Payer", iban: IBAN}\n',
    "      - name: leases\n": '      - name: leases\n        label: {fr: "Mon bail", en: "My lease"}\n'
                              '        columns: {address: {fr: "Adresse", en: "Address"}, start_date: '
                              '{fr: "Début du bail", en: "Lease start"}}\n',
    "    kind: files\n": '    kind: files\n    label: {fr: "Mes documents", en: "My documents"}\n',
}


def _labelled_map(portal) -> str:
    from .conftest import DATAMAP

    text = DATAMAP.format(url=portal.url, root=portal.root)
    for anchor, added in LABELS.items():
        text = text.replace(anchor, added, 1)
    return text


def test_the_data_map_labels_name_tables_and_columns(app, client, portal):
    from datamap.loader import load

    portal.write_map(_labelled_map(portal))
    app.extensions["datamap"] = load(str(portal.map_path))
    text = visible(summary_of(app, client))
    assert "Mes paiements" in text and "Montant" in text and "Payé le" in text and "Payeur / Payer" in text
    assert "Mes documents" in text and "Amount cents" not in text
    english = visible(summary_of(app, client, locale="en"))
    assert "My payments" in english and "Amount" in english and "Paid on" in english


def test_bad_labels_are_named_problems_of_the_data_map(app, portal):
    from datamap.loader import DataMapError, load

    good = _labelled_map(portal)
    columns_line = next(line for line in good.splitlines() if line.strip().startswith("columns: {paid_on"))
    for old, bad in (('label: {fr: "Mes paiements", en: "My payments"}', "label: 12"),
                     ('label: {fr: "Mes paiements", en: "My payments"}', 'label: {de: "Zahlungen"}'),
                     (columns_line.strip(), "columns: [paid_on]"), (columns_line.strip(), 'columns: {nowhere: "X"}')):
        portal.write_map(good.replace(old, bad))
        with pytest.raises(DataMapError) as failure:
            load(str(portal.map_path))
        assert "payments" in str(failure.value), bad


def test_an_expired_or_broken_export_link_explains_itself_in_french_and_english(app, client):
    import datetime as dt

    from consent_service import clock

    result = hooks.DSAR_EXECUTORS.get("access")(fake_request("access"), {})
    db.session.commit()
    token = result["export_url"].rsplit("/", 1)[1]
    broken = client.get(f"/dsar/exports/{token[:-3]}xyz")
    assert broken.status_code == 404 and "Ce lien n'est pas valide" in broken.get_data(as_text=True)
    clock.set_now(clock.now() + dt.timedelta(days=8))
    expired = client.get(f"/dsar/exports/{token}")
    text = html.unescape(expired.get_data(as_text=True))
    assert expired.status_code == 410 and "Ce lien a expiré" in text and "This link has expired" in text
    assert "dpo@" in text and expired.headers["Cache-Control"] == "no-store"


def test_every_table_has_its_article_15_information_then_the_rights_and_the_cnil(app, client, api_key):
    consent_for(client, api_key, "A1001")
    page = summary_of(app, client)
    blocks = len(re.findall(r'<section class="block" id="data-\d+"', page))
    text = visible(page)
    assert blocks >= 4
    for heading in ("Pourquoi (finalité)", "Sur quelle base légale", "Qui les reçoit",
                    "Combien de temps nous les gardons", "D'où elles viennent"):
        assert text.count(heading) == blocks, heading
    rights = visible(re.search(r'(?s)<section id="rights".*?</section>', page).group(0))
    assert "Vos droits" in rights and "Réclamation" in rights and "CNIL" in rights and "recours" in rights
    assert "article 22 du RGPD" in text
