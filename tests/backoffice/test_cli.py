"""``flask dpo create-user EMAIL --role dpo|auditor`` (docs/backoffice.md)."""
from __future__ import annotations

from werkzeug.security import check_password_hash

from consent_service.extensions import db

GOOD = "a long enough passphrase 42\n"


def _create(app, *args, stdin=GOOD):
    return app.test_cli_runner().invoke(args=["dpo", "create-user", *args], input=stdin)


def _users():
    from backoffice.models import BackofficeUser

    db.session.expire_all()
    return list(db.session.execute(db.select(BackofficeUser)).scalars())


def test_create_user_stores_a_scrypt_hash_of_the_first_line(bo):
    result = _create(bo, "DPO@Bailleur.example.fr", "--role", "dpo", stdin=GOOD + "second line ignored\n")
    assert result.exit_code == 0, result.output
    (user,) = _users()
    assert user.email == "dpo@bailleur.example.fr" and user.role == "dpo"
    assert user.password_hash.startswith("scrypt:") and check_password_hash(user.password_hash, GOOD.strip("\n"))
    assert "passphrase" not in result.output


def test_create_user_makes_an_auditor(bo):
    assert _create(bo, "audit@bailleur.example.fr", "--role", "auditor").exit_code == 0
    assert [u.role for u in _users()] == ["auditor"]


def test_a_duplicate_address_is_refused(bo):
    assert _create(bo, "dpo@bailleur.example.fr", "--role", "dpo").exit_code == 0
    again = _create(bo, "Dpo@bailleur.example.fr", "--role", "auditor")
    assert again.exit_code != 0 and "already exists" in again.output
    assert len(_users()) == 1


def test_a_bad_role_is_refused(bo):
    result = _create(bo, "dpo@bailleur.example.fr", "--role", "admin")
    assert result.exit_code != 0 and "admin" in result.output
    assert _users() == []


def test_an_empty_or_weak_password_is_refused(bo):
    for stdin in ("", "\n", "   \n", "short\n", "aaaaaaaaaaaaaaaa\n", "motdepasse123\n"):
        result = _create(bo, "dpo@bailleur.example.fr", "--role", "dpo", stdin=stdin)
        assert result.exit_code != 0, stdin
        assert "password" in result.output.lower()
    assert _users() == []


def test_a_bad_address_is_refused(bo):
    assert _create(bo, "not-an-address", "--role", "dpo").exit_code != 0
    assert _create(bo, "x" * 96 + "@b.fr", "--role", "dpo").exit_code != 0
    assert _users() == []


def test_demo_makes_a_dpo_and_an_auditor_once(bo):
    from backoffice.demo import load_demo_users

    first = load_demo_users()
    db.session.commit()
    assert "dpo@demo.example.fr (dpo) password " in first and "auditeur@demo.example.fr (auditor)" in first
    assert sorted(u.role for u in _users()) == ["auditor", "dpo"]
    assert "already exist" in load_demo_users()
    assert len(_users()) == 2
