"""The worker loop: features plug jobs in; ``worker --once`` runs each job once."""
from __future__ import annotations

import logging
import time
from typing import Callable

from flask import Flask, current_app

from .extensions import db

log = logging.getLogger(__name__)

Job = Callable[[], int]


def register_job(app: Flask, name: str, job: Job) -> None:
    """Add ``job`` to the worker pass; it returns how many items it handled."""
    app.extensions.setdefault("worker_jobs", {})[name] = job


def run_once() -> dict[str, int]:
    """One full pass over every job; a failing job is logged and the others still run."""
    done: dict[str, int] = {}
    for name, job in current_app.extensions.get("worker_jobs", {}).items():
        try:
            done[name] = job() or 0
            db.session.commit()
        except Exception:
            db.session.rollback()
            log.exception("worker job %s failed", name)
            done[name] = -1
    return done


def run_forever(interval: float = 5.0) -> None:
    log.info("worker started")
    while True:
        done = run_once()
        if any(count for count in done.values() if count > 0):
            log.info("worker pass: %s", done)
            continue
        time.sleep(interval)
