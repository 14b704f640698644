"""`flask demo` holds an account in each paperless status, each with its history."""
from __future__ import annotations

import pytest

from consent_service.extensions import db
from preferences import services
from preferences.demo import load_demo_preferences

from .helpers import on_day


def test_the_demo_holds_each_paperless_status_and_is_idempotent(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    assert "paperless notices: A1001 on, A1002 ending, A1003 pending, A1004 off (created" in result.output
    assert {services.preferences_of(a)["paperless"]["status"] for a in ("A1001", "A1002", "A1003", "A1004")} == {
        "on", "ending", "pending", "off"}
    back_to_paper = services.history("A1004")[0]
    assert (back_to_paper.actor, back_to_paper.channel, back_to_paper.change) == ("dpo", "post", "paperless_end")
    assert services.preferences_of("A1001")["themes"]["building_works"] is True
    counts = {a: len(services.history(a)) for a in ("A1001", "A1002", "A1003", "A1004")}
    again = runner.invoke(args=["demo"])
    assert again.exit_code == 0 and "(created" not in again.output
    assert {a: len(services.history(a)) for a in counts} == counts


def test_the_demo_does_not_bring_back_the_preferences_of_a_purged_account(app, client, writer):
    client.post("/v1/accounts/A1003/deletion", headers=writer)
    result = app.test_cli_runner().invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    assert "A1003 purged" in result.output and services.get("A1003") is None


@pytest.mark.parametrize("day", [(2027, 1, 31), (2028, 2, 29), (2027, 5, 6), (2027, 7, 14), (2027, 12, 24),
                                 (2027, 12, 31)])
def test_the_demo_holds_each_paperless_status_whatever_the_day(app, day):
    on_day(*day)
    load_demo_preferences()
    db.session.commit()
    assert [services.preferences_of(a)["paperless"]["status"] for a in ("A1001", "A1002", "A1003", "A1004")] == [
        "on", "ending", "pending", "off"]
