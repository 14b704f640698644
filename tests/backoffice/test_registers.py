"""The yearly statistics, the record of processing activities (art. 30) and the registers as
French Excel reads them (``;``, UTF-8 with BOM, French headers and words, Paris times)."""
from __future__ import annotations

import csv
import datetime as dt
import html
import io

from consent_service.extensions import db
from dsar.models import DsarRequest

from .conftest import HTML
from .test_dashboard import _bulk


def _close(reference: str, status: str, after_days: float, ground: str | None = None, extended=False):
    request = db.session.execute(db.select(DsarRequest).where(DsarRequest.reference == reference)).scalar_one()
    request.status, request.rejection_ground, request.extended = status, ground, extended
    request.closed_at = request.received_at + dt.timedelta(days=after_days)
    db.session.commit()


def test_the_statistics_of_a_year(dpo_client):
    from backoffice.services.registers import year_statistics

    # NOW is 1 March 2027; four requests of January 2027 (one answered late), one of February, one of 2026.
    january = _bulk(4, received=dt.datetime(2027, 1, 10, 9, tzinfo=dt.UTC), prefix="JAN")
    _bulk(1, received=dt.datetime(2027, 2, 1, 9, tzinfo=dt.UTC), prefix="FEB")
    _bulk(1, received=dt.datetime(2026, 12, 31, 23, 30, tzinfo=dt.UTC), prefix="NYE")  # 1 January in Paris
    _bulk(1, received=dt.datetime(2026, 6, 1, 9, tzinfo=dt.UTC), prefix="OLD")
    _close(january[0], "completed", 10)
    _close(january[1], "completed", 20, extended=True)
    _close(january[2], "rejected", 40, ground="excessive")  # after its deadline
    s = year_statistics(2027)
    assert s.received == 6 and s.by_month[:3] == [5, 1, 0] and s.by_type == {"access": 6}
    assert s.by_channel == {"post": 6} and s.answered == 3 and s.on_time == 2 and s.median_days == 20
    assert s.extended == 1 and s.rejected_by_ground == {"excessive": 1} and s.open_now == 3
    page = html.unescape(dpo_client.get("/backoffice/statistics?year=2027", headers=HTML).get_data(as_text=True))
    assert "Statistiques des demandes 2027" in page and "janvier 2027" in page and "67\u00a0%" in page
    assert "demande excessive" in page and "traitées dans le délai (2 sur 3)" in page
    assert dpo_client.get("/backoffice/statistics?year=2026", headers=HTML).status_code == 200
    assert dpo_client.get("/backoffice/statistics?year=1999", headers=HTML).status_code == 404


def test_an_empty_year_has_no_share_and_no_median(dpo_client):
    page = html.unescape(dpo_client.get("/backoffice/statistics", headers=HTML).get_data(as_text=True))
    assert 'id="stat-received">0<' in page and 'id="stat-median">—<' in page and 'id="stat-on-time">—<' in page


def _rows(body: bytes) -> list[list[str]]:
    assert body.startswith("\ufeff".encode())
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig")), delimiter=";"))


def test_the_excel_register_speaks_french_with_paris_times(dpo_client):
    reference, = _bulk(1, received=dt.datetime(2027, 2, 27, 13, 2, tzinfo=dt.UTC), prefix="XL")
    db.session.execute(db.update(DsarRequest).values(full_name="=HYPERLINK(\"x\")"))
    db.session.commit()
    response = dpo_client.get("/backoffice/register-excel.csv", headers=HTML)
    assert response.status_code == 200 and response.mimetype == "text/csv"
    header, row = _rows(response.data)
    assert header[:5] == ["Référence", "Type", "Statut", "Canal", "Reçue le (heure de Paris)"]
    assert row[:6] == [reference, "accès", "en attente de vérification", "courrier", "27/02/2027 14:02",
                       "30/03/2027"]  # 27 March is a Saturday, 29 March Easter Monday
    assert row[12] == "'=HYPERLINK(\"x\")"  # never a formula
    assert dpo_client.get("/backoffice/register.csv", headers=HTML).data.startswith(b"reference,")  # unchanged


def test_the_record_of_processing_comes_from_the_data_map(dpo_client):
    page = html.unescape(dpo_client.get("/backoffice/records", headers=HTML).get_data(as_text=True))
    assert "Registre des activités de traitement" in page and "Le service de gestion des cookies" in page
    assert "Obligation légale" in page
    header, *rows = _rows(dpo_client.get("/backoffice/records.csv", headers=HTML).data)
    assert header[0] == "Traitement" and header[2] == "Base légale" and rows
    english = dpo_client.get("/backoffice/records.csv?lang=en", headers=HTML).data
    assert _rows(english)[0][0] == "Processing"
