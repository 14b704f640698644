"""Marshmallow schemas of the preferences API (docs/preferences.md)."""
from __future__ import annotations

import datetime as dt

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from consent_service.fields import CleanString, Rfc3339, StrictBoolean
from consent_service.openapi_rules import date_pattern

from .catalogue import MAX_THEMES

HISTORY_PAGE = 1000
DATE_RANGE = validate.Range(min=dt.date(2000, 1, 1), max=dt.date(2999, 12, 31),
                            error="Give a date between 2000 and 2999.")


BILLING_DATE = "A date to come (today or later in Paris) at most 2 months away."


def _date(**kwargs) -> fields.Date:
    kwargs.setdefault("metadata", {})["pattern"] = date_pattern(2000, 2999)
    return fields.Date(format="%Y-%m-%d", validate=DATE_RANGE, **kwargs)


class PreferencesPatch(Schema):
    openapi_rules = {"minProperties": 1}  # themes, email or both

    themes = fields.Dict(keys=CleanString(min_length=1, max_length=64), values=StrictBoolean(),
                         validate=validate.Length(min=1, max=MAX_THEMES),
                         metadata={"minProperties": 1, "maxProperties": MAX_THEMES,
                                   "description": "Theme key (one of GET /v1/preferences/catalogue's) -> on (true) "
                                                  "or off (false)."})
    email = StrictBoolean(metadata={"description": "Notifications also sent by e-mail."})

    @validates_schema
    def _something(self, data, **kwargs):
        if not data:
            raise ValidationError("Give themes, email or both.", "_schema")


class DirectDebitIn(Schema):
    active = StrictBoolean(required=True)
    next_billing_date = _date(metadata={"description": "When ending direct debit ends paperless: the next "
                                                       "billing date (default: from the paperless request's). "
                                                       + BILLING_DATE})


class PaperlessIn(Schema):
    next_billing_date = _date(required=True, metadata={"description": BILLING_DATE})


class PaperlessEndQuery(Schema):
    next_billing_date = _date(metadata={"description": "The next billing date (default: the next one of the "
                                                       "monthly billing given when paperless was asked). "
                                                       + BILLING_DATE})


class PaperlessOut(Schema):
    status = fields.String(metadata={"enum": ["off", "pending", "on", "ending"]})
    effective_on = fields.String(allow_none=True, metadata={"format": "date"})
    last_electronic_on = fields.String(allow_none=True, metadata={"format": "date"})


class PreferencesOut(Schema):
    themes = fields.Dict(keys=fields.String(), values=fields.Boolean())
    email = fields.Boolean()
    paperless = fields.Nested(PaperlessOut)
    direct_debit = fields.Boolean()


class ChangeOut(Schema):
    """One change of an account's preferences, dumped from the model."""

    id = fields.Integer()
    recorded_at = Rfc3339()
    actor = fields.String(metadata={"enum": ["portal", "dpo", "dsar"]})
    actor_name = fields.String(allow_none=True)
    channel = fields.String(allow_none=True)
    change = fields.String()
    asked = fields.Dict(allow_none=True)
    before = fields.Nested(PreferencesOut)
    after = fields.Nested(PreferencesOut)
    note = fields.String(allow_none=True)


class HistoryQuery(Schema):
    limit = fields.Integer(load_default=HISTORY_PAGE, validate=validate.Range(min=1, max=HISTORY_PAGE),
                           metadata={"description": "At most this many changes (newest first)."})
    before = fields.Integer(validate=validate.Range(min=1, max=2**31 - 1),
                            metadata={"description": "Only changes older than this id (the previous page's "
                                                     "next_before)."})


class HistoryOut(Schema):
    items = fields.List(fields.Nested(ChangeOut))
    next_before = fields.Integer(allow_none=True, metadata={
        "description": "When older changes remain: pass it as ?before= for the next page; else null."})


class Texts(Schema):
    fr = fields.String()
    en = fields.String()


class ThemeOut(Schema):
    key = fields.String()
    label = fields.Nested(Texts)
    description = fields.Nested(Texts)
    default = fields.Boolean()
    mandatory = fields.Boolean()


class EmailOut(Schema):
    default = fields.Boolean()
    label = fields.Nested(Texts)


class CatalogueOut(Schema):
    themes = fields.List(fields.Nested(ThemeOut))
    email = fields.Nested(EmailOut)


class PostalChangeIn(Schema):
    """What a DPO records from a tenant's letter (or call, or e-mail) besides the choices."""

    channel = fields.String(required=True, validate=validate.OneOf(("post", "email", "phone")))
    version = fields.Integer(required=True, strict=False, validate=validate.Range(min=0, max=2**31 - 1),
                             metadata={"description": "The preferences' version the form showed."})
    note = CleanString(max_length=500, load_default=None)
    next_billing_date = _date(load_default=None)
