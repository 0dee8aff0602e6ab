"""gunicorn for Tandem's web process: sync Django behind a buffering reverse proxy, so gthread
workers (a few threads per process) rather than uvicorn workers. See docs/deployment.md."""

from __future__ import annotations

import multiprocessing
import os

bind = f"0.0.0.0:{os.environ.get('PORT', '8000')}"
worker_class = "gthread"
# Each thread may hold one PostgreSQL connection: processes x threads x tasks must stay within
# the connection budget (docs/deployment.md, "Connections").
workers = int(os.environ.get("WEB_CONCURRENCY", min(4, multiprocessing.cpu_count() * 2 + 1)))
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 30
keepalive = 5
# Recycle workers now and then: a connection that has visited many schemas grows.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "2000"))
max_requests_jitter = 200
# The heartbeat file lives in memory, so the root filesystem can be read-only.
worker_tmp_dir = "/dev/shm"
# The proxy (Caddy, or the ALB) sets X-Forwarded-Proto; only it can reach this port.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "*")
accesslog = "-"
errorlog = "-"
# No query strings in access logs: PHI never travels in URLs, but a token might. The paths that
# carry a secret (a password-reset token, an invitation) are redacted by the logger class, in
# the access log and the error log alike (config/redaction.py).
access_log_format = '%(h)s "%(m)s %(U)s" %(s)s %(B)s %(M)sms "%(a)s"'
logger_class = "config.gunicorn_logging.RedactingLogger"


def post_worker_init(worker: object) -> None:
    """Once the application is loaded in the worker: its modules' objects (a few hundred
    thousand, kept for the worker's life) leave the garbage collector's generations, so a full
    collection, triggered now and then by a page's allocations, no longer walks them all
    (gc.freeze; measured in docs/benchmarks.md)."""
    import gc

    gc.collect()
    gc.freeze()
