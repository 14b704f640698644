"""Marshmallow schemas of the cookie API (docs/api.md)."""
from __future__ import annotations

from urllib.parse import urlsplit

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from consent_service.fields import ACCOUNT_ID_PATTERN, CleanString, Rfc3339, StrictBoolean, identifier

from . import consent_mode
from .models import ACTIONS
from .texts import TEXT_KEYS

SITE_KEY = validate.Regexp(r"^[a-z0-9][a-z0-9-]{0,62}$", error="Use 1 to 63 lower-case letters, digits or '-'.")
HOSTNAME = validate.Regexp(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$",
                           error="Not a host name.")
COOKIE_NAME = validate.Regexp(r"^[!#$%&'+\-.^_`|~0-9A-Za-z]+\*?$", error="Not a cookie name.")


def _origin(value: str) -> None:
    parts = urlsplit(value)
    if parts.scheme not in {"http", "https"} or not parts.hostname or parts.path or parts.query or parts.fragment \
            or parts.username or parts.password:
        raise ValidationError("An origin is scheme://host[:port] with no path.")
    try:
        _ = parts.port  # parsing it is the check
    except ValueError:
        raise ValidationError("Bad port.") from None


# What _origin accepts, as the OpenAPI document says it: a DNS name or IPv4 address, a port up to 65535.
_PORT = r"(6553[0-5]|655[0-2]\d|65[0-4]\d\d|6[0-4]\d{3}|[1-5]\d{4}|\d{1,4})"
ORIGIN = {"pattern": rf"^https?://[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?(:{_PORT})?$",
          "description": "An origin: http(s)://host[:port], no path, no trailing '/'."}


class SiteIn(Schema):
    key = CleanString(required=True, max_length=63, validate=[SITE_KEY])
    name = CleanString(required=True, min_length=1, max_length=200)
    allowed_origins = fields.List(CleanString(max_length=300, validate=[_origin], metadata=dict(ORIGIN)), required=True,
                                  validate=validate.Length(max=50))
    cookie_domain = CleanString(max_length=253, allow_none=True, load_default=None, validate=[HOSTNAME])


class SiteChanges(Schema):
    """``PATCH /v1/sites/{site}``: any of the three, at least one."""

    openapi_rules = {"minProperties": 1}

    name = CleanString(min_length=1, max_length=200)
    allowed_origins = fields.List(CleanString(max_length=300, validate=[_origin], metadata=dict(ORIGIN)),
                                  validate=validate.Length(max=50))
    cookie_domain = CleanString(max_length=253, allow_none=True, validate=[HOSTNAME])

    @validates_schema
    def _something(self, data, **kwargs):
        if not data:
            raise ValidationError("Give name, allowed_origins or cookie_domain.", "_schema")


def origin_problem(value: str) -> str | None:
    """Why ``value`` is not an origin (``scheme://host[:port]``), or None."""
    try:
        _origin(value)
    except ValidationError as err:
        return " ".join(err.messages)
    return None


class SiteOut(Schema):
    key = fields.String()
    name = fields.String()
    allowed_origins = fields.List(fields.String())
    cookie_domain = fields.String(allow_none=True)
    created_at = Rfc3339()


class Label(Schema):
    fr = CleanString(required=True, min_length=1, max_length=100)
    en = CleanString(required=True, min_length=1, max_length=100)


class Description(Schema):
    fr = CleanString(required=True, max_length=2000, multiline=True)
    en = CleanString(required=True, max_length=2000, multiline=True)


class CategoryIn(Schema):
    key = CleanString(required=True, max_length=32,
                      validate=[validate.Regexp(r"^[a-z][a-z0-9_]*$", error="Use lower-case letters, digits, '_'.")])
    required = StrictBoolean(required=True)
    label = fields.Nested(Label, required=True)
    description = fields.Nested(Description, required=True)
    consent_mode = fields.List(
        fields.String(validate=validate.OneOf(consent_mode.SIGNALS)), load_default=None,
        validate=validate.Length(max=len(consent_mode.SIGNALS)),
        metadata={"description": "Google Consent Mode v2 signals this category grants (docs/banner.md). "
                                 "Omitted: analytics → analytics_storage; marketing, advertising or ads → "
                                 "ad_storage, ad_user_data, ad_personalization; other keys none."})


class CookieIn(Schema):
    name = CleanString(required=True, min_length=1, max_length=128, validate=[COOKIE_NAME])
    category = CleanString(required=True, max_length=32)
    description = fields.Nested(Description, required=True)
    type = CleanString(load_default="", max_length=200)
    purpose = CleanString(load_default="", max_length=200)
    lifetime = CleanString(load_default="", max_length=100)


class BannerTexts(Schema):
    title = CleanString(required=True, min_length=1, max_length=200)
    body = CleanString(required=True, min_length=1, max_length=2000, multiline=True)
    accept_all = CleanString(required=True, min_length=1, max_length=60)
    refuse_all = CleanString(required=True, min_length=1, max_length=60)
    customize = CleanString(required=True, min_length=1, max_length=60)
    learn_more = CleanString(required=True, min_length=1, max_length=60)
    save = CleanString(required=True, min_length=1, max_length=60)
    manage = CleanString(required=True, min_length=1, max_length=60)


assert tuple(BannerTexts._declared_fields) == TEXT_KEYS


class TextsIn(Schema):
    fr = fields.Nested(BannerTexts, required=True)
    en = fields.Nested(BannerTexts, required=True)


class PolicyIn(Schema):
    categories = fields.List(fields.Nested(CategoryIn), required=True, validate=validate.Length(min=1, max=20),
                             metadata={"description": "Each key once; a Consent Mode signal in one category only."})
    cookies = fields.List(fields.Nested(CookieIn), required=True, validate=validate.Length(max=200),
                          metadata={"description": "Each name once; each cookie's category is the key of one of "
                                                   "the categories."})
    accept_validity_months = fields.Integer(load_default=13, strict=True, validate=validate.Range(min=1, max=24))
    refuse_validity_months = fields.Integer(load_default=1, strict=True, validate=validate.Range(min=1, max=24))
    implied_consent_on_continue = StrictBoolean(load_default=False)
    texts = fields.Nested(TextsIn, load_default=None)

    @validates_schema
    def _consistent(self, data, **kwargs):
        keys = [c["key"] for c in data.get("categories", [])]
        if len(set(keys)) != len(keys):
            raise ValidationError("Category keys must be unique.", "categories")
        names = [c["name"] for c in data.get("cookies", [])]
        if len(set(names)) != len(names):
            raise ValidationError("Cookie names must be unique.", "cookies")
        unknown = {c["name"]: ["Unknown category."] for c in data.get("cookies", []) if c["category"] not in keys}
        if unknown:
            raise ValidationError(unknown, "cookies")
        twice = consent_mode.duplicated_signals(data.get("categories", []))
        if twice:
            raise ValidationError(f"A Consent Mode signal belongs to one category: {', '.join(twice)}.", "categories")


class PolicyOut(Schema):
    """A published policy version, dumped from the model: its site, number and time, then its document."""

    site = fields.String(attribute="site.key")
    version = fields.Integer()
    published_at = Rfc3339()
    categories = fields.List(fields.Dict(), attribute="document.categories")
    cookies = fields.List(fields.Dict(), attribute="document.cookies")
    accept_validity_months = fields.Integer(attribute="document.accept_validity_months")
    refuse_validity_months = fields.Integer(attribute="document.refuse_validity_months")
    implied_consent_on_continue = fields.Boolean(attribute="document.implied_consent_on_continue")
    texts = fields.Dict(attribute="document.texts")


class Finding(Schema):
    rule = fields.String()
    severity = fields.String(validate=validate.OneOf(["error", "warning"]))
    message = fields.String()


class LintOut(Schema):
    site = fields.String()
    version = fields.Integer()
    findings = fields.List(fields.Nested(Finding))


def _page_url(value: str) -> None:
    try:
        parts = urlsplit(value)
        valid = parts.scheme in {"http", "https"} and bool(parts.hostname)
    except ValueError:  # "http://9]/": urlsplit refuses a broken IPv6 host
        valid = False
    if not valid:
        raise ValidationError("The page must be an http(s) URL.")


class ConsentIn(Schema):
    # a custom choice lists its categories; any other choice lists none
    openapi_rules = {"anyOf": [
        {"required": ["action", "categories"], "properties": {"action": {"type": "string", "enum": ["custom"]}}},
        {"properties": {"action": {"type": "string", "enum": [a for a in ACTIONS if a != "custom"]},
                        "categories": {"not": {}}}},
    ]}

    action = fields.String(required=True, validate=validate.OneOf(ACTIONS))
    categories = fields.Dict(keys=CleanString(max_length=32), values=StrictBoolean(),
                             validate=validate.Length(max=20), metadata={
                                 "maxProperties": 20,
                                 "description": "Only with action custom, which requires it: category key "
                                                "(at most 32 characters, no control character) -> granted."})
    visitor_id = identifier(validate=[validate.Length(min=8, max=64)])
    locale = CleanString(load_default="fr", validate=[validate.OneOf(["fr", "en"])])
    page = CleanString(max_length=2048, validate=[_page_url], metadata={
        "pattern": r"^https?://[A-Za-z0-9._-]+(:\d{1,5})?([/?#][^\u0000-\u001f\u007f]*)?$",
        "description": "The page's absolute http(s) URL; omit the field rather than send an empty string."})
    banner = fields.String(validate=validate.Regexp(r"^[0-9a-f]{16}$", error="Not a banner bundle id."),
                           metadata={"description": "The id banner.js was served with (docs/proofs.md)."})

    @validates_schema
    def _categories_only_for_custom(self, data, **kwargs):
        if data.get("action") != "custom" and "categories" in data:
            raise ValidationError("Only a custom choice lists categories.", "categories")
        if data.get("action") == "custom" and "categories" not in data:
            raise ValidationError("A custom choice lists its categories.", "categories")


class CookieValue(Schema):
    value = fields.String()
    max_age = fields.Integer()


class ConsentCookies(Schema):
    cookie_consent = fields.Nested(CookieValue)
    r_ci = fields.Nested(CookieValue)


class ConsentOut(Schema):
    consent_id = fields.String()
    visitor_id = fields.String()
    site = fields.String()
    policy_version = fields.Integer()
    action = fields.String()
    categories = fields.Dict(keys=fields.String(), values=fields.Boolean())
    recorded_at = fields.String()
    valid_until = fields.String()
    cookies = fields.Nested(ConsentCookies)


class ConsentStateOut(Schema):
    show_banner = fields.Boolean()
    reason = fields.String(allow_none=True)
    categories = fields.Dict(keys=fields.String(), values=fields.Boolean())
    consent_id = fields.String(allow_none=True)
    policy_version = fields.Integer(allow_none=True)
    valid_until = fields.String(allow_none=True)
    gpc = fields.Boolean()


class ProofOut(Schema):
    """The proof of one decision, dumped from its record."""

    consent_id = fields.String()
    site = fields.String()
    policy_version = fields.Integer()
    texts_hash = fields.String()
    action = fields.String()
    categories = fields.Dict(keys=fields.String(), values=fields.Boolean())
    recorded_at = Rfc3339()
    valid_until = Rfc3339()
    visitor_id = fields.String()
    ip = fields.String(allow_none=True)
    user_agent = fields.String(allow_none=True)
    page = fields.String(allow_none=True)
    gpc = fields.Boolean()
    locale = fields.String()
    banner_hash = fields.String(allow_none=True)


class ProofList(Schema):
    items = fields.List(fields.Nested(ProofOut))


class HistoryQuery(Schema):
    visitor_id = identifier(metadata={"description": "Give exactly one of visitor_id or account_id."})
    account_id = CleanString(max_length=128, min_length=1, metadata={
        "pattern": ACCOUNT_ID_PATTERN, "description": "Give exactly one of visitor_id or account_id."})

    @validates_schema
    def _exactly_one(self, data, **kwargs):
        if ("visitor_id" in data) == ("account_id" in data):
            raise ValidationError("Give exactly one of visitor_id or account_id.", "_schema")


class VisitorLinkIn(Schema):
    visitor_id = identifier(required=True, validate=[validate.Length(min=8, max=64)])
