"""The back-office's rules, one module per page family (users and sign-in, the audit trail,
cases, consent proofs, policies, purge receipts). DSAR actions go through ``dsar.workflow``
with ``dsar.schemas`` (their rules, not a copy). Services flush, never commit.

This module holds what every family shares: :func:`setting` and :class:`Refused`."""
from __future__ import annotations

import re

from flask import current_app

# Ids the pages take from a path or a form: consent ids, purge ids.
OPAQUE_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


def setting(name: str):
    """A back-office setting (declared, parsed and validated in consent_service.config)."""
    return current_app.config[name]


class Refused(Exception):
    """A DSAR action the workflow refused: ``message`` and per-field ``errors`` to show."""

    def __init__(self, message: str | None, errors: dict | None = None, code: int = 409):
        super().__init__(message or "refused")
        self.message, self.errors, self.code = message, errors or {}, code

