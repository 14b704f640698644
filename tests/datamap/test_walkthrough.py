"""The documented walk-through (docs/rights-requests.md), end to end: a tenant's access request
from the public form to the export download, with the mail read from the outbox."""
from __future__ import annotations

import html
import io
import re
import zipfile

from consent_service.extensions import db
from consent_service.mail import OutboxMessage
from dsar.models import DsarRequest

from ..cookies.helpers import make_site


def _outbox(to: str) -> list[OutboxMessage]:
    return list(db.session.execute(db.select(OutboxMessage).where(OutboxMessage.to == to)
                                   .order_by(OutboxMessage.id)).scalars())


def test_a_tenant_goes_from_the_form_to_the_export(app, client, api_key):
    make_site(client, api_key("sites:admin"))
    admin = api_key("dsar:admin")
    page = client.get("/sites/espace-locataire/rights").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    answer = client.post("/sites/espace-locataire/rights", data={
        "type": "access", "email": "camille.martin@example.fr", "full_name": "Camille Martin",
        "account_id": "A1001", "birth_date": "12/04/1985", "message": "", "csrf_token": token})
    assert answer.status_code == 200
    reference = re.search(r"DSAR-\d{4}-[A-Z0-9]+", answer.get_data(as_text=True)).group(0)
    # Step 3: account number, birth date and address match the portal's: verified at once, and told so.
    confirmation, = _outbox("camille.martin@example.fr")
    assert confirmation.subject == f"Votre demande {reference} est confirmée"
    db.session.expire_all()
    case = db.session.execute(db.select(DsarRequest).where(DsarRequest.reference == reference)).scalar_one()
    assert case.status == "verified", case.status
    # Step 4: the DPO executes and closes (the back-office calls the same actions).
    assert client.post(f"/v1/dsar/requests/{reference}/execute", json={}, headers=admin).status_code == 200
    assert client.post(f"/v1/dsar/requests/{reference}/complete", json={"summary": "Voici vos données."},
                       headers=admin).status_code == 200
    # Step 5: the answer with the export link, and the export a person can read.
    answer_mail = _outbox("camille.martin@example.fr")[-1]
    assert "traitée" in answer_mail.subject
    export = re.search(r"http://127\.0\.0\.1:8000(/dsar/exports/\S+)", answer_mail.text).group(1)
    archive = zipfile.ZipFile(io.BytesIO(client.get(export).data))
    summary = html.unescape(archive.read("summary.html").decode())
    assert "Camille Martin" in summary and reference in summary and "Vos droits" in summary
