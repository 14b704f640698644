"""Access and portability exports: a ZIP of JSON built by streaming, reached by a signed link.

Rows are read in chunks and written straight into a ZIP in a temporary file, so memory stays
bounded whatever the subject's volume; the ZIP is then copied into the service database
(``export_store``), where every process serves it and every sweep or purge removes it.
"""
from __future__ import annotations

import base64
import datetime as dt
import decimal
import io
import json
import tempfile
import uuid
import zipfile

from flask import current_app
from itsdangerous import SignatureExpired

from consent_service import clock, tokens
from consent_service.extensions import db
from cookies import subject_data
from dsar.register import subject_requests
from preferences import subject_data as preference_data

from . import connectors, export_store, summary
from .mapping import BUILTIN_STORE, About
from .models import AccountLease, DataExport
from .services import datamap, processing_of, subject_hash

EXPORT_SALT = "datamap.export"
EXPORT_DAYS = 7

CNIL = {
    "name": "Commission nationale de l'informatique et des libertés (CNIL)",
    "address": "3 place de Fontenoy, TSA 80715, 75334 Paris Cedex 07",
    "url": "https://www.cnil.fr/fr/plaintes",
}
RIGHTS = {
    "fr": ["accès (art. 15)", "rectification (art. 16)", "effacement (art. 17)", "limitation du traitement (art. 18)",
           "portabilité (art. 20)", "opposition (art. 21)"],
    "en": ["access (art. 15)", "rectification (art. 16)", "erasure (art. 17)", "restriction of processing (art. 18)",
           "data portability (art. 20)", "objection (art. 21)"],
}
BUILTIN_ABOUT = About(
    purpose="Proof of cookie choices (CNIL), handling of data-subject requests",
    lawful_basis="Legal obligation (GDPR art. 7(1): proof of consent; art. 12 to 22)",
    recipients=("The landlord's data protection officer",),
    retention_period="Consent proofs: configurable (CONSENT_PROOF_RETENTION_MONTHS); links: until the account goes",
    source="Your browser's choices on the portal; the portal when you are signed in",
)


class ExportNotFound(LookupError):
    pass


class ExportExpired(LookupError):
    pass


def _json_default(value):
    if isinstance(value, (dt.datetime,)):
        return clock.rfc3339(value) if value.tzinfo else value.isoformat()
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, (bytes, bytearray, memoryview)):
        return base64.b64encode(bytes(value)).decode()
    if isinstance(value, uuid.UUID):
        return str(value)
    return str(value)


_ROW_ENCODER = json.JSONEncoder(ensure_ascii=False, default=_json_default)  # one for all rows


def _write_json_list(archive: zipfile.ZipFile, name: str, header: dict, rows) -> int:
    """Write ``{...header, "rows": [...]}`` into the archive one row at a time; returns the count."""
    count = 0
    encode = _ROW_ENCODER.encode
    with archive.open(name, "w", force_zip64=True) as raw, \
            io.TextIOWrapper(raw, encoding="utf-8", write_through=False) as out:
        out.write(json.dumps(header, ensure_ascii=False)[:-1] + ', "rows": [\n')
        for row in rows:
            out.write(("," if count else "") + encode(row) + "\n")
            count += 1
        out.write("]}\n")
    return count


def _about_json(about: About) -> dict:
    return {"purpose": about.purpose, "lawful_basis": about.lawful_basis, "recipients": list(about.recipients),
            "retention_period": about.retention_period, "source": about.source}


def build(account_id: str, reference: str | None, locale: str | None) -> tuple[DataExport, str]:
    """Build the subject's export and return it with its signed download URL."""
    export_id = uuid.uuid4().hex
    sections = []
    with tempfile.TemporaryFile(prefix="export-") as partial:
        # Level 1: JSON still shrinks about fivefold, at a fraction of the default level's time.
        with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1,
                             allowZip64=True) as archive:
            for store in datamap().stores:
                if store.kind == "sql":
                    for table in store.tables:
                        name = f"data/{store.name}/{table.name}.json"
                        count = _write_json_list(archive, name, {"store": store.name, "table": table.name},
                                                 connectors.rows_of(store, table, account_id))
                        sections.append(_section(store.name, table.name, name, count, table.about,
                                                 table.retention.keep_months if table.retention else None))
                else:
                    sections.append(_files_section(archive, store, account_id))
            connectors.plan_cursors_for_every_row(db.session.connection())
            sections.extend(_builtin_sections(archive, account_id))
            info = _article15(sections, locale)
            archive.writestr("article15.json", json.dumps(info, ensure_ascii=False, indent=2))
        summary.append_to(partial, sections, info, reference, locale)  # the data itself, for a person
        now = clock.now()
        export = DataExport(export_id=export_id, subject_hash=subject_hash(account_id), reference=reference,
                            created_at=now, expires_at=now + dt.timedelta(days=EXPORT_DAYS), size=partial.tell())
        db.session.add(export)
        db.session.flush()
        partial.seek(0)
        export_store.save(export_id, partial)
    return export, url_for_export(export_id)


def url_for_export(export_id: str) -> str:
    token = tokens.timed(EXPORT_SALT).dumps(export_id)
    return f"{current_app.config['PUBLIC_BASE_URL']}/dsar/exports/{token}"


def _section(store, table, name, count, about: About, keep_months) -> dict:
    return {"store": store, "table": table, "file": name, "count": count, "about": _about_json(about),
            "keep_months": keep_months}


def _files_section(archive: zipfile.ZipFile, store, account_id: str) -> dict:
    listing = []

    def entries():
        for path, relative, stat in connectors.files_of(store, account_id):
            arcname = f"files/{store.name}/{relative}"
            archive.write(path, arcname)  # copied in chunks by zipfile
            entry = {"name": relative, "size": stat.st_size, "file": arcname,
                     "modified": clock.rfc3339(dt.datetime.fromtimestamp(stat.st_mtime, dt.UTC))}
            listing.append(entry)
    entries()  # the copies are written before the listing that names them
    name = f"data/{store.name}/files.json"
    count = _write_json_list(archive, name, {"store": store.name, "folder": store.path}, iter(listing))
    return {"store": store.name, "table": None, "file": name, "count": count, "about": _about_json(store.about),
            "keep_months": store.retention.keep_months if store.retention else None}


def _builtin_sections(archive: zipfile.ZipFile, account_id: str) -> list[dict]:
    sections = []
    tables = dict(subject_data.export_account(account_id))
    lease = db.session.get(AccountLease, account_id)
    tables["account_leases"] = iter([{"lease_end": lease.lease_end.isoformat(),
                                      "purge_due_on": lease.purge_due_on.isoformat()}] if lease else [])
    processing = processing_of(account_id)
    tables["account_processing"] = iter([processing] if processing["restricted"] or processing["objections"] else [])
    tables["dsar_requests"] = iter(subject_requests(account_id))
    about = {**dict.fromkeys(tables, BUILTIN_ABOUT), **dict.fromkeys(preference_data.TABLES,
                                                                     About(**preference_data.ABOUT))}  # type: ignore[arg-type]
    tables.update(preference_data.export_account(account_id))
    for table, rows in tables.items():
        name = f"data/{BUILTIN_STORE}/{table}.json"
        count = _write_json_list(archive, name, {"store": BUILTIN_STORE, "table": table}, rows)
        sections.append(_section(BUILTIN_STORE, table, name, count, about[table], None))
    return sections


def _article15(sections: list[dict], locale: str | None) -> dict:
    lang = "en" if (locale or "fr").startswith("en") else "fr"
    dm = datamap()
    return {
        "controller": dm.controller,
        "generated_at": clock.rfc3339(clock.now()),
        "processing": [{"store": s["store"], "table": s["table"], "records": s["count"], **s["about"],
                        "retention_months": s["keep_months"]} for s in sections],
        "rights": RIGHTS[lang],
        "complaint": CNIL,
        "automated_decision_making": False,
    }


def find(token: str) -> DataExport:
    """The export a download token names; ExportExpired after 7 days or once swept."""
    try:
        export_id = tokens.timed(EXPORT_SALT).loads(token, max_age=EXPORT_DAYS * 86400)
    except SignatureExpired:
        raise ExportExpired() from None
    except tokens.BadData:
        raise ExportNotFound() from None
    if not isinstance(export_id, str):
        raise ExportNotFound()
    export = db.session.get(DataExport, export_id)
    if export is None or export.expires_at <= clock.now() or not export_store.has_content(export_id):
        raise ExportExpired()
    return export


def content_of(export: DataExport):
    """The export's ZIP bytes, streamed chunk by chunk from the database."""
    return export_store.read(export.export_id)


def _remove(condition, limit: int | None = None) -> int:
    """Delete the exports matching ``condition`` with their archives; returns how many."""
    table = DataExport.__table__
    export_ids = db.session.execute(db.select(table.c.export_id).where(condition).limit(limit)).scalars().all()
    if export_ids:
        export_store.remove(export_ids)
        db.session.execute(table.delete().where(table.c.export_id.in_(export_ids)))
    return len(export_ids)


def delete_expired(now: dt.datetime, limit: int = 500) -> int:
    """Remove expired exports with their archives; returns how many."""
    return _remove(DataExport.expires_at <= now, limit)


def delete_for_subject(digest: str) -> int:
    return _remove(DataExport.subject_hash == digest)
