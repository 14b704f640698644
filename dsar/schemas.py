"""Marshmallow schemas of the request API (docs/rights-requests.md)."""
from __future__ import annotations

import datetime as dt

from marshmallow import Schema, ValidationError, fields, validate, validates, validates_schema

from consent_service import clock
from consent_service.fields import ACCOUNT_ID_PATTERN, CleanString, Rfc3339, account_id_is_valid
from consent_service.openapi_rules import date_pattern

from .models import CHANNELS, LOCALES, REJECTION_GROUNDS, STATUSES, TYPES, VERIFICATION_METHODS
from .services import is_overdue


class EmailAddress(fields.Email):
    """An address of at most 254 characters, without control characters, trimmed."""

    def __init__(self, **kwargs):
        super().__init__(validate=[validate.Length(max=254)], **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, str):
            value = value.strip()
        return super()._deserialize(value, attr, data, **kwargs)


def _account_id(value: str) -> None:
    if not account_id_is_valid(value):
        raise ValidationError("Not a valid account id.")


def _birth_date(value: dt.date) -> None:
    if not dt.date(1900, 1, 1) <= value <= clock.now().date():
        raise ValidationError("Not a plausible birth date.")


class PublicRequestIn(Schema):
    type = fields.String(required=True, validate=validate.OneOf(TYPES))
    email = EmailAddress(required=True)
    full_name = CleanString(required=True, min_length=1, max_length=200)
    account_id = CleanString(max_length=128, validate=[_account_id], allow_none=True, load_default=None,
                             metadata={"pattern": ACCOUNT_ID_PATTERN})
    birth_date = fields.Date(allow_none=True, load_default=None, validate=_birth_date,
                             metadata={"description": "From 1900-01-01 to today.", "pattern": date_pattern(1900, 2099)})
    message = CleanString(max_length=5000, multiline=True, allow_none=True, load_default=None)
    locale = fields.String(load_default="fr", validate=validate.OneOf(LOCALES))


class IntakeIn(Schema):
    # a request received by e-mail gives the sender's address
    openapi_rules = {"anyOf": [{"properties": {"channel": {"type": "string", "enum": ["post", "phone"]}}},
                               {"required": ["email"], "properties": {"email": {"type": "string"}}}]}

    type = fields.String(required=True, allow_none=True, validate=validate.OneOf(TYPES))
    channel = fields.String(required=True, validate=validate.OneOf(("email", "post", "phone")))
    received_at = fields.AwareDateTime(required=True, format="iso", metadata={
        "description": "When the request arrived: at most 366 days ago, and not in the future (5 minutes of "
                       "clock skew are accepted)."})
    email = EmailAddress(allow_none=True, load_default=None)
    full_name = CleanString(required=True, min_length=1, max_length=200)
    account_id = CleanString(max_length=128, validate=[_account_id], allow_none=True, load_default=None,
                             metadata={"pattern": ACCOUNT_ID_PATTERN})
    message = CleanString(max_length=20000, multiline=True, allow_none=True, load_default=None)
    locale = fields.String(load_default="fr", validate=validate.OneOf(LOCALES))
    note = CleanString(max_length=2000, multiline=True, allow_none=True, load_default=None)

    @validates("received_at")
    def _not_in_the_future(self, value, **kwargs):
        if value > clock.now() + dt.timedelta(minutes=5):  # a little clock skew is not the future
            raise ValidationError("The receipt time cannot be in the future.")
        if value < clock.now() - dt.timedelta(days=366):
            raise ValidationError("The receipt time is more than a year ago.")

    @validates_schema
    def _email_channel_has_an_address(self, data, **kwargs):
        if data.get("channel") == "email" and not data.get("email"):
            raise ValidationError("A request received by e-mail gives the sender's address.", "email")


class Accepted(Schema):
    """The public form's answer, dumped from the request. Its status is always the same, so the
    answer never says whether the identity check already verified the subject."""

    reference = fields.String()
    status = fields.Constant("awaiting_verification", metadata={"type": "string", "enum": ["awaiting_verification"]})
    received_at = Rfc3339()
    due_on = fields.Date()
    due_at = Rfc3339()


class InboundAccepted(Schema):
    reference = fields.String()


class Event(Schema):
    at = Rfc3339()
    kind = fields.String()
    actor = fields.String()
    from_status = fields.String(allow_none=True)
    to_status = fields.String(allow_none=True)
    note = fields.String(allow_none=True)


class Mail(Schema):
    id = fields.Integer()
    subject = fields.String()
    status = fields.String()
    attempts = fields.Integer()
    last_error = fields.String(allow_none=True)
    created_at = Rfc3339()
    sent_at = Rfc3339(allow_none=True)


class OutboxItem(Mail):
    """An outgoing e-mail, dumped from the outbox's model."""

    to = fields.String()
    ref = fields.String(allow_none=True)


class OutboxList(Schema):
    items = fields.List(fields.Nested(OutboxItem))


class OutboxQuery(Schema):
    status = fields.String(validate=validate.OneOf(("queued", "sending", "sent", "failed")))
    limit = fields.Integer(load_default=200, validate=validate.Range(min=1, max=1000))


class RequestOut(Schema):
    """A request in the register, dumped from the model."""

    reference = fields.String()
    type = fields.String(allow_none=True)
    status = fields.String()
    channel = fields.String()
    received_at = Rfc3339()
    due_on = fields.Date()
    due_at = Rfc3339()
    extended = fields.Boolean()
    overdue = fields.Function(is_overdue, metadata={"type": "boolean"})


class RequestDetail(RequestOut):
    """One request with its subject, its outcome, its timeline (oldest first) and its e-mails."""

    email = fields.String(allow_none=True)
    full_name = fields.String(allow_none=True)
    account_id = fields.String(allow_none=True)
    locale = fields.String()
    message = fields.String(allow_none=True)
    verification_method = fields.String(allow_none=True)
    verified_at = Rfc3339(allow_none=True)
    extension_reason = fields.String(allow_none=True)
    rejection_ground = fields.String(allow_none=True)
    outcome = fields.String(allow_none=True)
    export_url = fields.String(allow_none=True)
    purge_id = fields.String(allow_none=True)
    closed_at = Rfc3339(allow_none=True)
    events = fields.List(fields.Nested(Event))
    mails = fields.List(fields.Nested(Mail))


class RequestList(Schema):
    items = fields.List(fields.Nested(RequestOut))


class ListQuery(Schema):
    status = fields.String(validate=validate.OneOf(STATUSES))
    type = fields.String(validate=validate.OneOf(TYPES))
    channel = fields.String(validate=validate.OneOf(CHANNELS))
    overdue = fields.Boolean(truthy={"true", "1"}, falsy={"false", "0"})
    limit = fields.Integer(load_default=500, validate=validate.Range(min=1, max=5000))


class ClassifyIn(Schema):
    type = fields.String(required=True, validate=validate.OneOf(TYPES))


class VerifyIn(Schema):
    method = fields.String(required=True, validate=validate.OneOf(VERIFICATION_METHODS))
    note = CleanString(required=True, min_length=1, max_length=2000, multiline=True)


class ExtendIn(Schema):
    reason = CleanString(required=True, min_length=1, max_length=2000, multiline=True)


def _changes(value: dict) -> None:
    if len(value) > 50:
        raise ValidationError("At most 50 changes.")
    for key, item in value.items():
        if item is not None and not isinstance(item, (str, int, float, bool)):
            raise ValidationError({key: ["A change is a string, a number, a boolean or null."]})
        if isinstance(item, str) and len(item) > 2000:
            raise ValidationError({key: ["At most 2000 characters."]})


class ExecuteIn(Schema):
    changes = fields.Dict(keys=CleanString(min_length=1, max_length=64), values=fields.Raw(allow_none=True, metadata={
                              "anyOf": [{"type": "string", "maxLength": 2000, "nullable": True},
                                        {"type": "number"}, {"type": "boolean"}]}),
                          validate=_changes, metadata={
                              "maxProperties": 50,
                              "description": "Field -> new value: at most 50; a field name has 1 to 64 characters, "
                                             "no control character."})
    categories = fields.List(
        CleanString(min_length=1, max_length=48, validate=[validate.Regexp(
            r"^[a-z][a-z0-9_]*$", error="Use lower-case letters, digits and '_'.")]),
        validate=validate.Length(min=1, max=50),
        metadata={"description": "An objection's consent categories or notification themes (default: the data "
                                 "map's objection_categories)."})


class RejectIn(Schema):
    ground = fields.String(required=True, validate=validate.OneOf(REJECTION_GROUNDS))
    reason = CleanString(required=True, min_length=1, max_length=5000, multiline=True)


class CompleteIn(Schema):
    summary = CleanString(required=True, min_length=1, max_length=5000, multiline=True)


class WithdrawIn(Schema):
    note = CleanString(max_length=2000, multiline=True, allow_none=True, load_default=None)
