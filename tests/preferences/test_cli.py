"""``flask preferences check`` and ``flask preferences show``."""
from __future__ import annotations

from .helpers import Portal


def test_check_lists_the_running_catalogue(app):
    result = app.test_cli_runner().invoke(args=["preferences", "check"])
    assert result.exit_code == 0, result.output
    assert "theme security_alerts: mandatory — Alertes de sécurité / Security alerts" in result.output
    assert "theme building_works: off by default" in result.output and result.output.endswith("OK\n")


def test_check_names_every_problem_of_another_file_and_exits_1(app, tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("email: {default: maybe}\nthemes: []\n", encoding="utf-8")
    result = app.test_cli_runner().invoke(args=["preferences", "check", "--path", str(path)])
    assert result.exit_code == 1
    assert "email.default: Not a valid boolean." in result.output and "themes: Length" in result.output
    assert "email.label: Missing data for required field." in result.output


def test_show_prints_the_state_and_the_history(app, client, writer):
    portal = Portal(client, writer)
    portal.direct_debit(True)
    portal.paperless("2027-05-10")
    result = app.test_cli_runner().invoke(args=["preferences", "show", "A1001"])
    assert result.exit_code == 0, result.output
    assert "paperless: pending (effective on 2027-05-10, last electronic on -)" in result.output
    assert "#2 2027-04-23T08:00:00Z paperless_start by portal portal-prod via web" in result.output


def test_show_refuses_a_bad_account_id(app):
    result = app.test_cli_runner().invoke(args=["preferences", "show", "../x"])
    assert result.exit_code != 0 and "not a valid account id" in result.output
