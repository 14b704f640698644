"""The DPO's registers and figures: the register of requests as French Excel reads it, the record
of processing activities (GDPR art. 30) built from the data map's ``about`` blocks, and the yearly
statistics for the annual report."""
from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
import statistics

from consent_service import clock, i18n
from consent_service.extensions import db
from datamap import wording as datamap_wording
from datamap.services import datamap
from dsar import services as dsar_services
from dsar.models import DsarRequest
from dsar.register import spreadsheet_safe
from dsar.wording import label

BOM = "\ufeff"


def _excel(rows: list[list[object]]) -> str:
    """CSV as French Excel opens it: ``;`` between cells, UTF-8 with its byte-order mark."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    for row in rows:
        writer.writerow(["" if cell is None else spreadsheet_safe(str(cell)) for cell in row])
    return BOM + out.getvalue()


def _paris(moment: dt.datetime | None) -> str:
    """« 29/11/2026 14:02 », a time French Excel reads as one."""
    return i18n.paris(moment).strftime("%d/%m/%Y %H:%M") if moment else ""


REQUEST_HEADERS = ("Référence", "Type", "Statut", "Canal", "Reçue le (heure de Paris)", "Échéance",
                   "Délai prolongé", "En retard", "Vérification d'identité", "Vérifiée le", "Motif de refus",
                   "Close le", "Nom", "Adresse e-mail", "Numéro de compte")


def requests_excel_csv(requests: list[DsarRequest]) -> str:
    """The register of requests for French Excel: French headers and words, Paris times."""
    rows: list[list[object]] = [list(REQUEST_HEADERS)]
    for r in requests:
        rows.append([r.reference, label("type", r.type), label("status", r.status), label("channel", r.channel),
                     _paris(r.received_at), r.due_on.strftime("%d/%m/%Y"), "oui" if r.extended else "non",
                     "oui" if dsar_services.is_overdue(r) else "non",
                     label("method", r.verification_method) if r.verification_method else "", _paris(r.verified_at),
                     label("ground", r.rejection_ground) if r.rejection_ground else "", _paris(r.closed_at),
                     r.full_name, r.email, r.account_id])
    return _excel(rows)


# --- the record of processing activities (art. 30) ----------------------------------------------

ERASURE = {"fr": {"delete": "supprimées", "anonymize": "anonymisées (les lignes restent)", "retain": "conservées"},
           "en": {"delete": "deleted", "anonymize": "anonymised (the rows stay)", "retain": "kept"}}


@dataclasses.dataclass
class Activity:
    name: str
    purpose: str
    lawful_basis: str
    data: str
    recipients: str
    retention: str
    source: str
    on_erasure: str


def _localised(value, lang: str) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        return value.get(lang) or value.get("fr")
    return None


def activities(lang: str) -> list[Activity]:
    """One line per table or folder of the data map, then the service's own processing."""
    dm = datamap()
    unknown = "non précisé" if lang == "fr" else "not stated"
    found: list[Activity] = []
    for store in dm.stores:
        entries = store.tables if store.kind == "sql" else [None]
        for table in entries:
            about = table.about if table is not None else store.about
            labels = getattr(table, "column_labels", None) or {}
            columns = getattr(table, "columns", ()) if table is not None else ()
            data = ", ".join(_localised(labels.get(c), lang) or c.replace("_", " ") for c in columns
                             if c != table.subject_column) \
                if table is not None else ("fichiers" if lang == "fr" else "files")
            keep = (table.retention if table is not None else store.retention)
            retention = about.retention_period or (i18n.plural(keep.keep_months, "{n} mois", "{n} mois", lang)
                                                   if keep else unknown)
            found.append(Activity(
                name=_localised(getattr(table if table is not None else store, "label", None), lang)
                or about.purpose or (table.name if table is not None else store.name),
                purpose=about.purpose or unknown, lawful_basis=about.lawful_basis or unknown, data=data or unknown,
                recipients=", ".join(about.recipients) or unknown, retention=retention, source=about.source or unknown,
                on_erasure=ERASURE[lang][table.on_erasure if table is not None else "delete"]))
    own = datamap_wording.BUILTIN_ABOUT[lang]
    found.append(Activity(
        name=datamap_wording.BUILTIN_STORE_LABEL[lang], purpose=own["purpose"], lawful_basis=own["lawful_basis"],
        data=", ".join(datamap_wording.TABLES[t][lang] for t in ("consent_records", "visitor_links", "dsar_requests",
                                                                  "account_preferences")),
        recipients=", ".join(own["recipients"]), retention=own["retention_period"], source=own["source"],
        on_erasure=ERASURE[lang]["delete"]))
    return found


ACTIVITY_HEADERS = {
    "fr": ("Traitement", "Finalité", "Base légale", "Données", "Destinataires", "Durée de conservation",
           "Origine des données", "À l'effacement, les données sont"),
    "en": ("Processing", "Purpose", "Lawful basis", "Data", "Recipients", "Retention period", "Source",
           "On erasure, the data are"),
}


def activities_excel_csv(lang: str = "fr") -> str:
    rows: list[list[object]] = [list(ACTIVITY_HEADERS[lang])]
    rows += [list(dataclasses.astuple(a)) for a in activities(lang)]
    return _excel(rows)


# --- yearly statistics ----------------------------------------------------------------------------


@dataclasses.dataclass
class Statistics:
    year: int
    received: int
    by_type: dict[str | None, int]
    by_channel: dict[str, int]
    by_month: list[int]  # January to December, Paris time
    answered: int
    on_time: int
    median_days: float | None
    extended: int
    rejected_by_ground: dict[str, int]
    open_now: int

    @property
    def on_time_share(self) -> float | None:
        return self.on_time / self.answered if self.answered else None


def year_statistics(year: int) -> Statistics:
    """The requests received in ``year`` (Paris time), for the annual report."""
    start = dt.datetime(year, 1, 1, tzinfo=i18n.PARIS)
    end = dt.datetime(year + 1, 1, 1, tzinfo=i18n.PARIS)
    rows = db.session.execute(db.select(
        DsarRequest.type, DsarRequest.channel, DsarRequest.status, DsarRequest.received_at, DsarRequest.due_at,
        DsarRequest.closed_at, DsarRequest.extended, DsarRequest.rejection_ground)
        .where(DsarRequest.received_at >= start, DsarRequest.received_at < end)).all()
    by_type: dict[str | None, int] = {}
    by_channel: dict[str, int] = {}
    by_month = [0] * 12
    grounds: dict[str, int] = {}
    days: list[float] = []
    on_time = answered = extended = open_now = 0
    for row in rows:
        by_type[row.type] = by_type.get(row.type, 0) + 1
        by_channel[row.channel] = by_channel.get(row.channel, 0) + 1
        by_month[i18n.paris(row.received_at).month - 1] += 1
        extended += bool(row.extended)
        if row.status in ("completed", "rejected") and row.closed_at is not None:
            answered += 1
            on_time += clock.utc(row.closed_at) <= clock.utc(row.due_at)
            days.append((clock.utc(row.closed_at) - clock.utc(row.received_at)).total_seconds() / 86400)
        elif row.status != "withdrawn":
            open_now += 1
        if row.status == "rejected" and row.rejection_ground:
            grounds[row.rejection_ground] = grounds.get(row.rejection_ground, 0) + 1
    return Statistics(year, len(rows), by_type, by_channel, by_month, answered, on_time,
                      statistics.median(days) if days else None, extended, grounds, open_now)


def years() -> list[int]:
    """The years that have requests (Paris time), newest first; this year at least."""
    first = db.session.execute(db.select(db.func.min(DsarRequest.received_at))).scalar()
    this = i18n.paris(clock.now()).year
    start = i18n.paris(first).year if first else this
    return list(range(this, start - 1, -1))
