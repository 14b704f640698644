"""The DPO's register of requests (CSV) and a subject's own requests (for an access or
portability export), both as :class:`dsar.schemas.RequestDetail` dumps them."""
from __future__ import annotations

import csv
import io
from typing import Any

from consent_service.extensions import db

from .models import DsarRequest
from .schemas import RequestDetail

REGISTER_COLUMNS = ("reference", "type", "status", "channel", "received_at", "due_on", "due_at", "extended",
                    "overdue", "verification_method", "verified_at", "rejection_ground", "closed_at",
                    "full_name", "email", "account_id")
# What a subject's export holds of each of their requests (not the DPO's e-mails nor links).
SUBJECT_FIELDS = ("reference", "type", "status", "channel", "received_at", "due_on", "due_at", "extended",
                  "email", "full_name", "account_id", "locale", "message", "verification_method", "verified_at",
                  "extension_reason", "rejection_ground", "outcome", "closed_at", "events")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_REGISTER_ROW = RequestDetail(only=REGISTER_COLUMNS)
_SUBJECT_REQUESTS = RequestDetail(only=SUBJECT_FIELDS, many=True)


def spreadsheet_safe(text: str) -> str:
    """Text a spreadsheet will not run as a formula: one starting like a formula gets a leading '."""
    return "'" + text if text.startswith(_FORMULA_START) else text


def _cell(value) -> str:
    """A CSV cell: nothing for no value, true/false for a flag, text a spreadsheet will not run."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return spreadsheet_safe(str(value))


def register_csv(requests: list[DsarRequest]) -> str:
    """The register of requests for the DPO (CSV, one line per request, newest first)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(REGISTER_COLUMNS)
    for r in requests:
        row = _REGISTER_ROW.dump(r)
        writer.writerow([_cell(row[column]) for column in REGISTER_COLUMNS])
    return out.getvalue()


def subject_requests(account_id: str) -> list[dict[str, Any]]:
    """The subject's own requests with their timelines, for an access or portability export."""
    found = db.session.execute(db.select(DsarRequest).where(DsarRequest.account_id == account_id)
                               .order_by(DsarRequest.received_at)).scalars()
    return _SUBJECT_REQUESTS.dump(list(found))
