"""Demo requests for ``flask demo``: one of each situation the DPO meets (idempotent)."""
from __future__ import annotations

import datetime as dt
from typing import Any

from consent_service import clock
from consent_service.extensions import db

from .intake import mark_verified, open_request
from .models import DsarRequest
from .services import SYSTEM

DEMO_DOMAIN = "demo.example.fr"


def load_demo_requests() -> str:
    """An unverified form request, a verified access request, an unclassified e-mail and an
    overdue postal erasure; no e-mail is queued for them."""
    if db.session.execute(db.select(DsarRequest.id).where(DsarRequest.email.like(f"%@{DEMO_DOMAIN}"))).first():
        return "demo requests already loaded"
    now = clock.now()
    common: dict[str, Any] = {"actor": SYSTEM, "acknowledge": False, "notify_dpo": False, "note": "Demo request."}
    open_request(type="access", channel="web", email=f"camille.martin@{DEMO_DOMAIN}", full_name="Camille Martin",
                 account_id="A1001", message="Je souhaite une copie de mes données.", **common)
    verified = open_request(type="access", channel="post", email=f"dominique.petit@{DEMO_DOMAIN}",
                            full_name="Dominique Petit", received_at=now - dt.timedelta(days=20), **common)
    mark_verified(verified.request, "document", SYSTEM, "Demo: copy of an identity document checked.",
                  tell_subject=False)
    open_request(type=None, channel="email", email=f"sam.durand@{DEMO_DOMAIN}", full_name="Sam Durand",
                 message="Bonjour, que faites-vous de mes informations ?", received_at=now - dt.timedelta(days=2),
                 **common)
    open_request(type="erasure", channel="post", full_name="Alex Bernard", account_id="A1002",
                 received_at=now - dt.timedelta(days=40), email=f"alex.bernard@{DEMO_DOMAIN}", **common)
    return "4 demo requests"
