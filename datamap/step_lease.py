"""A purge step's lease while its worker runs it (datamap/engine.py): renewed from a thread
while a statement runs, and fenced by the claim's attempt number."""
from __future__ import annotations

import datetime as dt
import logging
import threading
from typing import Any

from flask import current_app

from consent_service import clock
from consent_service.extensions import db

from .models import PurgeStep

log = logging.getLogger("datamap.engine")

STEPS = PurgeStep.__table__


class StepTakenOver(RuntimeError):
    """Another worker claimed this step after its lease ran out: this worker must stop."""


class LeaseKeeper:
    """Renews the step's lease every third of ``PURGE_STEP_LEASE_SECONDS`` from a thread of its
    own while the step runs (a single statement may outlast the lease), so no other worker takes
    a step whose worker is alive. A worker that stalls anyway is fenced: the renewal, and every
    later write about the step, requires the attempt number of its claim."""

    def __init__(self, step: Any) -> None:
        self.step = step
        self.seconds = current_app.config["PURGE_STEP_LEASE_SECONDS"]
        self.engine = db.engine
        self.lost = False
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"purge-lease-{step.id}", daemon=True)

    def __enter__(self) -> LeaseKeeper:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()

    def check(self) -> None:
        if self.lost:
            raise StepTakenOver(self.step.id)

    def _run(self) -> None:
        while not self._stop.wait(self.seconds / 3):
            try:
                with self.engine.begin() as conn:
                    renewed = conn.execute(STEPS.update().where(
                        STEPS.c.id == self.step.id, STEPS.c.attempts == self.step.attempt,
                        STEPS.c.status == "running").values(lease_until=_lease_end_from(self.seconds))).rowcount
            except Exception as err:  # the database away for a moment: try again at the next tick
                log.warning("purge step %s: lease not renewed (%s)", self.step.id, type(err).__name__)
                continue
            if renewed != 1:
                self.lost = True
                return


def _lease_end_from(seconds: float) -> dt.datetime:
    return clock.now() + dt.timedelta(seconds=seconds)
