"""Logs carry references and ids, never names or e-mail addresses; the worker runs from the CLI."""
import datetime as dt
import logging

from consent_service import clock

from .helpers import intake, submit
from .test_inbound_email import post, raw_mail


def test_a_whole_case_logs_no_name_and_no_address(client, admin, inbound, smtp, app, caplog):
    clock.set_now(dt.datetime(2027, 1, 31, 9, 0, tzinfo=dt.UTC))
    with caplog.at_level(logging.DEBUG):
        reference = submit(client).get_json()["reference"]
        post(client, inbound, raw_mail())
        other = intake(client, admin).get_json()["reference"]
        for action, body in (("verify", {"method": "document", "note": "ok"}), ("extend", {"reason": "r"}),
                             ("complete", {"summary": "s"})):
            client.post(f"/v1/dsar/requests/{other}/{action}", json=body, headers=admin)
        client.post(f"/v1/dsar/requests/{reference}/reject", json={"ground": "other", "reason": "r"}, headers=admin)
        for _ in range(6):
            submit(client, type="erasure")  # up to the per-address limit
        result = app.test_cli_runner().invoke(args=["worker", "--once"])
        assert result.exit_code == 0 and "mail=" in result.output
    # the test's own SMTP server (aiosmtpd, logger "mail.log") prints what it receives: not ours
    ours = [r for r in caplog.records if not r.name.startswith("mail.log")]
    text = "\n".join(r.getMessage() for r in ours).lower()
    assert reference.lower() in text
    for secret in ("camille", "martin", "dominique", "petit", "locataire@", "dominique@", "camille@"):
        assert secret not in text, secret
