"""The preferences API under ``/v1/accounts/{account_id}/…`` (thin views, docs/preferences.md)."""
from __future__ import annotations

from typing import Any

from flask import g, request
from flask_smorest import Blueprint
from marshmallow import RAISE

from consent_service import apikeys
from consent_service.errors import Invalid, commit
from consent_service.fields import account_id_is_valid

from . import schemas, services
from .services import Actor

blp = Blueprint("preferences", __name__, url_prefix="/v1",
                description="« Mes préférences »: notification themes, paperless rent notices, their history")
SCOPE = "accounts:write"


def _account(account_id: str) -> str:
    if not account_id_is_valid(account_id):
        raise Invalid("Not a valid account id.", {"account_id": ["Not a valid account id."]})
    return account_id


def _portal() -> Actor:
    return Actor.portal(g.get("api_key_name"))


def _saved(state: dict[str, Any]) -> dict[str, Any]:
    commit()
    return state


@blp.route("/accounts/<string:account_id>/preferences", methods=["GET"])
@apikeys.require_scope(SCOPE)
@blp.response(200, schemas.PreferencesOut)
def get_preferences(account_id):
    """The account's preferences today (the catalogue's defaults for an account never seen)."""
    return services.preferences_of(_account(account_id))


@blp.route("/accounts/<string:account_id>/preferences", methods=["PATCH"])
@apikeys.require_scope(SCOPE)
@blp.arguments(schemas.PreferencesPatch)
@blp.response(200, schemas.PreferencesOut)
def patch_preferences(data, account_id):
    """Turn notification themes and the e-mail channel on or off (unknown or mandatory theme: 422)."""
    return _saved(services.update(_account(account_id), _portal(), data.get("themes"), data.get("email")))


@blp.route("/accounts/<string:account_id>/direct-debit", methods=["PUT"])
@apikeys.require_scope(SCOPE)
@blp.arguments(schemas.DirectDebitIn)
@blp.response(200, schemas.PreferencesOut)
def put_direct_debit(data, account_id):
    """Direct debit on or off; off ends paperless notices by the cancellation rule."""
    return _saved(services.set_direct_debit(_account(account_id), _portal(), data["active"],
                                            data.get("next_billing_date")))


@blp.route("/accounts/<string:account_id>/paperless", methods=["POST"])
@apikeys.require_scope(SCOPE)
@blp.arguments(schemas.PaperlessIn)
@blp.response(200, schemas.PreferencesOut)
@blp.alt_response(409, description="The tenant does not pay by direct debit (errors.direct_debit.fr/en to show).")
def start_paperless(data, account_id):
    """Electronic rent notices from the next billing date when asked at least 10 French working
    days before it, else from the billing date after."""
    return _saved(services.start_paperless(_account(account_id), _portal(), data["next_billing_date"]))


@blp.route("/accounts/<string:account_id>/paperless", methods=["DELETE"])
@apikeys.require_scope(SCOPE)
# A misspelt or repeated parameter is refused: ignoring it would apply the rule to another date.
@blp.arguments(schemas.PaperlessEndQuery, location="query", unknown=RAISE)
@blp.response(200, schemas.PreferencesOut)
def stop_paperless(query, account_id):
    """Paper notices again: from the next billing date, or when under 10 working days away, from
    the one after, with ``last_electronic_on``."""
    if len(request.args.getlist("next_billing_date")) > 1:
        raise Invalid("Give one next billing date.", {"next_billing_date": ["Give it once."]})
    return _saved(services.stop_paperless(_account(account_id), _portal(), query.get("next_billing_date")))


@blp.route("/accounts/<string:account_id>/preferences/history", methods=["GET"])
@apikeys.require_scope(SCOPE)
@blp.arguments(schemas.HistoryQuery, location="query")
@blp.response(200, schemas.HistoryOut)
def preference_history(query, account_id):
    """Every change, newest first: time, actor, channel, what was asked, before and after (a page
    of ``limit``; ``next_before`` leads to the older ones)."""
    found = services.history(_account(account_id), query["limit"] + 1, query.get("before"))
    page = found[:query["limit"]]
    return {"items": page,
            "next_before": page[-1].id if len(found) > len(page) else None}


@blp.route("/preferences/catalogue", methods=["GET"])
@apikeys.require_scope(SCOPE)
@blp.response(200, schemas.CatalogueOut)
def catalogue():
    """The notification themes, with their French and English labels and descriptions."""
    cat = services.catalogue()
    return {"themes": cat.themes, "email": {"default": cat.email_default, "label": cat.email_label}}
