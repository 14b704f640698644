"""Typed hooks: a required hook nobody registered stops the start, naming what it carries."""
from __future__ import annotations

import pytest

from consent_service import create_app, hooks
from dsar.models import TYPES

CONFIG = {"TESTING": True, "SECRET_KEY": "k", "SQLALCHEMY_DATABASE_URI": "sqlite://"}


def build():
    return create_app(dict(CONFIG), environ={"SECRET_KEY": "k"})


def test_the_service_starts_with_every_required_hook_registered():
    app = build()
    with app.app_context():
        assert callable(hooks.CONSENT_OBJECTIONS.get()) and callable(hooks.ACCOUNT_PURGED.get())
        assert all(callable(hooks.DSAR_EXECUTORS.get(type_)) for type_ in TYPES)


@pytest.mark.parametrize("hook", [hooks.CONSENT_OBJECTIONS, hooks.ACCOUNT_PURGED], ids=lambda h: h.name)
def test_start_up_fails_without_a_required_hook(monkeypatch, hook):
    monkeypatch.setattr(hook, "register", lambda app, implementation: None)  # a feature that forgot it
    with pytest.raises(hooks.MissingHook) as refused:
        build()
    message = str(refused.value)
    assert hook.name in message and hook.guarantee in message and "datamap.init_app" in message


@pytest.mark.parametrize("missing", TYPES)
def test_start_up_fails_without_an_executor_for_each_request_type(monkeypatch, missing):
    register = hooks.KeyedHook.register

    def skip_one(self, app, key, implementation):
        if key != missing:
            register(self, app, key, implementation)

    monkeypatch.setattr(hooks.KeyedHook, "register", skip_one)
    with pytest.raises(hooks.MissingHook, match=rf"dsar_executors\['{missing}'\]"):
        build()


def test_the_optional_identity_verifier_may_be_absent(monkeypatch):
    monkeypatch.setattr(hooks.IDENTITY_VERIFIER, "register", lambda app, implementation: None)
    app = build()
    with app.app_context():
        assert hooks.IDENTITY_VERIFIER.find() is None


def test_a_required_hook_removed_at_run_time_fails_loudly_rather_than_silently():
    app = build()
    hooks.ACCOUNT_PURGED.unregister(app)
    with app.app_context(), pytest.raises(hooks.MissingHook, match="account_purged"):
        hooks.ACCOUNT_PURGED.get()
