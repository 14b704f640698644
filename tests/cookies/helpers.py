"""Shared builders for cookie tests."""
from __future__ import annotations

import copy

from cookies.demo import DEMO_POLICY

ORIGIN = "https://www.example.fr"


def make_site(client, admin, key="espace-locataire", origins=(ORIGIN,), cookie_domain=None, policy=None):
    response = client.post("/v1/sites", json={"key": key, "name": "Portail", "allowed_origins": list(origins),
                                              "cookie_domain": cookie_domain}, headers=admin)
    assert response.status_code == 201, response.get_json()
    if policy is not False:
        publish(client, admin, key, policy)
    return key


def publish(client, admin, key="espace-locataire", policy=None, **changes):
    body = copy.deepcopy(policy or DEMO_POLICY)
    body.update(changes)
    response = client.post(f"/v1/sites/{key}/policies", json=body, headers=admin)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def decide(client, site="espace-locataire", **body):
    body.setdefault("action", "accept_all")
    return client.post(f"/v1/sites/{site}/consents", json=body)
