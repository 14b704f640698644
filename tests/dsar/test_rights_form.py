"""The public rights form at /sites/{site}/rights: the same intake, limits and e-mails as the API,
in French and English, with errors tied to their fields, CSRF and a honeypot."""
from __future__ import annotations

import datetime as dt
import html
import re

import pytest

from consent_service import clock
from consent_service.extensions import db
from dsar.models import DsarRequest
from tests.cookies.helpers import make_site

from .helpers import outbox

NOON = dt.datetime(2027, 1, 31, 11, 0, tzinfo=dt.UTC)  # a Sunday; due Monday 1 March 2027
PATH = "/sites/espace-locataire/rights"
GOOD = {"type": "access", "email": "Locataire@Example.fr", "full_name": "Camille Martin", "account_id": "",
        "birth_date": "", "message": "Je souhaite une copie de mes données."}


@pytest.fixture
def site(client, api_key):
    return make_site(client, api_key("sites:admin"))


def _token(client, path=PATH) -> str:
    page = client.get(path)
    assert page.status_code == 200
    return re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True)).group(1)


def post(client, path=PATH, token=None, **changes):
    body = {**GOOD, **changes, "csrf_token": _token(client, path) if token is None else token}
    return client.post(path, data=body)


def requests() -> list[DsarRequest]:
    return list(db.session.execute(db.select(DsarRequest)).scalars())


def test_the_form_page_labels_every_field_needs_no_script_and_is_not_cached(client, site):
    response = client.get(PATH)
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and '<html lang="fr">' in body
    assert "Exercer vos droits sur vos données personnelles" in body and "<script" not in body
    for field in ("email", "full_name", "account_id", "birth_date", "message"):
        assert f'<label for="{field}">' in body and f'id="{field}" name="{field}"' in body
        assert f'aria-describedby="{field}-hint"' in body or field == "full_name"
    for right in ("access", "rectification", "erasure", "restriction", "objection", "portability"):
        assert f'<label for="type-{right}">' in body
    assert "<legend>Quel droit souhaitez-vous exercer ?</legend>" in body
    assert 'name="website" tabindex="-1"' in body and 'aria-hidden="true"' in body
    assert response.headers["Cache-Control"] == "no-store" and "script-src" not in response.headers[
        "Content-Security-Policy"] and "default-src 'none'" in response.headers["Content-Security-Policy"]
    cookie = response.headers["Set-Cookie"]
    assert "rights_csrf=" in cookie and "HttpOnly" in cookie and "SameSite=Strict" in cookie
    assert f"Path={PATH}" in cookie
    assert 'href="/sites/espace-locataire/cookies"' in body


def test_the_form_speaks_english_when_asked(client, site):
    body = client.get(PATH + "?lang=en").get_data(as_text=True)
    assert '<html lang="en">' in body and "Exercise your rights over your personal data" in body
    assert "Your e-mail address" in body and 'action="/sites/espace-locataire/rights?lang=en"' in body
    assert "Adresse" not in body and "droit" not in body


def test_an_unknown_site_is_a_french_404_page(client, site):
    response = client.get("/sites/nowhere/rights")
    assert response.status_code == 404 and "Page introuvable" in response.get_data(as_text=True)
    assert client.post("/sites/nowhere/rights", data=GOOD).status_code == 404


def test_a_submission_opens_the_case_and_answers_its_reference_and_due_date_in_words(client, site):
    clock.set_now(NOON)
    response = post(client)
    body = html.unescape(response.get_data(as_text=True))
    assert response.status_code == 200, body
    case, = requests()
    assert case.channel == "web" and case.type == "access" and case.locale == "fr"
    assert case.email == "locataire@example.fr" and case.status == "awaiting_verification"
    assert case.reference in body and "Nous vous répondrons au plus tard le lundi 1er\u00a0mars\u00a02027." in body
    assert "Et maintenant ?" in body and "locataire@example.fr" in body and "CNIL" in body
    # The same e-mails as the API: the acknowledgement with its link, the DPO's notice.
    to_subject, = outbox("locataire@example.fr")
    assert case.reference in to_subject.subject and "/dsar/verify?token=" in to_subject.text
    notice, = outbox("dpo@localhost")
    assert case.reference in notice.text and "Camille" not in notice.text


def test_an_english_submission_is_an_english_case(client, site):
    clock.set_now(NOON)
    response = post(client, PATH + "?lang=en")
    body = html.unescape(response.get_data(as_text=True))
    assert response.status_code == 200 and "We will answer at the latest on Monday 1 March 2027." in body
    assert requests()[0].locale == "en" and "confirm" in outbox("locataire@example.fr")[0].subject


def test_a_birth_date_is_read_day_first_and_an_account_id_kept(client, site):
    assert post(client, birth_date="14/07/1985", account_id="T-1001").status_code == 200
    case, = requests()
    assert case.birth_date == dt.date(1985, 7, 14) and case.account_id == "T-1001"


@pytest.mark.parametrize(("changes", "field", "message"), [
    ({"email": "not-an-address"}, "email", "Indiquez une adresse e-mail valide"),
    ({"email": ""}, "email", "Indiquez une adresse e-mail valide"),
    ({"type": ""}, "type", "Choisissez le droit que vous souhaitez exercer."),
    ({"type": "deletion"}, "type", "Choisissez le droit que vous souhaitez exercer."),
    ({"full_name": "   "}, "full_name", "Indiquez vos nom et prénom"),
    ({"full_name": "x" * 201}, "full_name", "Indiquez vos nom et prénom"),
    ({"birth_date": "31/02/1980"}, "birth_date", "Indiquez une date de naissance réelle"),
    ({"birth_date": "01/01/2999"}, "birth_date", "Indiquez une date de naissance réelle"),
    ({"birth_date": "hier"}, "birth_date", "Indiquez une date de naissance réelle"),
    ({"account_id": "../etc"}, "account_id", "Le numéro de compte ne contient que"),
    ({"message": "x" * 5001}, "message", "5 000 caractères au plus"),
])
def test_bad_input_is_422_with_the_error_tied_to_its_field_and_opens_nothing(client, site, changes, field, message):
    response = post(client, **changes)
    body = html.unescape(response.get_data(as_text=True))
    assert response.status_code == 422
    assert re.search(rf'id="{field}-error">[^<]*{re.escape(message)}', body)
    assert "Le formulaire contient des erreurs" in body and 'role="alert"' in body
    assert body.count('aria-invalid="true"') == (0 if field == "type" else 1)
    if field == "type":
        assert 'aria-describedby="type-error"' in body and 'href="#type-access"' in body
        for right in ("access", "rectification", "erasure", "restriction", "objection", "portability"):
            assert f'id="type-{right}" value="{right}" aria-describedby="type-{right}-hint type-error"' in body
    else:
        tied = rf'id="{field}"[^>]*aria-describedby="[^"]*{field}-error"[^>]*aria-invalid="true"[^>]* autofocus'
        assert re.search(tied, body), body
        assert f'href="#{field}"' in body
    assert "<title>Erreur" in body
    # What was typed comes back (the address, escaped, in its field).
    if field != "email":
        assert 'value="Locataire@Example.fr"' in body
    assert requests() == [] and outbox() == []


def test_an_english_error_is_in_english(client, site):
    response = post(client, PATH + "?lang=en", email="nope")
    body = html.unescape(response.get_data(as_text=True))
    assert response.status_code == 422 and "Enter a valid e-mail address" in body and "Indiquez" not in body


def test_a_post_without_the_page_token_opens_nothing(client, site):
    assert post(client, token="").status_code == 400
    assert post(client, token="forged.token").status_code == 400
    assert requests() == []


def test_a_post_from_another_page_load_or_browser_opens_nothing(client, site, app):
    token = _token(client)
    stranger = app.test_client()
    stranger.get(PATH)  # its own cookie, which does not match the token
    response = stranger.post(PATH, data={**GOOD, "csrf_token": token})
    assert response.status_code == 400
    assert "Le formulaire a expiré" in html.unescape(response.get_data(as_text=True))
    assert requests() == []


def test_a_page_token_expires_after_two_hours(client, site):
    clock.set_now(NOON)
    token = _token(client)
    clock.set_now(NOON + dt.timedelta(hours=1, minutes=59))
    assert post(client, token=token).status_code == 200
    clock.set_now(NOON)
    token = _token(client)
    clock.set_now(NOON + dt.timedelta(hours=2, minutes=1))
    assert post(client, token=token, type="erasure").status_code == 400
    assert len(requests()) == 1


def test_a_filled_honeypot_opens_nothing(client, site):
    response = post(client, website="http://spam.example")
    assert response.status_code == 400 and requests() == [] and outbox() == []


def test_a_double_submit_opens_one_case(client, site):
    first = html.unescape(post(client).get_data(as_text=True))
    second = html.unescape(post(client).get_data(as_text=True))
    case, = requests()
    assert case.reference in first and case.reference in second


def test_the_address_limit_applies_to_the_form(app_with, api_key):
    app = app_with(DSAR_EMAIL_RATE_LIMIT="2 per hour")
    client = app.test_client()
    make_site(client, api_key("sites:admin"))
    assert post(client, type="access").status_code == 200
    assert post(client, type="erasure").status_code == 200
    refused = post(client, type="objection")
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0
    assert "Trop de demandes" in html.unescape(refused.get_data(as_text=True))
    assert post(client, type="objection", email="autre@example.fr").status_code == 200
    assert len(requests()) == 3


def test_an_invalid_form_does_not_use_up_the_address_limit(app_with, api_key):
    app = app_with(DSAR_EMAIL_RATE_LIMIT="1 per hour")
    client = app.test_client()
    make_site(client, api_key("sites:admin"))
    assert post(client, full_name="").status_code == 422
    assert post(client).status_code == 200


def test_the_client_address_limit_applies_to_the_form(app_with, api_key):
    app = app_with(DSAR_RATE_LIMIT="2 per hour")
    client = app.test_client()
    make_site(client, api_key("sites:admin"))
    assert post(client, email="a@example.fr").status_code == 200
    assert post(client, email="b@example.fr", full_name="").status_code == 422
    assert post(client, email="c@example.fr").status_code == 429
    assert len(requests()) == 1


def test_the_policy_and_demo_pages_link_to_the_form(client, site):
    policy = client.get("/sites/espace-locataire/cookies").get_data(as_text=True)
    assert 'href="/sites/espace-locataire/rights"' in policy
    english = client.get("/sites/espace-locataire/cookies?lang=en").get_data(as_text=True)
    assert 'href="/sites/espace-locataire/rights?lang=en"' in english
    demo = client.get("/demo").get_data(as_text=True)
    assert 'href="/sites/espace-locataire/rights"' in demo


def test_the_form_and_the_api_share_one_allowance(app_with, api_key):
    app = app_with(DSAR_RATE_LIMIT="2 per hour", DSAR_EMAIL_RATE_LIMIT="off")
    client = app.test_client()
    make_site(client, api_key("sites:admin"))
    api = {"type": "access", "email": "api@example.fr", "full_name": "Par l'API", "locale": "fr"}
    assert client.post("/v1/dsar/requests", json=api).status_code == 202
    assert post(client, email="form@example.fr").status_code == 200
    assert client.post("/v1/dsar/requests", json={**api, "type": "erasure"}).status_code == 429
    assert post(client, email="form2@example.fr").status_code == 429


def test_an_address_used_up_by_the_api_is_used_up_on_the_form(app_with, api_key):
    app = app_with(DSAR_EMAIL_RATE_LIMIT="1 per hour")
    client = app.test_client()
    make_site(client, api_key("sites:admin"))
    assert client.post("/v1/dsar/requests", json={"type": "access", "email": "Locataire@Example.fr",
                                                  "full_name": "X", "locale": "fr"}).status_code == 202
    assert post(client, type="erasure").status_code == 429


def test_every_public_page_a_tenant_reads_speaks_french_then_english(client, site):
    """The form, its errors, its answer, the missing-site page and each state of the e-mailed
    link's page, checked like the back-office's pages (no code word, no ISO date, no sentence of
    the other language)."""
    from tests.backoffice.test_wording import check_english, check_french

    from .helpers import verify_link

    clock.set_now(NOON)
    for lang, check, query in (("fr", check_french, ""), ("en", check_english, "?lang=en")):
        path = PATH + query
        check(client.get(path).get_data(as_text=True), f"{lang} form")
        check(post(client, path, email="nope", birth_date="31/02/1980").get_data(as_text=True), f"{lang} errors")
        check(post(client, path, token="forged").get_data(as_text=True), f"{lang} expired form")
        check(client.get("/sites/nowhere/rights" + query).get_data(as_text=True), f"{lang} no such site")
        answer = post(client, path, email=f"{lang}@example.fr")
        assert answer.status_code == 200
        check(answer.get_data(as_text=True), f"{lang} answer")
        link = verify_link(outbox(f"{lang}@example.fr")[0])
        check(client.get(link).get_data(as_text=True), f"{lang} confirm page")
        token = link.split("token=", 1)[1]
        check(client.post("/dsar/verify", data={"token": token}).get_data(as_text=True), f"{lang} confirmed")
        check(client.post("/dsar/verify", data={"token": token}).get_data(as_text=True), f"{lang} used link")
        check(client.get(link[:-4] + "abcd" + query.replace("?", "&")).get_data(as_text=True), f"{lang} broken link")
    clock.set_now(NOON + dt.timedelta(days=8))
    for lang, check in (("fr", check_french), ("en", check_english)):
        check(client.get(verify_link(outbox(f"{lang}@example.fr")[0]) + f"&lang={lang}").get_data(as_text=True),
              f"{lang} expired link")


def test_a_link_cut_short_is_explained_in_both_languages(client):
    cut = html.unescape(client.get("/dsar/verify?token=eyJyIjoiRFNBUi").get_data(as_text=True))
    assert "Ce lien n'est pas valide" in cut and '<div lang="en"><h2>This link is not valid</h2>' in cut
    english = html.unescape(client.get("/dsar/verify?token=eyJyIjoiRFNBUi&lang=en").get_data(as_text=True))
    assert "This link is not valid" in english and "Ce lien" not in english
    french = html.unescape(client.get("/dsar/verify?token=eyJyIjoiRFNBUi&lang=fr").get_data(as_text=True))
    assert "Ce lien n'est pas valide" in french and "This link" not in french
