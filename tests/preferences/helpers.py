"""Calls of the preferences API, as a portal makes them."""
from __future__ import annotations

from consent_service import clock

from .conftest import paris


class Portal:
    """The portal's backend, for one account."""

    def __init__(self, client, headers, account_id: str = "A1001"):
        self.client, self.headers, self.account_id = client, headers, account_id
        self.base = f"/v1/accounts/{account_id}"

    def get(self):
        return self.client.get(f"{self.base}/preferences", headers=self.headers)

    def patch(self, body):
        return self.client.patch(f"{self.base}/preferences", json=body, headers=self.headers)

    def direct_debit(self, active, **extra):
        return self.client.put(f"{self.base}/direct-debit", json={"active": active, **extra}, headers=self.headers)

    def paperless(self, next_billing_date: str):
        return self.client.post(f"{self.base}/paperless", json={"next_billing_date": next_billing_date},
                                headers=self.headers)

    def stop(self, next_billing_date: str | None = None):
        query = f"?next_billing_date={next_billing_date}" if next_billing_date else ""
        return self.client.delete(f"{self.base}/paperless{query}", headers=self.headers)

    def history(self):
        return self.client.get(f"{self.base}/preferences/history", headers=self.headers)

    def status(self) -> dict:
        return self.get().get_json()["paperless"]


def on_day(*args) -> None:
    """Stand the clock at 10:00 Paris time on that day."""
    clock.set_now(paris(*args, 10, 0))
