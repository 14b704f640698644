"""`flask demo` makes a portal database, documents and a data map a newcomer can try."""
from __future__ import annotations

import datetime as dt
import re

from consent_service import clock, hooks
from consent_service.extensions import db
from datamap import engine, loader, purge_start, receipts

from .conftest import fake_request


def test_the_demo_portal_supports_an_access_request_and_an_account_deletion(make_app):
    plain = make_app()
    with plain.app_context():
        db.drop_all()
        db.create_all()
        result = plain.test_cli_runner().invoke(args=["demo"])
        assert result.exit_code == 0, result.output
        path = re.search(r"DATAMAP_PATH=(\S+)", result.output).group(1)
    assert loader.load(path).stores[0].table("leases").legal_basis.startswith("Obligation comptable")
    demo = make_app(DATAMAP_PATH=path)
    try:
        with demo.app_context():
            assert hooks.IDENTITY_VERIFIER.get()("A1001", dt.date(1985, 4, 12), "camille.martin@example.fr")
            result = hooks.DSAR_EXECUTORS.get("access")(fake_request("access"), {})
            assert result["export_url"]
            purge = purge_start.start_purge("A1001", "account_deleted")
            db.session.commit()
            engine.run_purges()
            db.session.expire_all()
            assert receipts.get_purge(purge.purge_id).status == "done"
            portal = demo.extensions["datamap"].store("portal")
            assert all(engine.connectors.count_rows(portal, t, "A1001") == (1 if t.name == "leases" else 0)
                       for t in portal.tables)
            assert not (demo.extensions["datamap"].store("documents-files").root / "A1001").exists()
            # running the demo again brings the demo tenant back
            assert demo.test_cli_runner().invoke(args=["demo"]).exit_code == 0
            assert engine.connectors.count_rows(portal, portal.table("tenants"), "A1001") == 1
            check = demo.test_cli_runner().invoke(args=["datamap", "check"])
            assert check.exit_code == 0 and "table payments" in check.output
    finally:
        with demo.app_context():
            db.session.remove()
            db.drop_all()
            demo.extensions["datamap"].dispose()
        clock.set_now(None)
