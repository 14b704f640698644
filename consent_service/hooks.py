"""Typed hooks: the points where one feature package calls another without importing it.

Each hook is declared once, here, with the :class:`typing.Protocol` its implementation
follows; a feature registers its implementation from its ``init_app``
(``hooks.ACCOUNT_PURGED.register(app, services.account_purged)``) and the caller looks it
up (``hooks.ACCOUNT_PURGED.get()``; ``find()`` for an optional hook, which may be absent).
``create_app()`` calls :func:`check` once every feature is registered: a required hook that
nobody registered stops the start with a message saying which guarantee it carries, so a
missing or misspelt hook can never silently turn a GDPR guarantee off. The table of hooks,
who registers and who calls each, is in README.md (Architecture).
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any, Generic, Protocol, TypedDict, TypeVar

from flask import Flask, current_app

T = TypeVar("T")

_EXTENSION = "consent_service.hooks"
_NONE: dict[str, Any] = {}


class MissingHook(RuntimeError):
    """A required hook is not registered: the service refuses to start."""


class Hook(Generic[T]):
    """One implementation per application."""

    def __init__(self, name: str, guarantee: str, provider: str, *, required: bool = True) -> None:
        self.name, self.guarantee, self.provider, self.required = name, guarantee, provider, required

    def register(self, app: Flask, implementation: T) -> None:
        _registry(app)[self.name] = implementation

    def unregister(self, app: Flask) -> None:
        _registry(app).pop(self.name, None)

    def get(self, app: Flask | None = None) -> T:
        """The application's implementation, the current one's by default (a required hook was
        checked at start)."""
        found: T | None = (current_app if app is None else app).extensions.get(_EXTENSION, _NONE).get(self.name)
        if found is None:
            raise MissingHook(f"hook {self.name} is not registered: {self.guarantee} ({self.provider})")
        return found

    def find(self) -> T | None:
        """The implementation of an optional hook, or None."""
        found: T | None = current_app.extensions.get(_EXTENSION, _NONE).get(self.name)
        return found

    def missing(self, app: Flask) -> list[str]:
        return [] if not self.required or self.name in _registry(app) else [self.name]

    def __repr__(self) -> str:
        return f"<hook {self.name}>"


class KeyedHook(Generic[T]):
    """One implementation per key (a DSAR type, say). The reading package says which keys it
    needs (:meth:`require`); each must have an implementation."""

    def __init__(self, name: str, guarantee: str, provider: str) -> None:
        self.name, self.guarantee, self.provider = name, guarantee, provider

    def require(self, app: Flask, keys: Iterable[str]) -> None:
        _registry(app).setdefault(f"{self.name}:required", set()).update(keys)

    def register(self, app: Flask, key: str, implementation: T) -> None:
        _registry(app).setdefault(self.name, {})[key] = implementation

    def unregister(self, app: Flask, key: str) -> None:
        _registry(app).get(self.name, {}).pop(key, None)

    def get(self, key: str) -> T | None:
        found: T | None = current_app.extensions.get(_EXTENSION, _NONE).get(self.name, _NONE).get(key)
        return found

    def missing(self, app: Flask) -> list[str]:
        present = _registry(app).get(self.name, {})
        required = sorted(_registry(app).get(f"{self.name}:required", ()))
        return [f"{self.name}[{key!r}]" for key in required if key not in present]

    def __repr__(self) -> str:
        return f"<hook {self.name}[...]>"


def _registry(app: Flask) -> dict[str, Any]:
    registry: dict[str, Any] = app.extensions.setdefault(_EXTENSION, {})
    return registry


# --- the protocols ---------------------------------------------------------------------------


class ObjectionLookup(Protocol):
    """The consent categories ``visitor_id``'s account objected to. Called on every
    consent-state answer: it must answer from memory (a short-lived cache), not a query."""

    def __call__(self, visitor_id: str, /) -> Iterable[str]: ...


class AccountPurged(Protocol):
    """Whether ``account_id``'s purge has started (or is done)."""

    def __call__(self, account_id: str, /) -> bool: ...


class IdentityVerifier(Protocol):
    """Whether the portal's records match this account id, birth date and e-mail."""

    def __call__(self, account_id: str, birth_date: dt.date, email: str, /) -> bool: ...


class AddressCheck(Protocol):
    """How ``address`` compares with ``account_id``'s address on file: ``match``, ``mismatch``,
    ``no_account``, ``not_mapped`` (no identity block) or ``unavailable``."""

    def __call__(self, account_id: str | None, address: str | None, /) -> str: ...


class ExecutableRequest(Protocol):
    """What an executor reads of a data-subject request (read-only)."""

    @property
    def reference(self) -> str: ...
    @property
    def type(self) -> str | None: ...
    @property
    def account_id(self) -> str | None: ...
    @property
    def locale(self) -> str | None: ...


class ExecutionResult(TypedDict):
    note: str                 # for the timeline: ids and counts only
    export_url: str | None    # an access export's signed link
    purge_id: str | None      # an erasure's purge


class Executor(Protocol):
    """Carries out a verified request, or raises a :mod:`consent_service.errors` exception
    (the request is then unchanged and the API answers that error)."""

    def __call__(self, request: ExecutableRequest, body: dict[str, Any], /) -> ExecutionResult: ...


# --- the hooks -------------------------------------------------------------------------------

CONSENT_OBJECTIONS: Hook[ObjectionLookup] = Hook(
    "consent_objections", "an account's objections to turn its visitors' categories off in the consent state",
    "datamap.init_app")
ACCOUNT_PURGED: Hook[AccountPurged] = Hook(
    "account_purged", "no visitor linked to, and no request kept whole for, a purged account",
    "datamap.init_app")
IDENTITY_VERIFIER: Hook[IdentityVerifier] = Hook(
    "dsar_identity_verifier", "a form's account id and birth date to verify the subject at once",
    "datamap.init_app", required=False)
ADDRESS_CHECK: Hook[AddressCheck] = Hook(
    "dsar_address_check", "the e-mailed link to verify a request naming an account only from the address on file",
    "datamap.init_app")
DSAR_EXECUTORS: KeyedHook[Executor] = KeyedHook(
    "dsar_executors", "a verified request of each type to be carried out (exports, purges, rectification...)",
    "datamap.init_app")

HOOKS: tuple[Hook[Any] | KeyedHook[Any], ...] = (CONSENT_OBJECTIONS, ACCOUNT_PURGED, IDENTITY_VERIFIER, ADDRESS_CHECK,
                                                 DSAR_EXECUTORS)


def check(app: Flask) -> None:
    """Refuse to start when a required hook is not registered; name each and what it carries."""
    problems = [f"{name}: {hook.guarantee} (registered by {hook.provider})"
                for hook in HOOKS for name in hook.missing(app)]
    if problems:
        raise MissingHook("The service cannot start: required hook(s) not registered:\n  "
                          + "\n  ".join(problems))
