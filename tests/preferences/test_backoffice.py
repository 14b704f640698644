"""The account page of the back-office: search by account id (never in a URL), preferences,
paperless status and dates in words, history; a DPO records a postal change, an auditor reads."""
from __future__ import annotations

import re

import pytest

from backoffice.models import AuditEntry, BackofficeUser
from consent_service import clock
from consent_service.extensions import db
from preferences import services

from ..backoffice.conftest import HTML, _hash, csrf_token, sign_in
from ..backoffice.test_wording import check_english, check_french
from .helpers import Portal


@pytest.fixture
def bo(app):
    app.config["WTF_CSRF_ENABLED"] = False
    app.config["BACKOFFICE_LOGIN_RATE_LIMIT"] = "off"
    return app


def _client(bo, email, role):
    db.session.add(BackofficeUser(email=email, password_hash=_hash("correct horse battery staple"), role=role,
                                  failed_logins=0, created_at=clock.now()))
    db.session.commit()
    client = bo.test_client()
    assert sign_in(client, email, "correct horse battery staple").status_code == 302
    return client


@pytest.fixture
def dpo(bo):
    return _client(bo, "dpo@bailleur.example.fr", "dpo")


@pytest.fixture
def auditor(bo):
    return _client(bo, "auditrice@bailleur.example.fr", "auditor")


@pytest.fixture
def tenant(client, writer):
    """A1001 pays by direct debit and asked for paperless notices on Friday 23 April 2027."""
    portal = Portal(client, writer)
    portal.direct_debit(True)
    portal.paperless("2027-05-10")
    portal.patch({"themes": {"building_works": True}})
    return portal


def open_account(client, account_id="A1001"):
    response = client.post("/backoffice/accounts", data={"account_id": account_id}, headers=HTML)
    assert response.status_code == 302 and account_id not in response.headers["Location"]
    return client.get("/backoffice/accounts", headers=HTML)


def shown_version(client) -> str:
    """The preferences' version the page's form carries (sent back with the DPO's change)."""
    page = client.get("/backoffice/accounts", headers=HTML).get_data(as_text=True)
    return re.search(r'<input type="hidden" name="version" value="(\d+)">', page).group(1)


def test_the_page_shows_preferences_paperless_dates_in_words_and_history(dpo, tenant):
    page = open_account(dpo)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Travaux dans ma résidence : <strong>activé</strong>" in html
    assert "Avis électroniques demandés, pas encore en place (à partir du 10\u00a0mai\u00a02027)" in html
    assert "Le portail, à la demande du locataire — portal-prod" in html
    assert "23\u00a0avril\u00a02027 à\u00a010\u00a0h\u00a000" in html
    assert "Prochaine échéance connue</dt><dd>10\u00a0mai\u00a02027" in html
    assert "2027-05-10" not in html.replace('value="2027-05-10"', "")  # no code date leaks into the words


def test_the_page_is_in_english_when_asked(dpo, tenant):
    open_account(dpo)
    html = dpo.get("/backoffice/accounts?lang=en", headers=HTML).get_data(as_text=True)
    assert "Electronic notices requested, not yet started (from 10 May 2027)" in html
    assert "Works in my building: <strong>on</strong>" in html


def test_the_look_up_is_audited_without_the_account_id(dpo, tenant):
    open_account(dpo)
    entry = db.session.execute(db.select(AuditEntry).where(AuditEntry.action == "preferences_viewed")).scalar_one()
    assert entry.target == "3 preference change(s)" and "A1001" not in entry.target


def test_a_bad_account_id_is_refused_in_words(dpo):
    response = dpo.post("/backoffice/accounts", data={"account_id": "../x"}, headers=HTML)
    assert response.status_code == 422
    assert "Identifiant de compte non valide." in response.get_data(as_text=True)


def test_a_dpo_records_a_letter_asking_to_go_back_to_paper(bo, tenant):
    clock.set_now(clock.now().replace(day=26))  # Monday 26 April: too late for 10 May
    dpo = _client(bo, "dpo@bailleur.example.fr", "dpo")
    open_account(dpo)
    response = dpo.post("/backoffice/accounts/preferences", headers=HTML, data={
        "version": shown_version(dpo), "channel": "post", "note": "Courrier du 24 avril", "theme_building_works": "on",
        "theme_appointment_confirmations": "on", "direct_debit": "yes", "paperless": "stop",
        "next_billing_date": "2027-05-10"})
    assert response.status_code == 302
    latest = services.history("A1001")[0]
    assert (latest.actor, latest.actor_name, latest.channel, latest.note) == (
        "dpo", "dpo@bailleur.example.fr", "post", "Courrier du 24 avril")
    assert latest.after["paperless"] == {"status": "ending", "effective_on": "2027-06-10",
                                         "last_electronic_on": "2027-05-10"}
    assert len(services.history("A1001")) == 4  # the unchanged theme and direct debit wrote nothing
    html = dpo.get("/backoffice/accounts", headers=HTML).get_data(as_text=True)
    assert "Changements enregistrés : 1." in html
    assert "Le délégué à la protection des données — dpo@bailleur.example.fr" in html


def test_a_dpo_turns_themes_and_email_and_direct_debit_in_one_letter(dpo, tenant):
    open_account(dpo)
    dpo.post("/backoffice/accounts/preferences", headers=HTML, data={
        "version": shown_version(dpo), "channel": "phone", "theme_payment_reminders": "on", "email": "on",
        "direct_debit": "no", "paperless": "keep"})
    state = services.preferences_of("A1001")
    assert state["themes"]["building_works"] is False and state["themes"]["payment_reminders"] is True
    assert state["email"] is True and state["direct_debit"] is False
    assert state["paperless"]["status"] == "off"  # direct debit ended in time: the request withdrawn
    assert {c.change for c in services.history("A1001")[:2]} == {"themes", "direct_debit"}


def test_a_refused_change_shows_why_and_writes_nothing(dpo, client, writer):
    open_account(dpo, "A1002")
    response = dpo.post("/backoffice/accounts/preferences", headers=HTML, data={
        "version": "0", "channel": "post", "direct_debit": "no", "paperless": "start",
        "next_billing_date": "2027-05-10"})
    assert response.status_code == 409
    assert "réservés aux locataires qui paient leur loyer par prélèvement automatique" in response.get_data(
        as_text=True)
    assert services.history("A1002") == []
    past = dpo.post("/backoffice/accounts/preferences", headers=HTML, data={
        "version": "0", "channel": "post", "direct_debit": "yes", "paperless": "start",
        "next_billing_date": "2027-04-01"})
    assert past.status_code == 422
    assert "Indiquez une échéance à venir (nous sommes le 23\u00a0avril\u00a02027)." in past.get_data(as_text=True)
    assert services.history("A1002") == []


def test_an_auditor_reads_but_cannot_record(auditor, tenant):
    html = open_account(auditor).get_data(as_text=True)
    assert "Lecture seule" in html and 'name="paperless"' not in html
    response = auditor.post("/backoffice/accounts/preferences", headers=HTML,
                            data={"channel": "post", "email": "on", "direct_debit": "yes", "paperless": "keep"})
    assert response.status_code == 403
    assert services.preferences_of("A1001")["email"] is False


def test_anonymous_visitors_are_sent_to_sign_in(client):
    assert client.get("/backoffice/accounts", headers=HTML).status_code == 302
    response = client.post("/backoffice/accounts", data={"account_id": "A1001"}, headers=HTML)
    assert response.status_code == 302 and "/backoffice/login" in response.headers["Location"]


def test_the_search_form_carries_a_csrf_token(bo, dpo):
    bo.config["WTF_CSRF_ENABLED"] = True
    page = dpo.get("/backoffice/accounts", headers=HTML).get_data(as_text=True)
    assert csrf_token(page)
    assert dpo.post("/backoffice/accounts", data={"account_id": "A1001"}, headers=HTML).status_code == 400


def test_every_word_of_the_page_is_in_the_readers_language(dpo, tenant, client, writer):
    tenant.stop("2027-05-10")
    tenant.paperless("2027-05-10")
    tenant.patch({"email": True})
    services.apply_objection("A1001", ["building_works"], services.Actor.dsar("DSAR-2027-ABCDEFGH"))
    db.session.commit()
    french = open_account(dpo).get_data(as_text=True)
    check_french(french, "account page")
    check_english(dpo.get("/backoffice/accounts?lang=en", headers=HTML).get_data(as_text=True), "account page")
    refused = dpo.post("/backoffice/accounts/preferences?lang=fr", headers=HTML, data={
        "version": shown_version(dpo), "channel": "fax", "direct_debit": "yes", "paperless": "start",
        "next_billing_date": "2027-04-01"})
    check_french(refused.get_data(as_text=True), "refused change")


@pytest.mark.parametrize(("field", "value", "words"), [
    ("note", "a\x07b", "Les caractères de contrôle ne sont pas admis."),
    ("note", "x" * 501, "Entre 0 et 500 caractères."),
    ("next_billing_date", "10/05/2027", "Date non valide."),
    ("paperless", "<script>", "Choisissez une des actions proposées."),
    ("version", "<script>", "Le formulaire est incomplet : affichez à nouveau le compte."),
    ("version", "", "Le formulaire est incomplet : affichez à nouveau le compte."),
    ("version", "-1", "Le formulaire est incomplet : affichez à nouveau le compte."),
])
def test_hostile_values_in_the_dpo_form_are_refused_in_words(dpo, tenant, field, value, words):
    open_account(dpo)
    data = {"version": shown_version(dpo), "channel": "post", "theme_building_works": "on",
            "theme_appointment_confirmations": "on", "direct_debit": "yes", "paperless": "keep", field: value}
    response = dpo.post("/backoffice/accounts/preferences", headers=HTML, data=data)
    assert response.status_code == 422
    assert words in response.get_data(as_text=True)
    assert len(services.history("A1001")) == 3


def test_a_form_shown_before_another_change_is_refused_and_undoes_nothing(dpo, tenant):
    open_account(dpo)
    version = shown_version(dpo)  # the page shows payment reminders off
    tenant.patch({"themes": {"payment_reminders": True}})  # meanwhile, the tenant turns them on
    response = dpo.post("/backoffice/accounts/preferences", headers=HTML, data={
        "version": version, "channel": "post", "theme_building_works": "on", "email": "on", "direct_debit": "yes",
        "paperless": "keep"})
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert "ont changé depuis" in html and "enregistrez à nouveau la demande" in html
    check_french(html, "form shown before another change")
    state = services.preferences_of("A1001")
    assert state["themes"]["payment_reminders"] is True and state["email"] is False
    assert [c.change for c in services.history("A1001")][:1] == ["themes"] and len(services.history("A1001")) == 4
    again = dpo.post("/backoffice/accounts/preferences", headers=HTML, data={
        "version": shown_version(dpo), "channel": "post", "theme_building_works": "on",
        "theme_payment_reminders": "on", "email": "on", "direct_debit": "yes", "paperless": "keep"})
    assert again.status_code == 302
    assert services.preferences_of("A1001")["email"] is True and len(services.history("A1001")) == 5


def test_a_form_for_an_account_never_seen_is_refused_once_the_portal_wrote_first(dpo, client, writer):
    open_account(dpo, "A1005")
    version = shown_version(dpo)
    assert version == "0"
    Portal(client, writer, "A1005").patch({"email": True})
    response = dpo.post("/backoffice/accounts/preferences", headers=HTML, data={
        "version": version, "channel": "phone", "direct_debit": "yes", "paperless": "keep"})
    assert response.status_code == 409
    assert services.preferences_of("A1005")["direct_debit"] is False and len(services.history("A1005")) == 1


def test_the_version_check_holds_in_the_service_too(tenant):
    from consent_service.errors import Conflict
    with pytest.raises(Conflict):
        services.update("A1001", services.Actor.dpo("dpo@bailleur.example.fr"), email=True, expected_version=2)
    db.session.rollback()
    services.update("A1001", services.Actor.dpo("dpo@bailleur.example.fr"), email=True, expected_version=3)
    assert services.get("A1001").version == 4
