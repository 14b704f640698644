"""Gunicorn settings for `web:` (Procfile), `make run` and bench/consent_api.py.

Gunicorn reads this file from the working directory; the benchmark passes it explicitly to
the service and to both of its ceilings, so all three run under the same worker settings.

Sync workers: the service is CPU-bound Python (validation, signing, JSON) with one short
database transaction per write, and runs behind a reverse proxy that keeps client
connections alive. ``GUNICORN_WORKER_CLASS=gthread`` with ``GUNICORN_THREADS`` overlaps
database waits instead (more throughput per process on write-heavy loads, at the cost of the
GIL on the CPU-bound reads); see "Performance of the consent API" in README.md for both measured.
"""
import os
import sys

from consent_service.log_redaction import ACCESS_LOG_FORMAT

bind = f"0.0.0.0:{os.environ['PORT']}" if os.environ.get("PORT") else "127.0.0.1:8000"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
worker_class = os.environ.get("GUNICORN_WORKER_CLASS", "sync")
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
# The access log (off unless --access-logfile or accesslog is given; `make run` turns it on)
# never writes a query string, a token, an account id, an e-mail address, a cookie or a full
# client address: consent_service/log_redaction.py, docs/deployment.md "Logs".
logger_class = "consent_service.log_redaction.AccessLogger"
access_log_format = ACCESS_LOG_FORMAT


def on_starting(server):
    """Settings first: a bad one stops gunicorn here with one line naming the variable
    (``Error: invalid settings: DSAR_DIGEST_HOUR must be…``, never its value) and exit status 1,
    instead of each worker failing to build the app with a traceback.

    Then, with PROMETHEUS_MULTIPROC_DIR, the metric files of an earlier run go: prometheus-client
    sums every file in that directory, so the files of workers that died with the last master
    (a restarted container keeps its /run) would count forever. The directory belongs to this
    gunicorn alone (docs/deployment.md): `flask worker` and another instance never share it."""
    from consent_service import config

    try:
        config.load(os.environ)
    except config.SettingsError as err:
        print(f"Error: {err.format_message()}", file=sys.stderr, flush=True)
        sys.exit(1)
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if directory:
        _clear_metric_files(directory)


def _clear_metric_files(directory):
    """Remove prometheus-client's files (``*.db``) from ``directory``, creating it when missing;
    anything else there is left alone."""
    from pathlib import Path

    path = Path(directory)
    path.mkdir(parents=True, exist_ok=True)
    for stale in path.glob("*.db"):
        stale.unlink(missing_ok=True)


def child_exit(server, worker):
    """With PROMETHEUS_MULTIPROC_DIR, a stopped worker's metric files stop counting as live."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
