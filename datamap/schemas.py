"""Marshmallow schemas of the account and purge API (docs/api.md, docs/datamap.md)."""
from __future__ import annotations

import datetime as dt

from marshmallow import Schema, fields, missing, pre_dump, validate

from consent_service.fields import Rfc3339
from consent_service.openapi_rules import date_pattern

from . import receipts


class PurgeStarted(Schema):
    purge_id = fields.String()
    status = fields.String()


class LeaseIn(Schema):
    lease_end = fields.Date(required=True, format="%Y-%m-%d", validate=validate.Range(
        min=dt.date(1970, 1, 1), max=dt.date(2999, 9, 30), error="Give a date between 1970 and 2999."),
        metadata={"pattern": date_pattern(1970, 2999, 9)})


class LeaseOut(Schema):
    account_id = fields.String()
    lease_end = fields.Date(format="%Y-%m-%d")
    purge_due_on = fields.Date(format="%Y-%m-%d")


class ProcessingOut(Schema):
    restricted = fields.Boolean()
    objections = fields.List(fields.String())


class ReceiptStore(Schema):
    """A receipt's line: a purge step, or one table the builtin step counted (datamap/receipts.py)."""

    store = fields.String()
    table = fields.String(allow_none=True, attribute="table_name")
    action = fields.String()
    rows = fields.Integer()
    legal_basis = fields.Method("_legal_basis", allow_none=True, metadata={
        "type": "string", "description": "Given for a retained store only."})
    status = fields.String()
    attempts = fields.Method("_attempts", metadata={"type": "integer", "description": "Until the step is done."})

    @pre_dump(pass_collection=True)
    def _lines(self, steps, many, **kwargs):
        return list(receipts.lines(steps))

    def _legal_basis(self, line) -> str | None:
        return line.legal_basis if line.action == "retain" else None

    def _attempts(self, line) -> int | object:
        return missing if line.status == "done" or line.attempts is None else line.attempts


class Receipt(Schema):
    """The receipt of a purge, dumped from the model."""

    purge_id = fields.String()
    trigger = fields.String()
    status = fields.String()
    subject = fields.String(attribute="subject_hash", allow_none=True,
                            metadata={"description": "HMAC-SHA256 of the account id (keyed)."})
    stores = fields.Nested(ReceiptStore, many=True, attribute="steps")
    requested_at = Rfc3339()
    finished_at = Rfc3339(allow_none=True)
