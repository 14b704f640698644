"""Who may verify a request naming an account (docs/rights-requests.md, "Who may verify a
request"): the e-mailed link proves control of an address, and verifies such a request only
when that address is the account's address on file (the data map's identity block)."""
from __future__ import annotations

import datetime as dt
from html import unescape

import pytest

from consent_service import clock, worker
from consent_service.extensions import db
from datamap import loader
from dsar.models import DsarRequest

from ..dsar.helpers import confirm_address, detail, outbox
from .conftest import NOW, TENANTS

CAMILLE_ON_FILE = TENANTS["A1001"][1]  # camille.martin@example.fr
STRANGER = "camille.martin@example.org"


def submit(client, email, account_id="A1001", **extra):
    body = {"type": "access", "email": email, "full_name": "Camille Martin", "locale": "fr",
            "message": "Copie de mes données.", **({"account_id": account_id} if account_id else {}), **extra}
    response = client.post("/v1/dsar/requests", json=body)
    assert response.status_code == 202, response.get_json()
    return response.get_json()["reference"]


def kinds(client, admin, reference):
    return [e["kind"] for e in detail(client, admin, reference)["events"]]


def stored(reference) -> DsarRequest:
    db.session.expire_all()
    return db.session.execute(db.select(DsarRequest).where(DsarRequest.reference == reference)).scalar_one()


def execute(client, admin, reference):
    return client.post(f"/v1/dsar/requests/{reference}/execute", json={}, headers=admin)


def test_the_address_on_file_verifies_by_the_link(client, admin):
    reference = submit(client, CAMILLE_ON_FILE)
    confirm_address(client, reference)
    body = detail(client, admin, reference)
    assert body["status"] == "verified" and body["verification_method"] == "email_link"
    assert kinds(client, admin, reference) == ["received", "verified"]
    assert stored(reference).address_check == "match"
    assert execute(client, admin, reference).status_code == 200


def test_case_and_surrounding_spaces_do_not_matter(client, admin):
    reference = submit(client, "  Camille.MARTIN@Example.FR ")
    confirm_address(client, reference)
    assert detail(client, admin, reference)["status"] == "verified"


def test_another_address_is_confirmed_but_does_not_verify(client, admin):
    reference = submit(client, STRANGER)
    token_page = confirm_address(client, reference)
    request = stored(reference)
    assert request.status == "awaiting_verification" and request.email_confirmed_at is not None
    assert request.address_check == "mismatch"
    events = detail(client, admin, reference)["events"]
    assert [e["kind"] for e in events] == ["received", "email_confirmed"]
    assert "not the account's address on file" in events[-1]["note"]
    assert CAMILLE_ON_FILE not in events[-1]["note"]  # the timeline never quotes the address on file
    refused = execute(client, admin, reference)
    assert refused.status_code == 409
    assert "not the account's address on file" in refused.get_json()["message"]
    assert "another way" in refused.get_json()["message"]
    assert token_page is None


def test_the_confirm_page_tells_the_subject_the_identity_is_still_to_be_checked(client, admin):
    reference = submit(client, STRANGER)
    mail = [m for m in outbox(STRANGER) if "/dsar/verify?token=" in m.text][-1]
    token = mail.text.split("token=", 1)[1].split()[0]
    page = client.post("/dsar/verify", data={"token": token})
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "votre adresse est confirmée" in unescape(html) and "titulaire du compte" in html
    again = client.post("/dsar/verify", data={"token": token})
    assert "déjà été utilisé" in again.get_data(as_text=True)
    assert kinds(client, admin, reference).count("email_confirmed") == 1


def test_a_request_naming_no_account_is_verified_by_the_link(client, admin):
    reference = submit(client, STRANGER, account_id=None)
    confirm_address(client, reference)
    assert detail(client, admin, reference)["status"] == "verified"
    assert stored(reference).address_check is None


def test_an_unknown_account_is_confirmed_but_not_verified(client, admin):
    reference = submit(client, CAMILLE_ON_FILE, account_id="Z9999")
    confirm_address(client, reference)
    assert stored(reference).address_check == "no_account"
    assert detail(client, admin, reference)["status"] == "awaiting_verification"
    assert execute(client, admin, reference).status_code == 409


def test_without_an_identity_block_a_link_never_verifies_a_request_naming_an_account(make_app, portal, api_key):
    text = portal.map_path.read_text(encoding="utf-8")
    without = "\n".join(line for line in text.splitlines()
                        if not line.startswith("identity:") and "birth_date_column" not in line)
    portal.write_map(without + "\n")
    application = make_app(DATAMAP_PATH=str(portal.map_path), CONSENT_RATE_LIMIT="off")
    with application.app_context():
        db.drop_all()
        db.create_all()
        try:
            assert application.extensions["datamap"].identity is None
            client = application.test_client()
            admin = api_key("dsar:admin")
            reference = submit(client, CAMILLE_ON_FILE, birth_date="1985-04-12")
            assert detail(client, admin, reference)["status"] == "awaiting_verification"  # no automatic check
            confirm_address(client, reference)
            assert stored(reference).address_check == "not_mapped"
            assert detail(client, admin, reference)["status"] == "awaiting_verification"
            assert execute(client, admin, reference).status_code == 409
        finally:
            db.session.remove()
            db.drop_all()
            application.extensions["datamap"].dispose()


def test_the_account_and_birth_date_check_needs_the_address_on_file_too(client, admin):
    reference = submit(client, " Camille.Martin@example.fr", birth_date="1985-04-12")
    body = detail(client, admin, reference)
    assert body["status"] == "verified" and body["verification_method"] == "account_birth_date"
    assert any("confirmée" in m.subject for m in outbox(CAMILLE_ON_FILE))  # the answer goes to the file's address


def test_an_attacker_knowing_the_account_id_and_birth_date_gets_nothing(client, admin, dpo_client, app):
    """The attacker files from their own address with the tenant's account id and birth date:
    not verified automatically; the link confirms their address only; the DPO sees why in
    French and English; executing is refused; no answer nor export link reaches them."""
    reference = submit(client, STRANGER, birth_date="1985-04-12")
    assert detail(client, admin, reference)["status"] == "awaiting_verification"
    confirm_address(client, reference)
    assert detail(client, admin, reference)["status"] == "awaiting_verification"
    page = dpo_client.get(f"/backoffice/requests/{reference}", headers={"Accept": "text/html"})
    html = unescape(page.get_data(as_text=True))
    assert page.status_code == 200 and 'id="address-check"' in html
    assert "n'est pas celle du compte dans nos fichiers" in html and "vérifiez son identité autrement" in html
    english = dpo_client.get(f"/backoffice/requests/{reference}?lang=en", headers={"Accept": "text/html"})
    assert "not the account's address on file" in unescape(english.get_data(as_text=True))
    assert execute(client, admin, reference).status_code == 409
    clock.set_now(NOW + dt.timedelta(days=4))
    worker.run_once()
    sent = outbox(STRANGER)
    assert len(sent) == 1 and "confirmez votre adresse" in sent[0].subject  # the link, no reminder, no answer
    assert not any("/dsar/exports/" in m.text for m in outbox())


def test_a_matching_request_shows_no_warning_to_the_dpo(client, dpo_client):
    reference = submit(client, CAMILLE_ON_FILE)
    html = dpo_client.get(f"/backoffice/requests/{reference}", headers={"Accept": "text/html"}).get_data(as_text=True)
    assert 'id="address-check"' not in html


@pytest.mark.parametrize("block,problem", [
    ("identity: [portal]", "identity: must be a mapping"),
    ("identity: {store: documents-files, table: tenants, subject_column: account_id, email_column: email}",
     "identity: field 'store': no sql store named 'documents-files'"),
])
def test_a_bad_identity_block_stops_the_start(portal, block, problem):
    text = portal.map_path.read_text(encoding="utf-8")
    lines = [line for line in text.splitlines() if not line.startswith("identity:") and "birth_date_column" not in line]
    portal.write_map("\n".join(lines) + "\n" + block + "\n")
    with pytest.raises(loader.DataMapError) as err:
        loader.load(portal.map_path)
    assert problem in str(err.value)
