"""The DPO's actions on a request, in one table shared by the API (``dsar/views.py``) and
the back-office: each action's input schema and the workflow function it calls."""
from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from typing import Any

from marshmallow import Schema, ValidationError

from consent_service.errors import Invalid, stale_write_is_conflict

from . import schemas, workflow
from .models import DsarRequest


@dataclasses.dataclass(frozen=True)
class Action:
    schema: type[Schema]
    run: Callable[[str, dict[str, Any], str], DsarRequest]  # (reference, loaded body, actor)


ACTIONS: Mapping[str, Action] = {
    "classify": Action(schemas.ClassifyIn, lambda ref, d, actor: workflow.classify(ref, d["type"], actor)),
    "verify": Action(schemas.VerifyIn, lambda ref, d, actor: workflow.verify(ref, d["method"], d["note"], actor)),
    "extend": Action(schemas.ExtendIn, lambda ref, d, actor: workflow.extend(ref, d["reason"], actor)),
    "execute": Action(schemas.ExecuteIn, workflow.execute),
    "reject": Action(schemas.RejectIn,
                     lambda ref, d, actor: workflow.reject(ref, d["ground"], d["reason"], actor)),
    "complete": Action(schemas.CompleteIn, lambda ref, d, actor: workflow.complete(ref, d["summary"], actor)),
    "withdraw": Action(schemas.WithdrawIn, lambda ref, d, actor: workflow.withdraw(ref, d.get("note"), actor)),
}


def load(action: str, body: Mapping[str, Any]) -> dict[str, Any]:
    """``body`` checked by the action's schema; raises :class:`Invalid` (422) per field."""
    try:
        loaded: dict[str, Any] = ACTIONS[action].schema().load(body)
    except ValidationError as err:
        raise Invalid(errors=err.normalized_messages()) from None
    return loaded


def perform(action: str, reference: str, data: dict[str, Any], actor: str) -> DsarRequest:
    """Run ``action`` with a body its schema loaded, as ``actor``; raises the
    :mod:`consent_service.errors` family. The caller commits (``errors.commit``)."""
    with stale_write_is_conflict():
        return ACTIONS[action].run(reference, data, actor)


def run(action: str, reference: str, body: Mapping[str, Any], actor: str) -> DsarRequest:
    """:func:`perform` on a raw ``body`` (a form's), checked by the action's schema first."""
    return perform(action, reference, load(action, body), actor)
