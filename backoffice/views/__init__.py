"""The back-office pages (thin: read the form, call a service, commit, render or redirect), one
module per page family; :mod:`.base` holds the blueprint, the guard and the shared helpers.
A new family is a module here that adds routes to ``bp`` (and a line to ``base.NAV``)."""
from __future__ import annotations

from . import accounts, audit, auth, cases, intake, mail, policies, proofs, purges, registers, seals  # noqa: F401  (each adds its routes)
from .base import bp, guard

__all__ = ["bp", "guard"]
