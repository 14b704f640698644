"""Marshmallow schemas of the account and purge API (docs/api.md, docs/datamap.md)."""
from __future__ import annotations

import datetime as dt

from marshmallow import Schema, fields, validate

from consent_service.openapi_rules import date_pattern

RFC3339 = "%Y-%m-%dT%H:%M:%SZ"


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
    store = fields.String()
    table = fields.String(allow_none=True)
    action = fields.String()
    rows = fields.Integer()
    legal_basis = fields.String(allow_none=True)
    status = fields.String()
    attempts = fields.Integer()


class Receipt(Schema):
    purge_id = fields.String()
    trigger = fields.String()
    status = fields.String()
    subject = fields.String(allow_none=True, metadata={"description": "HMAC-SHA256 of the account id (keyed)."})
    stores = fields.List(fields.Nested(ReceiptStore))
    requested_at = fields.String()
    finished_at = fields.String(allow_none=True)
