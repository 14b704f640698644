"""``flask demo``: a DPO and an auditor to sign in with, each with a random password shown once."""
from __future__ import annotations

import secrets

from consent_service.extensions import db

from .models import BackofficeUser
from .services import users

DEMO_USERS = (("dpo@demo.example.fr", "dpo"), ("auditeur@demo.example.fr", "auditor"))


def load_demo_users() -> str:
    """Create the demo users that do not exist yet (idempotent); returns their passwords once."""
    made = []
    for email, role in DEMO_USERS:
        if db.session.execute(db.select(BackofficeUser.id).where(BackofficeUser.email == email)).first():
            continue
        password = "-".join(secrets.token_urlsafe(6) for _ in range(3))
        users.create_user(email, password, role)
        made.append(f"{email} ({role}) password {password}")
    if not made:
        return "demo users already exist (flask dpo create-user makes more)"
    return "sign in at /backoffice/login as " + "; ".join(made) + " (shown only now)"
