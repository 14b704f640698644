"""``flask mail list [--status S]`` and ``flask mail show ID``: the outbox read whole, nothing sent."""
from __future__ import annotations

from consent_service.extensions import db
from consent_service.mail import OutboxMessage, queue_mail


def _queue(to="locataire@example.fr", subject="Votre demande DSAR-2027-AAAA", text="Ouvrez ce lien : http://x/v?t=1"):
    message = queue_mail(to=to, subject=subject, text=text, html="<p>Ouvrez <a href='http://x/v?t=1'>ce lien</a></p>",
                         ref="DSAR-2027-AAAA")
    db.session.commit()
    return message


def test_mail_list_shows_each_mail_newest_first(app):
    first = _queue()
    second = _queue(to="autre@example.fr", subject="Rappel")
    result = app.test_cli_runner().invoke(args=["mail", "list"])
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert lines[0].split()[0] == str(second.id) and "autre@example.fr" in lines[0] and "Rappel" in lines[0]
    assert lines[1].split()[0] == str(first.id) and "queued" in lines[1]


def test_mail_list_filters_by_status(app):
    sent = _queue()
    _queue(subject="Toujours en attente")
    db.session.get(OutboxMessage, sent.id).status = "sent"
    db.session.commit()
    output = app.test_cli_runner().invoke(args=["mail", "list", "--status", "sent"]).output
    assert str(sent.id) in output and "Toujours en attente" not in output
    failed = app.test_cli_runner().invoke(args=["mail", "list", "--status", "failed"])
    assert failed.output == "No mail with status failed.\n"
    assert app.test_cli_runner().invoke(args=["mail", "list", "--status", "lost"]).exit_code == 2


def test_mail_show_prints_the_whole_mail_with_its_link(app):
    message = _queue()
    result = app.test_cli_runner().invoke(args=["mail", "show", str(message.id)])
    assert result.exit_code == 0
    assert "To: locataire@example.fr" in result.output and "Subject: Votre demande DSAR-2027-AAAA" in result.output
    assert "Status: queued" in result.output and "Ouvrez ce lien : http://x/v?t=1" in result.output
    html = app.test_cli_runner().invoke(args=["mail", "show", str(message.id), "--html"]).output
    assert "<a href='http://x/v?t=1'>" in html


def test_mail_show_of_an_unknown_id_fails_cleanly(app):
    for bad in ("999", "0", "99999999999"):
        result = app.test_cli_runner().invoke(args=["mail", "show", bad])
        assert result.exit_code == 1 and "No mail" in result.output
    assert app.test_cli_runner().invoke(args=["mail", "show", "abc"]).exit_code == 2
