"""The worker: features plug jobs in, each on its own schedule (docs/deployment.md#the-worker).

``register_job(app, name, job, every=None)``: ``job()`` returns how many items it handled;
``every`` (a timedelta or seconds) is how often it runs, ``None`` on every pass. The setting
``WORKER_SCHEDULE`` (``name=period`` pairs) overrides a job's period. A scheduled job is
claimed in the database (one conditional UPDATE), so with several workers on several hosts
it still runs once per period. ``worker --once`` runs every job once, whatever its schedule.

SIGTERM (or Ctrl-C) asks the worker to stop: a job finishes the item in hand (it polls
:func:`stop_requested` between items), hands back what it had claimed, and the process
exits 0. Each finished pass is recorded (``flask worker status``, the ``/metrics`` gauge).
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import os
import signal
import socket
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any, cast

from flask import Flask, current_app
from sqlalchemy import CursorResult, Integer, String, func, or_, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from . import clock
from .extensions import Model, db
from .types import UTCDateTime

log = logging.getLogger(__name__)

JobFunction = Callable[[], int]
STOPPED_KEPT = dt.timedelta(days=7)  # rows of stopped workers shown by `worker status` this long
_stop = threading.Event()


class WorkerJob(Model):
    """When each scheduled job last ran, across every worker process."""

    __tablename__ = "worker_jobs"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    last_started_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    last_finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    last_count: Mapped[int | None] = mapped_column(Integer)
    last_failed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class WorkerProcess(Model):
    """One worker process (or one ``worker --once`` run) and its last finished pass."""

    __tablename__ = "worker_processes"

    worker_id: Mapped[str] = mapped_column(String(96), primary_key=True)
    hostname: Mapped[str] = mapped_column(String(255))
    pid: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    last_pass_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, index=True)
    passes: Mapped[int] = mapped_column(Integer, default=0)
    stopped_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


@dataclasses.dataclass(frozen=True)
class Job:
    name: str
    run: JobFunction
    every: dt.timedelta | None  # None: every pass


def register_job(app: Flask, name: str, job: JobFunction, every: dt.timedelta | float | None = None) -> None:
    """Add ``job`` to the worker; it runs every pass, or every ``every`` (timedelta or seconds)."""
    if isinstance(every, (int, float)):
        every = dt.timedelta(seconds=every)
    app.extensions.setdefault("worker_jobs", {})[name] = Job(name, job, every or None)


def jobs() -> list[Job]:
    """The registered jobs with their effective period (``WORKER_SCHEDULE`` wins)."""
    overrides = current_app.config["WORKER_SCHEDULE"]
    registered = current_app.extensions.get("worker_jobs", {})
    return [dataclasses.replace(job, every=dt.timedelta(seconds=overrides[name]) or None)
            if name in overrides else job for name, job in registered.items()]


def unknown_scheduled_jobs() -> list[str]:
    return sorted(set(current_app.config["WORKER_SCHEDULE"]) - set(current_app.extensions.get("worker_jobs", {})))


def stop_requested() -> bool:
    """Whether the worker was asked to stop: a job checks it between two items."""
    return _stop.is_set()


def request_stop() -> None:
    _stop.set()


# --- one pass -------------------------------------------------------------------------------------


def run_once() -> dict[str, int]:
    """One full pass over every job whatever its schedule (``worker --once``); a failing job is
    logged (-1) and the others still run."""
    done = {job.name: _run(job) for job in jobs()}
    _record_pass(_once_id(), stopped=True)  # a pass, and the end of this run
    return done


def run_due(due: Callable[[Job], bool]) -> dict[str, int]:
    """The jobs ``due`` selects, in registration order, until a stop is requested."""
    done: dict[str, int] = {}
    for job in jobs():
        if stop_requested():
            break
        try:
            is_due = due(job)
        except Exception:  # the database is away: try again next pass rather than die
            db.session.rollback()
            log.exception("worker job %s: its schedule could not be read", job.name)
            continue
        if is_due:
            done[job.name] = _run(job)
    return done


def _run(job: Job) -> int:
    try:
        count = job.run() or 0
        db.session.commit()
    except Exception:
        db.session.rollback()
        log.exception("worker job %s failed", job.name)
        count = -1
    if job.every is not None:
        _record_job(job.name, count)
    return count


class Schedule:
    """Which scheduled jobs are due: claimed in the database once per period, with a local
    estimate of the next due time so an idle pass costs no query per job."""

    def __init__(self) -> None:
        self.next_check: dict[str, dt.datetime] = {}

    def __call__(self, job: Job) -> bool:
        if job.every is None:
            return True
        now = clock.now()
        if now < self.next_check.get(job.name, now):
            return False
        claimed, last_started = _claim_job(job.name, now, job.every)
        self.next_check[job.name] = (now if claimed else last_started or now) + job.every
        return claimed


def _claim_job(name: str, now: dt.datetime, every: dt.timedelta) -> tuple[bool, dt.datetime | None]:
    if db.session.get(WorkerJob, name) is None:
        try:
            with db.session.begin_nested():
                db.session.add(WorkerJob(name=name))
        except IntegrityError:
            pass  # another worker added it first
    claimed = cast("CursorResult[Any]", db.session.execute(
        update(WorkerJob).where(WorkerJob.name == name, or_(WorkerJob.last_started_at.is_(None),
                                                            WorkerJob.last_started_at <= now - every))
        .values(last_started_at=now).execution_options(synchronize_session=False))).rowcount == 1
    last_started = db.session.execute(db.select(WorkerJob.last_started_at).where(WorkerJob.name == name)).scalar()
    db.session.commit()
    return claimed, last_started


def _record_job(name: str, count: int) -> None:
    now = clock.now()
    values = {"last_failed_at": now} if count < 0 else {"last_finished_at": now, "last_count": count}
    try:
        updated = cast("CursorResult[Any]", db.session.execute(
            update(WorkerJob).where(WorkerJob.name == name).values(**values)))
        if updated.rowcount == 0:
            db.session.add(WorkerJob(name=name, last_started_at=now, **values))
        db.session.commit()
    except Exception:
        db.session.rollback()
        log.exception("worker job %s: its run could not be recorded", name)


# --- the process ----------------------------------------------------------------------------------


def _once_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:once"[:96]


def _record_pass(worker_id: str, *, passed: bool = True, stopped: bool = False) -> None:
    now = clock.now()
    try:
        process = db.session.get(WorkerProcess, worker_id)
        if process is None:
            process = WorkerProcess(worker_id=worker_id, hostname=socket.gethostname()[:255], pid=os.getpid(),
                                    started_at=now, passes=0)
            db.session.add(process)
        if passed:
            process.last_pass_at, process.passes = now, (process.passes or 0) + 1
        if stopped:
            process.stopped_at = now
        db.session.commit()
    except Exception:
        db.session.rollback()
        log.exception("worker pass could not be recorded")


@contextmanager
def _stop_on_signals() -> Iterator[None]:
    def ask_to_stop(signum: int, frame: FrameType | None) -> None:
        log.info("worker: %s received, stopping after the item in hand", signal.Signals(signum).name)
        request_stop()

    previous = {sig: signal.signal(sig, ask_to_stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def run_forever(idle_seconds: float | None = None) -> None:
    """Passes until SIGTERM/SIGINT: busy passes follow each other, an idle one sleeps."""
    idle = current_app.config["WORKER_IDLE_SECONDS"] if idle_seconds is None else idle_seconds
    worker_id = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"[:96]
    schedule = Schedule()
    _stop.clear()
    _forget_old_processes()
    log.info("worker %s started", worker_id)
    with _stop_on_signals():
        while not stop_requested():
            done = run_due(schedule)
            if stop_requested():
                break
            _record_pass(worker_id)
            if any(count > 0 for count in done.values()):
                log.info("worker pass: %s", done)
                continue
            _stop.wait(idle)
    _record_pass(worker_id, passed=False, stopped=True)
    db.session.remove()
    log.info("worker %s stopped", worker_id)


def _forget_old_processes() -> None:
    before = clock.now() - STOPPED_KEPT
    db.session.execute(db.delete(WorkerProcess).where(
        or_(WorkerProcess.stopped_at < before, WorkerProcess.last_pass_at < before)))
    db.session.commit()


# --- status ----------------------------------------------------------------------------------------


def last_finished_pass() -> dt.datetime | None:
    """The latest finished pass of any worker process, or None."""
    return db.session.execute(db.select(func.max(WorkerProcess.last_pass_at))).scalar()


def status() -> tuple[list[WorkerProcess], dict[str, WorkerJob | None]]:
    processes = list(db.session.execute(db.select(WorkerProcess).order_by(WorkerProcess.last_pass_at.desc()))
                     .scalars())
    rows = {row.name: row for row in db.session.execute(db.select(WorkerJob)).scalars()}
    return processes, {job.name: rows.get(job.name) for job in jobs()}
