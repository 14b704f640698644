"""Gunicorn settings for `web:` (Procfile), `make run` and bench/consent_api.py.

Gunicorn reads this file from the working directory; the benchmark passes it explicitly to
the service and to both ceilings, so all three run under the same worker settings.
"""
import os

bind = f"0.0.0.0:{os.environ['PORT']}" if os.environ.get("PORT") else "127.0.0.1:8000"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
worker_class = os.environ.get("GUNICORN_WORKER_CLASS", "sync")
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
