"""Disabling a user, resetting a password (flask dpo …), and the optional second factor (TOTP),
required for DPO accounts when BACKOFFICE_REQUIRE_2FA is true."""
from __future__ import annotations

import datetime as dt
import html
import re

import pyotp
import pytest

from consent_service import clock
from consent_service.extensions import db

from .conftest import HTML, NOW, PASSWORD, sign_in


def _user(email="dpo@bailleur.example.fr"):
    from backoffice.models import BackofficeUser

    db.session.expire_all()
    return db.session.execute(db.select(BackofficeUser).where(BackofficeUser.email == email)).scalar_one()


def test_a_disabled_user_is_refused_at_sign_in_and_loses_an_open_session(bo, make_user, dpo_client):
    make_user("other@bailleur.example.fr")
    result = bo.test_cli_runner().invoke(args=["dpo", "disable-user", "DPO@bailleur.example.fr"])
    assert result.exit_code == 0, result.output
    assert dpo_client.get("/backoffice/", headers=HTML).status_code == 302  # the open session ends
    fresh = bo.test_client()
    response = sign_in(fresh)
    assert response.status_code == 200 and "Connexion impossible" in html.unescape(response.get_data(as_text=True))
    assert sign_in(bo.test_client(), "other@bailleur.example.fr").status_code == 302  # others are untouched
    assert _user().disabled_at is not None


def test_disable_user_of_an_unknown_address_fails(bo):
    result = bo.test_cli_runner().invoke(args=["dpo", "disable-user", "nobody@example.fr"])
    assert result.exit_code == 1 and "No back-office user" in result.output


def test_reset_password_sets_a_new_one_and_unlocks(bo, make_user):
    make_user()
    user = _user()
    user.locked_until, user.failed_logins = NOW + dt.timedelta(minutes=10), 3
    db.session.commit()
    new = "une toute nouvelle phrase de passe"
    result = bo.test_cli_runner().invoke(args=["dpo", "reset-password", "dpo@bailleur.example.fr"], input=new + "\n")
    assert result.exit_code == 0, result.output
    assert sign_in(bo.test_client(), password=PASSWORD).status_code == 200  # the old one no longer opens
    assert sign_in(bo.test_client(), password=new).status_code == 302


def test_reset_password_refuses_a_weak_password_and_keeps_the_old(bo, make_user):
    make_user()
    result = bo.test_cli_runner().invoke(args=["dpo", "reset-password", "dpo@bailleur.example.fr"], input="court\n")
    assert result.exit_code == 1 and "12 characters" in result.output
    assert sign_in(bo.test_client()).status_code == 302


def _secret_of(page: str) -> str:
    return re.search(r'<code class="secret">([A-Z2-7]+)</code>', page).group(1)


def test_with_2fa_required_a_dpo_enrols_then_always_gives_a_code(bo, make_user):
    bo.config["BACKOFFICE_REQUIRE_2FA"] = True
    make_user()
    client = bo.test_client()
    step = sign_in(client)
    assert step.status_code == 302 and step.headers["Location"].endswith("/backoffice/login/code")
    assert client.get("/backoffice/", headers=HTML).status_code == 302  # not signed in yet
    page = client.get("/backoffice/login/code", headers=HTML).get_data(as_text=True)
    secret = _secret_of(page)
    assert "otpauth://totp/" in html.unescape(page)
    wrong = client.post("/backoffice/login/code", data={"code": "000000"}, headers=HTML)
    assert wrong.status_code == 200 and "Code incorrect" in html.unescape(wrong.get_data(as_text=True))
    right = client.post("/backoffice/login/code", data={"code": pyotp.TOTP(secret).at(clock.now())}, headers=HTML)
    assert right.status_code == 302 and client.get("/backoffice/", headers=HTML).status_code == 200
    assert _user().totp_secret == secret
    # Next time: the password, then a code from the same secret; no new key is shown.
    again = bo.test_client()
    assert sign_in(again).headers["Location"].endswith("/backoffice/login/code")
    assert "secret" not in again.get("/backoffice/login/code", headers=HTML).get_data(as_text=True)
    clock.set_now(NOW + dt.timedelta(minutes=2))
    assert again.post("/backoffice/login/code", data={"code": pyotp.TOTP(secret).at(clock.now())},
                      headers=HTML).status_code == 302


def test_an_auditor_is_not_asked_for_a_code_unless_enrolled(bo, make_user):
    bo.config["BACKOFFICE_REQUIRE_2FA"] = True
    make_user("auditor@bailleur.example.fr", "auditor")
    assert sign_in(bo.test_client(), "auditor@bailleur.example.fr").headers["Location"].endswith("/backoffice/")


def test_without_the_requirement_no_code_is_asked(bo, make_user):
    make_user()
    assert sign_in(bo.test_client()).headers["Location"].endswith("/backoffice/")


def test_wrong_codes_count_towards_the_lock(bo, make_user):
    bo.config["BACKOFFICE_REQUIRE_2FA"] = True
    make_user()
    user = _user()
    user.totp_secret = pyotp.random_base32()
    db.session.commit()
    client = bo.test_client()
    sign_in(client)
    for _ in range(5):
        client.post("/backoffice/login/code", data={"code": "123456"}, headers=HTML)
    assert _user().locked_until is not None
    good = pyotp.TOTP(_user().totp_secret).at(clock.now())
    assert client.post("/backoffice/login/code", data={"code": good}, headers=HTML).status_code == 200


def test_the_code_step_without_a_password_step_leads_back_to_sign_in(bo):
    client = bo.test_client()
    assert client.get("/backoffice/login/code", headers=HTML).headers["Location"].endswith("/backoffice/login")
    assert client.post("/backoffice/login/code", data={"code": "123456"}, headers=HTML) \
        .headers["Location"].endswith("/backoffice/login")


def test_the_password_step_expires(bo, make_user):
    bo.config["BACKOFFICE_REQUIRE_2FA"] = True
    make_user()
    client = bo.test_client()
    sign_in(client)
    secret = _secret_of(client.get("/backoffice/login/code", headers=HTML).get_data(as_text=True))
    clock.set_now(NOW + dt.timedelta(minutes=6))
    late = client.post("/backoffice/login/code", data={"code": pyotp.TOTP(secret).at(clock.now())}, headers=HTML)
    assert late.headers["Location"].endswith("/backoffice/login") and _user().totp_secret is None


def test_the_requirement_comes_from_the_environment_and_a_bad_value_stops_start_up(app_with, make_app):
    from backoffice.services import users
    from consent_service.config import SettingsError

    app = app_with(environ={"BACKOFFICE_REQUIRE_2FA": "true"}, WTF_CSRF_ENABLED=False,
                   BACKOFFICE_LOGIN_RATE_LIMIT="off")
    assert app.config["BACKOFFICE_REQUIRE_2FA"] is True
    users.create_user("dpo@bailleur.example.fr", PASSWORD, "dpo")
    db.session.commit()
    assert sign_in(app.test_client()).headers["Location"].endswith("/backoffice/login/code")
    with pytest.raises(SettingsError, match="BACKOFFICE_REQUIRE_2FA"):
        make_app(environ={"BACKOFFICE_REQUIRE_2FA": "perhaps"})
