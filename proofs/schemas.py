"""Marshmallow schemas of the sealed-proof API (docs/proofs.md)."""
from __future__ import annotations

import datetime as dt

from marshmallow import Schema, ValidationError, fields, validate

from consent_service.clock import utc
from consent_service.fields import Rfc3339
from consent_service.openapi_rules import date_pattern, time_pattern


class SinceField(fields.Field):
    """A day (``YYYY-MM-DD``, from its midnight UTC) or an RFC 3339 time."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, str) or len(value) > 40:
            raise ValidationError("Give a date (YYYY-MM-DD) or an RFC 3339 time.")
        try:
            if len(value) == 10:
                return dt.datetime.combine(dt.date.fromisoformat(value), dt.time(), dt.UTC)
            moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise ValidationError("Give a date (YYYY-MM-DD) or an RFC 3339 time.") from None
        if moment.tzinfo is None:
            raise ValidationError("An RFC 3339 time has a zone (Z or ±hh:mm).")
        return utc(moment).astimezone(dt.UTC)


class SealQuery(Schema):
    since = SinceField(metadata={"type": "string", "maxLength": 40,
                                 "description": "A day (YYYY-MM-DD, from its midnight UTC) or an RFC 3339 time.",
                                 "anyOf": [{"pattern": date_pattern(1970, 2999)},
                                           {"pattern": time_pattern(1970, 2999)}]})
    before = fields.Integer(strict=False, validate=validate.Range(min=1, max=2**31 - 1))
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=1000))


class SealOut(Schema):
    number = fields.Integer()
    previous_hash = fields.String()
    merkle_root = fields.String()
    leaf_count = fields.Integer()
    sealed_at = Rfc3339()
    hash = fields.String()


class SealList(Schema):
    items = fields.List(fields.Nested(SealOut))


class BundleOut(Schema):
    banner_hash = fields.String()
    bundle_id = fields.String()
    first_served_at = Rfc3339()
    last_served_at = Rfc3339()
    body = fields.String(metadata={"description": "The bundle exactly as served (its SHA-256 is banner_hash)."})


class PathStep(Schema):
    side = fields.String()
    hash = fields.String()


class InclusionOut(Schema):
    consent_id = fields.String()
    record = fields.Dict()
    record_digest = fields.String()
    leaf_hash = fields.String()
    position = fields.Integer()
    path = fields.List(fields.Nested(PathStep))
    seal = fields.Nested(SealOut)
