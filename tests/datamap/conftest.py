"""A portal to map: tables in a SQLite file (or in the test PostgreSQL database), a folder of
documents, and the data map describing them."""
from __future__ import annotations

import dataclasses
import datetime as dt
import os
import types
from pathlib import Path

import pytest
import sqlalchemy as sa

from consent_service import clock
from consent_service.extensions import db

NOW = dt.datetime(2027, 3, 15, 10, 0, tzinfo=dt.UTC)
TENANTS = {
    "A1001": ("Camille Martin", "camille.martin@example.fr", dt.date(1985, 4, 12)),
    "A1002": ("Lucas Bernard", "lucas.bernard@example.fr", dt.date(1979, 11, 3)),
}

PORTAL = sa.MetaData()
sa.Table("tenants", PORTAL, sa.Column("account_id", sa.String(64), primary_key=True),
         sa.Column("full_name", sa.String(200), nullable=False), sa.Column("email", sa.String(200), nullable=False),
         sa.Column("birth_date", sa.Date), sa.Column("phone", sa.String(40)))
sa.Table("documents", PORTAL, sa.Column("id", sa.Integer, primary_key=True),
         sa.Column("account_id", sa.String(64), nullable=False, index=True),
         sa.Column("title", sa.String(200), nullable=False), sa.Column("issued_on", sa.Date, nullable=False))
sa.Table("payments", PORTAL, sa.Column("id", sa.Integer, primary_key=True),
         sa.Column("account_id", sa.String(64), index=True), sa.Column("paid_on", sa.Date, nullable=False),
         sa.Column("amount_cents", sa.Integer, nullable=False), sa.Column("payer_name", sa.String(200)),
         sa.Column("iban", sa.String(40)))
sa.Table("leases", PORTAL, sa.Column("id", sa.Integer, primary_key=True),
         sa.Column("account_id", sa.String(64), nullable=False), sa.Column("address", sa.String(200)),
         sa.Column("start_date", sa.Date, nullable=False))

DATAMAP = """\
controller: {{name: "Bailleur Test", dpo_email: "dpo@example.fr"}}
identity: {{store: portal, table: tenants, subject_column: account_id, email_column: email,
           birth_date_column: birth_date}}
stores:
  - name: portal
    kind: sql
    url: "{url}"
    about: {{source: "The tenant", recipients: ["Gestion locative"]}}
    tables:
      - name: tenants
        subject_column: account_id
        on_erasure: delete
        rectifiable_columns: [full_name, email, phone, birth_date]
        about: {{purpose: "Tenant account", lawful_basis: "Lease contract"}}
      - name: documents
        subject_column: account_id
        on_erasure: delete
        retention: {{column: issued_on, keep_months: 36}}
        about: {{purpose: "Rent receipts", retention_period: "3 years"}}
      - name: payments
        subject_column: account_id
        on_erasure: anonymize
        anonymize_columns: [payer_name, iban]
      - name: leases
        subject_column: account_id
        on_erasure: retain
        legal_basis: "Obligation comptable (art. L123-22 code de commerce)"
  - name: documents-files
    kind: files
    root: "{root}"
    path: "{{account_id}}"
    retention: {{keep_months: 36}}
"""


@dataclasses.dataclass
class Portal:
    url: str
    engine: sa.Engine
    root: Path
    map_path: Path

    def count(self, table: str, **where) -> int:
        t = PORTAL.tables[table]
        with self.engine.connect() as conn:
            return conn.execute(sa.select(sa.func.count()).select_from(t).where(
                *[t.c[k] == v for k, v in where.items()])).scalar_one()

    def rows(self, table: str, **where) -> list[dict]:
        t = PORTAL.tables[table]
        with self.engine.connect() as conn:
            return [dict(r) for r in conn.execute(sa.select(t).where(
                *[t.c[k] == v for k, v in where.items()]).order_by(t.c[list(t.primary_key.columns)[0].name]))
                .mappings()]

    def write_map(self, text: str) -> Path:
        self.map_path.write_text(text, encoding="utf-8")
        return self.map_path


def fill_portal(engine: sa.Engine, root: Path, documents_per_account: int = 3) -> None:
    t = PORTAL.tables
    with engine.begin() as conn:
        doc_id = pay_id = 1
        for index, (account_id, (name, email, birth)) in enumerate(TENANTS.items()):
            conn.execute(t["tenants"].insert(), {"account_id": account_id, "full_name": name, "email": email,
                                                 "birth_date": birth, "phone": "+33 6 00 00 00 0" + str(index)})
            for n in range(documents_per_account):
                issued = clock.add_months(NOW.date(), -(n + 1) * 20)  # 20, 40, 60 months ago
                conn.execute(t["documents"].insert(), {"id": doc_id, "account_id": account_id,
                                                       "title": f"Receipt {n}", "issued_on": issued})
                doc_id += 1
            for n in range(2):
                conn.execute(t["payments"].insert(), {"id": pay_id, "account_id": account_id,
                                                      "paid_on": NOW.date(), "amount_cents": 85000,
                                                      "payer_name": name, "iban": f"FR76{index}{n}000"})
                pay_id += 1
            conn.execute(t["leases"].insert(), {"id": index + 1, "account_id": account_id,
                                                "address": f"{index} rue des Lilas", "start_date": NOW.date()})
            folder = root / account_id
            (folder / "2026").mkdir(parents=True, exist_ok=True)
            (folder / "bail.pdf").write_text(f"Bail de {name} <{email}>", encoding="utf-8")
            recent = folder / "2026" / "quittance.pdf"
            recent.write_text("quittance", encoding="utf-8")
            old = folder / "old.pdf"
            old.write_text("old", encoding="utf-8")
            stamp = clock.add_months(NOW, -40).timestamp()
            os.utime(old, (stamp, stamp))
            for path in (folder / "bail.pdf", recent):
                os.utime(path, (NOW.timestamp() - 86400, NOW.timestamp() - 86400))


@pytest.fixture
def portal(database_url, backend, tmp_path):
    url = database_url if backend == "postgresql" else f"sqlite:///{tmp_path / 'portal.db'}"
    engine = sa.create_engine(url)
    PORTAL.drop_all(engine)
    PORTAL.create_all(engine)
    root = tmp_path / "documents"
    root.mkdir()
    fill_portal(engine, root)
    map_path = tmp_path / "datamap.yaml"
    map_path.write_text(DATAMAP.format(url=url, root=root), encoding="utf-8")
    yield Portal(url, engine, root, map_path)
    PORTAL.drop_all(engine)
    engine.dispose()


DATAMAP_TEST_CONFIG = {"PURGE_RETRY_SECONDS": 10, "PURGE_MAX_ATTEMPTS": 3, "CONSENT_RATE_LIMIT": "off"}


@pytest.fixture
def app(make_app, portal):
    """The app with the portal's data map (overrides the root fixture for these tests)."""
    application = make_app(DATAMAP_PATH=str(portal.map_path), **DATAMAP_TEST_CONFIG)
    with application.app_context():
        db.drop_all()
        db.create_all()
        clock.set_now(NOW)
        yield application
        db.session.remove()
        db.drop_all()
        db.engine.dispose()
        application.extensions["datamap"].dispose()
    clock.set_now(None)
    from cookies.policies import forget_cached_policy

    forget_cached_policy()


@pytest.fixture
def writer(api_key):
    return api_key("accounts:write")


def fake_request(type_: str = "access", account_id: str | None = "A1001", **extra):
    """What the DSAR workflow hands an executor (the attributes it reads)."""
    name, email, _birth = TENANTS.get(account_id or "", ("X", "x@example.fr", None))
    values = {"reference": "DSAR-2027-TESTTEST", "type": type_, "account_id": account_id, "email": email,
              "full_name": name, "locale": "fr", **extra}
    return types.SimpleNamespace(**values)
