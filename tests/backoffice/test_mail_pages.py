"""« Courriers »: the DPO reads every mail whole, sends a failed one again; an auditor reads none."""
from __future__ import annotations

import html

from consent_service.extensions import db
from consent_service.mail import OutboxMessage

from .conftest import HTML


def _mails(dsar_request):
    reference = dsar_request(type="access")
    mails = list(db.session.execute(db.select(OutboxMessage).order_by(OutboxMessage.id)).scalars())
    return reference, mails


def _fail(message):
    message.status, message.attempts, message.last_error = "failed", 5, "SMTPRecipientsRefused"
    db.session.commit()


def test_the_dpo_reads_a_mail_whole_with_its_link_and_the_reading_is_audited(dpo_client, dsar_request):
    reference, mails = _mails(dsar_request)
    acknowledgement = mails[0]
    page = html.unescape(dpo_client.get(f"/backoffice/mail/{acknowledgement.id}", headers=HTML).get_data(as_text=True))
    assert acknowledgement.subject in page and "/dsar/verify?token=" in page and "dominique@example.fr" in page
    assert "en attente d'envoi" in page and f'href="/backoffice/requests/{reference}"' in page
    assert f"courrier n° {acknowledgement.id}" in dpo_client.get("/backoffice/audit?lang=fr", headers=HTML) \
        .get_data(as_text=True)


def test_the_list_filters_by_status_and_pages(dpo_client, dsar_request, bo):
    _reference, mails = _mails(dsar_request)
    _fail(mails[0])
    page = html.unescape(dpo_client.get("/backoffice/mail", headers=HTML).get_data(as_text=True))
    assert "Courriers en échec (1)" in page and page.count('/retry"') == 1
    failed_only = dpo_client.get("/backoffice/mail?status=failed", headers=HTML).get_data(as_text=True)
    assert f'href="/backoffice/mail/{mails[0].id}"' in failed_only
    assert f'/backoffice/mail/{mails[1].id}"' not in failed_only
    assert dpo_client.get("/backoffice/mail?page=9", headers=HTML).status_code == 404


def test_a_failed_mail_is_sent_again(dpo_client, dsar_request):
    _reference, mails = _mails(dsar_request)
    _fail(mails[0])
    response = dpo_client.post(f"/backoffice/mail/{mails[0].id}/retry", headers=HTML)
    assert response.status_code == 302
    db.session.expire_all()
    again = db.session.get(OutboxMessage, mails[0].id)
    assert again.status == "queued" and again.attempts == 0
    assert "renvoyé" in html.unescape(dpo_client.get(response.headers["Location"], headers=HTML).get_data(as_text=True))


def test_only_a_failed_mail_can_be_sent_again(dpo_client, dsar_request):
    _reference, mails = _mails(dsar_request)
    assert dpo_client.post(f"/backoffice/mail/{mails[0].id}/retry", headers=HTML).status_code == 404
    assert dpo_client.post("/backoffice/mail/999999/retry", headers=HTML).status_code == 404
    assert db.session.get(OutboxMessage, mails[0].id).status == "queued"


def test_an_auditor_reads_no_mail(auditor_client, dsar_request):
    _reference, mails = _mails(dsar_request)
    assert auditor_client.get("/backoffice/mail", headers=HTML).status_code == 403
    assert auditor_client.get(f"/backoffice/mail/{mails[0].id}", headers=HTML).status_code == 403
    assert 'href="/backoffice/mail"' not in auditor_client.get("/backoffice/", headers=HTML).get_data(as_text=True)


def test_an_unknown_mail_is_404(dpo_client):
    for path in ("/backoffice/mail/0", "/backoffice/mail/99999999999", "/backoffice/mail/12"):
        assert dpo_client.get(path, headers=HTML).status_code == 404, path
