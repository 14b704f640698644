"""A worker stopped by SIGTERM in the middle of a purge: the step in hand ends, no step stays
claimed, the process exits 0, and the next worker finishes the purge."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from consent_service import clock
from consent_service.extensions import db
from datamap.models import PurgeStep

from .helpers import run_worker


def steps(purge_id: str) -> list[str]:
    db.session.expire_all()
    return [step.status for step in db.session.execute(
        db.select(PurgeStep).where(PurgeStep.purge_id == purge_id).order_by(PurgeStep.position)).scalars()]


def test_sigterm_mid_purge_ends_the_step_in_hand_and_leaves_nothing_claimed(app, client, api_key, database_url,
                                                                            portal, tmp_path):
    clock.set_now(None)  # the worker below runs on the real clock
    response = client.post("/v1/accounts/A1001/deletion", headers=api_key("accounts:write"))
    purge_id = response.get_json()["purge_id"]
    db.session.commit()
    env = {**{k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG")},
           "DATABASE_URL": database_url, "SECRET_KEY": "test-secret-key", "DATAMAP_PATH": str(portal.map_path),
           "PURGE_BATCH_SIZE": "1", "PURGE_BATCH_PAUSE_SECONDS": "0.3", "WORKER_IDLE_SECONDS": "0.2"}
    worker = subprocess.Popen([str(Path(sys.executable).with_name("flask")), "--app", "consent_service", "worker"],
                              env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        while "done" not in steps(purge_id) and time.monotonic() < deadline:
            time.sleep(0.1)
        worker.send_signal(signal.SIGTERM)
        output, _ = worker.communicate(timeout=60)
    finally:
        if worker.poll() is None:
            worker.kill()
    assert worker.returncode == 0, output.decode()[-3000:]
    left = steps(purge_id)
    assert "done" in left and "running" not in left  # the step in hand ended; nothing stays claimed
    assert "pending" in left  # and it took no further step once asked to stop
    for _ in range(5):
        run_worker()
    assert set(steps(purge_id)) == {"done"}
