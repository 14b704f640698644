"""The worker: each job on its own schedule, once per period across workers; SIGTERM finishes
the item in hand, hands its claims back and exits 0; the last finished pass is recorded."""
from __future__ import annotations

import asyncio
import datetime as dt
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from consent_service import clock, worker
from consent_service.extensions import db
from consent_service.mail import OutboxMessage, queue_mail

from ..dsar.helpers import SmtpSink

T0 = dt.datetime(2027, 3, 1, 8, 0, tzinfo=dt.UTC)
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def calls(app):
    seen: list[str] = []
    jobs = app.extensions["worker_jobs"]
    saved = dict(jobs)
    jobs.clear()
    worker.register_job(app, "every_pass", lambda: seen.append("every_pass") or 0)
    worker.register_job(app, "hourly", lambda: seen.append("hourly") or 0, every=dt.timedelta(hours=1))
    worker.register_job(app, "daily", lambda: seen.append("daily") or 0, every=86400)
    yield seen
    jobs.clear()
    jobs.update(saved)


def test_each_job_runs_on_its_own_schedule(app, calls):
    schedule = worker.Schedule()
    clock.set_now(T0)
    assert list(worker.run_due(schedule)) == ["every_pass", "hourly", "daily"]
    clock.set_now(T0 + dt.timedelta(minutes=59))
    assert list(worker.run_due(schedule)) == ["every_pass"]
    clock.set_now(T0 + dt.timedelta(hours=1))
    assert list(worker.run_due(schedule)) == ["every_pass", "hourly"]
    clock.set_now(T0 + dt.timedelta(days=1))
    assert list(worker.run_due(schedule)) == ["every_pass", "hourly", "daily"]


def test_a_scheduled_job_runs_once_per_period_however_many_workers(app, calls):
    first, second = worker.Schedule(), worker.Schedule()
    clock.set_now(T0)
    worker.run_due(first)
    worker.run_due(second)
    assert calls.count("hourly") == 1 and calls.count("every_pass") == 2
    clock.set_now(T0 + dt.timedelta(hours=1, seconds=1))
    worker.run_due(second)
    worker.run_due(first)
    assert calls.count("hourly") == 2


def test_the_schedule_setting_overrides_a_job_period(app, calls):
    app.config["WORKER_SCHEDULE"] = {"daily": 60.0, "hourly": 0.0}
    schedule = worker.Schedule()
    clock.set_now(T0)
    worker.run_due(schedule)
    clock.set_now(T0 + dt.timedelta(seconds=61))
    assert list(worker.run_due(schedule)) == ["every_pass", "hourly", "daily"]
    assert [job.every for job in worker.jobs()] == [None, None, dt.timedelta(seconds=60)]


def test_the_default_schedules_of_the_features(app):
    periods = {job.name: job.every for job in worker.jobs()}
    assert periods["mail"] is None and periods["datamap_purges"] is None
    assert periods["datamap_retention"] == periods["datamap_due_leases"] == dt.timedelta(hours=1)


def test_once_runs_every_job_whatever_its_schedule_and_records_the_pass(app, calls):
    clock.set_now(T0)
    worker.run_due(worker.Schedule())
    clock.set_now(T0 + dt.timedelta(minutes=1))
    assert worker.last_finished_pass() is None
    assert list(worker.run_once()) == ["every_pass", "hourly", "daily"]
    assert worker.last_finished_pass() == T0 + dt.timedelta(minutes=1)


def test_a_failing_job_is_recorded_and_the_others_still_run(app, calls):
    def broken():
        raise RuntimeError("store down")

    worker.register_job(app, "broken", broken, every=dt.timedelta(hours=1))
    clock.set_now(T0)
    assert worker.run_once() == {"every_pass": 0, "hourly": 0, "daily": 0, "broken": -1}
    rows = worker.status()[1]
    assert rows["broken"].last_failed_at == T0 and rows["broken"].last_finished_at is None
    assert rows["hourly"].last_finished_at == T0 and rows["hourly"].last_count == 0


def test_worker_status_reports_passes_and_exits_1_when_stale(app, calls):
    runner = app.test_cli_runner()
    assert runner.invoke(args=["worker", "status", "--max-age", "300"]).exit_code == 1
    clock.set_now(T0)
    worker.run_once()
    result = runner.invoke(args=["worker", "status", "--max-age", "300"])
    assert result.exit_code == 0, result.output
    assert "last pass 2027-03-01T08:00:00Z" in result.output and "job hourly  every 3600 s" in result.output
    clock.set_now(T0 + dt.timedelta(minutes=6))
    assert runner.invoke(args=["worker", "status", "--max-age", "300"]).exit_code == 1


def test_an_unknown_job_in_the_schedule_stops_the_worker(app):
    app.config["WORKER_SCHEDULE"] = {"no_such_job": 60.0}
    result = app.test_cli_runner().invoke(args=["worker", "--once"])
    assert result.exit_code != 0 and "no_such_job" in result.output


class SlowSink(SmtpSink):
    """Takes a while over each message, so a SIGTERM lands while one is in hand."""

    async def handle_DATA(self, server, session, envelope):
        await asyncio.sleep(0.7)
        return await super().handle_DATA(server, session, envelope)


def test_sigterm_finishes_the_mail_in_hand_hands_back_the_others_and_exits_0(app, database_url, tmp_path):
    for i in range(5):
        queue_mail(to=f"tenant{i}@example.fr", subject=f"Sujet {i}", text="Bonjour")
    db.session.commit()
    with SlowSink() as sink:
        env = {**{k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG")},
               "DATABASE_URL": database_url, "SECRET_KEY": "test-secret-key", "SMTP_HOST": "127.0.0.1",
               "SMTP_PORT": str(sink.port), "WORKER_IDLE_SECONDS": "0.2"}
        process = subprocess.Popen([str(Path(sys.executable).with_name("flask")), "--app", "consent_service",
                                    "worker"], env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 30
            while not sink.messages and time.monotonic() < deadline:
                time.sleep(0.05)
            if not sink.messages:
                process.kill()
                pytest.fail("the worker sent nothing: " + process.communicate()[0].decode()[-3000:])
            process.send_signal(signal.SIGTERM)
            output, _ = process.communicate(timeout=30)
        finally:
            if process.poll() is None:
                process.kill()
    assert process.returncode == 0, output.decode()
    db.session.expire_all()
    rows = db.session.execute(db.select(OutboxMessage).order_by(OutboxMessage.id)).scalars().all()
    sent = [row for row in rows if row.status == "sent"]
    assert 1 <= len(sent) <= 2 and len(sink.messages) == len(sent)  # the one in hand went through
    assert {row.status for row in rows if row not in sent} == {"queued"}  # the rest handed back
    assert all(row.attempts == 0 for row in rows if row not in sent)
    process_row, = worker.status()[0]
    assert process_row.stopped_at is not None


def test_a_schedule_that_cannot_be_read_skips_the_job_for_this_pass(app, calls):
    def unreadable(job):
        if job.name == "hourly":
            raise RuntimeError("database away")
        return True

    assert list(worker.run_due(unreadable)) == ["every_pass", "daily"]


def test_a_once_run_is_shown_finished_not_running(app, calls):
    clock.set_now(T0)
    worker.run_once()
    process, = worker.status()[0]
    assert process.last_pass_at == process.stopped_at == T0 and process.passes == 1
    assert "stopped 2027-03-01T08:00:00Z" in app.test_cli_runner().invoke(args=["worker", "status"]).output
