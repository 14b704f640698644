"""Lease ends purge three months later; retention sweeps go in bounded batches."""
from __future__ import annotations

import datetime as dt
import os

import pytest

from consent_service import clock
from consent_service.extensions import db
from cookies.models import ConsentRecord
from datamap.models import AccountLease, Purge

from .conftest import NOW
from .helpers import consent_for, run_worker


def put_lease(client, headers, lease_end, account_id="A1001", **extra):
    return client.put(f"/v1/accounts/{account_id}/lease", json={"lease_end": lease_end, **extra}, headers=headers)


@pytest.mark.parametrize("lease_end,due", [
    ("2027-11-30", "2028-02-29"),  # no 30 February: the month's last day
    ("2027-03-31", "2027-06-30"),
    ("2027-10-15", "2028-01-15"),
])
def test_lease_end_sets_the_purge_three_calendar_months_later(client, writer, lease_end, due):
    response = put_lease(client, writer, lease_end)
    assert response.status_code == 200
    assert response.get_json() == {"account_id": "A1001", "lease_end": lease_end, "purge_due_on": due}


def test_a_new_lease_end_replaces_the_old_one(client, writer):
    put_lease(client, writer, "2027-11-30")
    assert put_lease(client, writer, "2028-01-31").get_json()["purge_due_on"] == "2028-04-30"
    assert db.session.execute(db.select(db.func.count()).select_from(AccountLease)).scalar_one() == 1


@pytest.mark.parametrize("body,field", [
    ({"lease_end": "30/11/2027"}, "lease_end"),
    ({"lease_end": "2027-02-30"}, "lease_end"),
    ({"lease_end": None}, "lease_end"),
    ({"lease_end": "0999-01-01"}, "lease_end"),
    ({}, "lease_end"),
    ({"lease_end": "2027-11-30", "extra": 1}, "extra"),
])
def test_bad_lease_bodies_are_422_naming_the_field(client, writer, body, field):
    response = client.put("/v1/accounts/A1001/lease", json=body, headers=writer)
    assert response.status_code == 422
    assert field in response.get_json()["errors"]


def test_malformed_json_is_400(client, writer):
    response = client.put("/v1/accounts/A1001/lease", data="{", content_type="application/json", headers=writer)
    assert response.status_code == 400


def test_the_worker_purges_on_the_due_day_and_not_before(client, writer, portal):
    put_lease(client, writer, "2027-03-10")  # due 2027-06-10
    clock.set_now(dt.datetime(2027, 6, 9, 21, 59, tzinfo=dt.UTC))  # 23:59 in Paris, 9 June
    run_worker()
    assert db.session.execute(db.select(Purge).where(Purge.trigger == "lease_ended")).first() is None
    clock.set_now(dt.datetime(2027, 6, 9, 22, 0, tzinfo=dt.UTC))  # midnight in Paris, 10 June
    run_worker()
    purge = db.session.execute(db.select(Purge).where(Purge.trigger == "lease_ended")).scalar_one()
    assert purge.status == "done" and purge.account_id is None
    assert portal.count("tenants", account_id="A1001") == 0
    assert portal.count("tenants", account_id="A1002") == 1
    assert db.session.get(AccountLease, "A1001") is None  # the lease row went with the account
    run_worker()
    assert db.session.execute(db.select(db.func.count()).select_from(Purge).where(
        Purge.trigger != "retention")).scalar_one() == 1


def test_a_lease_for_an_account_already_purged_is_a_conflict(client, writer):
    client.post("/v1/accounts/A1001/deletion", headers=writer)
    assert put_lease(client, writer, "2027-11-30").status_code == 409
    run_worker()
    assert put_lease(client, writer, "2027-11-30").status_code == 409


def test_an_account_deleted_before_its_lease_purge_is_not_purged_twice(client, writer):
    put_lease(client, writer, "2027-03-10")
    first = client.post("/v1/accounts/A1001/deletion", headers=writer).get_json()["purge_id"]
    clock.set_now(NOW + dt.timedelta(days=100))
    run_worker()
    purges = db.session.execute(db.select(Purge).where(Purge.trigger != "retention")).scalars().all()
    assert [p.purge_id for p in purges] == [first] and purges[0].status == "done"


def test_retention_sweeps_rows_and_files_past_their_retention(app, client, writer, portal):
    run_worker()
    # documents issued 20, 40 and 60 months ago: the two older than 36 months go, per account
    assert portal.count("documents", account_id="A1001") == 1
    assert portal.count("documents", account_id="A1002") == 1
    assert not (portal.root / "A1001" / "old.pdf").exists()
    assert (portal.root / "A1001" / "bail.pdf").exists() and (portal.root / "A1001" / "2026" / "quittance.pdf").exists()
    receipt = db.session.execute(db.select(Purge).where(Purge.trigger == "retention")).scalar_one()
    body = client.get(f"/v1/purges/{receipt.purge_id}", headers=writer).get_json()
    assert body["status"] == "done" and body["subject"] is None
    assert {(e["store"], e["table"], e["rows"]) for e in body["stores"]} == {
        ("portal", "documents", 4), ("documents-files", None, 2)}
    run_worker()  # nothing left: no new receipt
    assert db.session.execute(db.select(db.func.count()).select_from(Purge)).scalar_one() == 1


def test_retention_goes_in_bounded_batches_each_committed(app, portal, monkeypatch):
    app.config.update(RETENTION_BATCH_SIZE=1, RETENTION_BATCHES_PER_PASS=3)
    run_worker()
    assert portal.count("documents") == 6 - 3  # three batches of one row this pass
    run_worker()
    assert portal.count("documents") == 2


def test_consent_proofs_older_than_the_retention_are_swept(app, client, api_key):
    app.config["CONSENT_PROOF_RETENTION_MONTHS"] = 24
    clock.set_now(NOW - dt.timedelta(days=800))
    old = consent_for(client, api_key, "A1001")
    clock.set_now(NOW)
    recent = consent_for(client, api_key, "A1002")
    run_worker()
    visitors = set(db.session.execute(db.select(ConsentRecord.visitor_id)).scalars())
    assert visitors == {recent} and old not in visitors


def test_retention_of_a_store_that_is_down_does_not_stop_the_others(app, client, api_key, monkeypatch):
    import sqlalchemy as sa

    store = app.extensions["datamap"].store("portal")
    monkeypatch.setattr(store, "engine", sa.create_engine("postgresql+psycopg://x@127.0.0.1:1/x"))
    files = app.extensions["datamap"].store("documents-files")
    run_worker()
    assert not (files.root / "A1001" / "old.pdf").exists()


def test_the_files_store_refuses_ids_that_could_leave_its_root(app):
    from datamap import connectors

    store = app.extensions["datamap"].store("documents-files")
    for bad in ["..", "../A1002", "A1001/../A1002", "/etc", "a\\b", "", ".", "A1001/x", "x" * 300]:
        with pytest.raises(connectors.BadAccountId):
            connectors.subject_folder(store, bad)
    assert connectors.subject_folder(store, "A1001") == (store.root / "A1001").resolve()


def test_a_symlink_out_of_the_root_is_removed_not_followed(app, client, writer, portal, tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "keep.txt").write_text("keep")
    os.symlink(outside, portal.root / "A1001" / "link")
    client.post("/v1/accounts/A1001/deletion", headers=writer)
    run_worker()
    assert (outside / "keep.txt").exists()
    assert not (portal.root / "A1001").exists()


def _proofs_recorded_at(*moments: dt.datetime) -> list[str]:
    ids = []
    for number, moment in enumerate(moments):
        ids.append(f"proof-{number:03d}")
        db.session.add(ConsentRecord(
            consent_id=ids[-1], site="espace-locataire", policy_version=1, texts_hash="t" * 64, action="refuse_all",
            categories={"analytics": False}, recorded_at=moment, valid_until=moment + dt.timedelta(days=30),
            visitor_id=f"visitor-{number:03d}", ip="203.0.113.0", user_agent="test", page="https://example.fr/",
            gpc=False, locale="fr"))
    db.session.commit()
    return ids


def _proofs_left() -> list[str]:
    return sorted(db.session.execute(db.select(ConsentRecord.consent_id)).scalars())


def test_the_proof_sweep_goes_oldest_first_in_batches_and_stops_at_the_cutoff(app):
    from cookies.subject_data import ExpiredProofSweep

    start = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
    ids = _proofs_recorded_at(*[start + dt.timedelta(hours=h) for h in (6, 0, 5, 1, 4, 2, 3, 100, 101)])
    # recorded order: ids[1] (0h), ids[3] (1h), ids[5] (2h), ids[6] (3h), ids[4] (4h), ids[2] (5h), ids[0] (6h)
    sweep = ExpiredProofSweep(start + dt.timedelta(hours=50), 3)
    assert sweep() == 3
    assert _proofs_left() == sorted([ids[0], ids[2], ids[4], ids[6], ids[7], ids[8]])
    assert sweep() == 3
    assert _proofs_left() == sorted([ids[0], ids[7], ids[8]])
    assert sweep() == 1
    assert sweep() == 0
    assert _proofs_left() == sorted([ids[7], ids[8]])  # recorded after the cutoff: kept


def test_a_proof_sweep_batch_takes_the_rows_sharing_its_boundary_instant(app):
    from cookies.subject_data import ExpiredProofSweep

    start = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
    same = start + dt.timedelta(hours=1)
    ids = _proofs_recorded_at(start, same, same, start + dt.timedelta(hours=2))
    sweep = ExpiredProofSweep(start + dt.timedelta(days=1), 2)
    assert sweep() == 3  # the second row's instant is shared: both go in this batch
    assert _proofs_left() == [ids[3]]
    assert sweep() == 1 and sweep() == 0
