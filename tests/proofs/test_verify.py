"""Verification names the first record or seal that no longer matches; erasures keep it passing."""
from __future__ import annotations

import datetime as dt
import json

import pytest
import sqlalchemy as sa

from consent_service.extensions import db
from cookies import subject_data
from proofs.models import ProofVerification

from .conftest import T0, at, check, execute, seal


@pytest.fixture
def sealed(record):
    """Three seals of two records each (one a minute); the records' ids in sealing order."""
    ids = []
    for minute in range(3):
        at(T0 + dt.timedelta(minutes=minute))
        ids += [record(), record()]
        seal()
    at(T0 + dt.timedelta(minutes=30))
    return ids


def test_untouched_seals_and_records_pass(sealed):
    outcome = check()
    assert outcome.passed and outcome.seals == 3 and outcome.records == 6


def test_an_edited_record_is_named(sealed):
    execute("UPDATE consent_records SET action = 'accept_all', categories = :c WHERE consent_id = :id",
            c='{"analytics": true, "functional": true}', id=sealed[3])
    execute("UPDATE consent_records SET ip = '10.0.0.0' WHERE consent_id = :id", id=sealed[3])
    outcome = check()
    assert (outcome.problem, outcome.subject) == ("edited_record", sealed[3])
    assert sealed[3] in outcome.describe("en") and sealed[3] in outcome.describe("fr")


def test_an_edited_recorded_time_is_an_edited_record(sealed):
    execute("UPDATE consent_records SET recorded_at = :t WHERE consent_id = :id", t=T0 - dt.timedelta(days=3),
            id=sealed[1])
    outcome = check()
    assert (outcome.problem, outcome.subject) == ("edited_record", sealed[1])


def test_a_deleted_record_is_named(sealed):
    execute("DELETE FROM consent_records WHERE consent_id = :id", id=sealed[4])
    outcome = check()
    assert (outcome.problem, outcome.subject) == ("deleted_record", sealed[4])


def test_an_inserted_record_is_named(sealed, record):
    at(T0 - dt.timedelta(days=2))
    forged = record()  # written straight into the past, after the passes that would have sealed it
    at(T0 + dt.timedelta(minutes=40))
    seal()  # the sealer does not look that far back: the row stays outside every seal
    outcome = check()
    assert (outcome.problem, outcome.subject) == ("inserted_record", forged)


def test_an_edited_seal_is_named(sealed):
    execute("UPDATE seals SET leaf_count = 3 WHERE number = 2")
    outcome = check()
    assert (outcome.problem, outcome.subject) == ("edited_seal", "2")


def test_a_seal_rewritten_with_a_new_hash_breaks_the_chain_at_the_next_seal(sealed):
    from proofs import merkle

    row = db.session.execute(sa.text("SELECT * FROM seals WHERE number = 2")).mappings().one()
    fields = merkle.seal_fields(2, row["previous_hash"], row["merkle_root"], row["leaf_count"],
                                "2027-03-01T10:00:00Z")
    execute("UPDATE seals SET sealed_at = :t, hash = :h WHERE number = 2",
            t=dt.datetime(2027, 3, 1, 10, tzinfo=dt.UTC), h=merkle.seal_hash(fields))
    db.session.rollback()
    outcome = check()
    assert (outcome.problem, outcome.subject) == ("broken_chain", "3")


def test_an_edited_leaf_digest_is_named(sealed):
    execute("UPDATE seal_leaves SET digest = :d WHERE seal_number = 3 AND position = 0", d="0" * 64)
    outcome = check()
    assert (outcome.problem, outcome.subject) == ("edited_leaves", "3")


def test_a_leaf_removed_from_a_seal_is_named(sealed):
    execute("DELETE FROM seal_leaves WHERE seal_number = 1 AND position = 1")
    outcome = check()
    assert (outcome.problem, outcome.subject) == ("edited_leaves", "1")


def test_a_missing_seal_is_named(sealed):
    execute("DELETE FROM seal_leaves WHERE seal_number = 2")
    execute("DELETE FROM seals WHERE number = 2")
    outcome = check()
    assert (outcome.problem, outcome.subject) == ("missing_seal", "2")


def test_the_journal_catches_a_rewritten_chain_and_a_lost_last_seal(app, tmp_path, record):
    app.config["SEAL_JOURNAL"] = str(tmp_path / "seals.jsonl")
    for minute in range(3):
        at(T0 + dt.timedelta(minutes=minute))
        record()
        seal()
    assert check().passed
    lines = (tmp_path / "seals.jsonl").read_text().splitlines()
    forged = json.loads(lines[1]) | {"hash": "f" * 64}
    (tmp_path / "seals.jsonl").write_text("\n".join([lines[0], json.dumps(forged), lines[2]]) + "\n")
    assert (check().problem, check().subject) == ("journal_mismatch", "2")
    (tmp_path / "seals.jsonl").write_text("\n".join(lines) + "\n")
    execute("DELETE FROM seal_leaves WHERE seal_number = 3")
    execute("DELETE FROM seals WHERE number = 3")
    outcome = check()
    assert (outcome.problem, outcome.subject) == ("missing_seal", "3")


def test_since_checks_only_the_seals_made_from_that_day(sealed, record):
    execute("UPDATE consent_records SET page = 'https://forged.example/' WHERE consent_id = :id", id=sealed[0])
    at(T0 + dt.timedelta(days=1))
    record()
    seal()
    assert check().problem == "edited_record"
    later = check(since=(T0 + dt.timedelta(days=1)).date())
    assert later.passed and later.seals == 1


def test_an_account_purge_keeps_the_chain_verifiable(app, sealed, client, api_key):
    visitor = client.get(f"/v1/consents/{sealed[2]}", headers=api_key("consents:read")).get_json()["visitor_id"]
    response = client.post("/v1/accounts/A1001/visitors", json={"visitor_id": visitor},
                           headers=api_key("accounts:write"))
    assert response.status_code == 204
    assert subject_data.erase_account("A1001")["consent_records"] == 1
    db.session.commit()
    assert execute("SELECT 1 FROM consent_records WHERE consent_id = :id", id=sealed[2]) in (0, -1)
    assert check().passed


def test_a_retention_sweep_keeps_the_chain_verifiable(sealed):
    sweep = subject_data.ExpiredProofSweep(T0 + dt.timedelta(seconds=90), batch=1)
    while sweep() or sweep.pending:
        db.session.commit()
    db.session.commit()
    assert db.session.execute(sa.text("SELECT count(*) FROM consent_records")).scalar_one() == 2
    assert check().passed


def test_the_cli_exits_0_when_all_matches_and_1_naming_the_first_mismatch(app, sealed):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["proofs", "verify"])
    assert result.exit_code == 0, result.output
    assert "3 seals" in result.output and "6 sealed records" in result.output
    execute("DELETE FROM consent_records WHERE consent_id = :id", id=sealed[5])
    result = runner.invoke(args=["proofs", "verify", "--since", "2027-03-01"])
    assert result.exit_code == 1
    assert sealed[5] in result.output and "deleted" in result.output
    runs = db.session.execute(sa.select(ProofVerification).order_by(ProofVerification.id)).scalars().all()
    assert [(r.status, r.problem) for r in runs] == [("passed", None), ("failed", "deleted_record")]


def test_the_cli_refuses_a_malformed_day(app, sealed):
    result = app.test_cli_runner().invoke(args=["proofs", "verify", "--since", "01/03/2027"])
    assert result.exit_code == 2
