"""Errors counted per practice schema, for the operator's fleet view: how many ERROR records a
practice's requests and jobs logged in the last days, when the last one was, and from which
logger. Never the message or its arguments (they could hold PHI): only counts, times and logger
names, kept in Redis (one hash per schema and day, expiring after ERROR_DAYS)."""

from __future__ import annotations

import logging
import os
import queue
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

import redis
from django.conf import settings

ERROR_DAYS = 7
KEY = "tandem:errors:{schema}:{day}"
# Counting must never slow the request or job that logged: short timeouts, and after a failure
# (Redis down) no attempt for a while.
TIMEOUT_SECONDS = 0.2
BACKOFF_SECONDS = 30.0
_client: tuple[int, redis.Redis] | None = None
_down_until = 0.0


def _redis() -> redis.Redis:
    """A client of this process's own (never one inherited across a fork)."""
    global _client
    if _client is None or _client[0] != os.getpid():
        _client = (os.getpid(), redis.Redis.from_url(
            settings.REDIS_URL, socket_timeout=TIMEOUT_SECONDS,
            socket_connect_timeout=TIMEOUT_SECONDS))
    return _client[1]


def _day(moment: float) -> str:
    return datetime.fromtimestamp(moment, tz=UTC).strftime("%Y%m%d")


_queue: queue.Queue[tuple[str, float, str]] = queue.Queue(maxsize=10_000)
_writer_pid = 0
_writer_lock = threading.Lock()


def _write(schema: str, created: float, logger_name: str) -> None:
    global _down_until
    if time.monotonic() < _down_until:
        return
    try:
        key = KEY.format(schema=schema, day=_day(created))
        pipe = _redis().pipeline()
        pipe.hincrby(key, "count", 1)
        pipe.hset(key, mapping={"last_at": f"{created:.0f}", "last_logger": logger_name[:100]})
        pipe.expire(key, ERROR_DAYS * 86400)
        pipe.execute()
    except Exception:  # noqa: BLE001 - counting is best effort
        _down_until = time.monotonic() + BACKOFF_SECONDS


def _drain() -> None:
    while True:
        item = _queue.get()
        try:
            _write(*item)
        finally:
            _queue.task_done()


def _ensure_writer() -> None:
    """One writer thread per process (a forked worker starts its own)."""
    global _writer_pid
    if _writer_pid == os.getpid():
        return
    with _writer_lock:
        if _writer_pid != os.getpid():
            threading.Thread(target=_drain, name="error-counts", daemon=True).start()
            _writer_pid = os.getpid()


def flush(timeout: float = 5.0) -> None:
    """Wait until the counts logged so far are written (tests)."""
    deadline = time.monotonic() + timeout
    while _queue.unfinished_tasks and time.monotonic() < deadline:
        time.sleep(0.01)


class SchemaErrorHandler(logging.Handler):
    """Counts ERROR records by the schema they were logged in (config.logging's filter
    sets `record.schema`). The count is written by a thread of its own: logging an error never
    waits on Redis, and failing to count never fails the request or job."""

    def __init__(self) -> None:
        super().__init__(level=logging.ERROR)

    def emit(self, record: logging.LogRecord) -> None:
        schema = getattr(record, "schema", "")
        if not schema or not schema.startswith("p_"):
            return
        try:
            _ensure_writer()
            _queue.put_nowait((schema, record.created, record.name))
        except Exception:  # noqa: BLE001 - a full queue drops the count, never the request
            pass


@dataclass(frozen=True)
class ErrorCount:
    count: int
    last_at: datetime | None
    last_logger: str


def error_counts(schemas: Iterable[str], now: float | None = None) -> dict[str, ErrorCount]:
    """Errors of each schema over the last ERROR_DAYS days (one Redis round trip)."""
    schemas = list(schemas)
    now = now if now is not None else time.time()
    days = [_day(now - offset * 86400) for offset in range(ERROR_DAYS)]
    try:
        pipe = _redis().pipeline()
        for schema in schemas:
            for day in days:
                pipe.hgetall(KEY.format(schema=schema, day=day))
        answers = pipe.execute()
    except Exception:  # noqa: BLE001 - the page shows "-" rather than failing
        return {}
    counts = {}
    for index, schema in enumerate(schemas):
        total, last_at, last_logger = 0, 0.0, ""
        for answer in answers[index * len(days):(index + 1) * len(days)]:
            if not answer:
                continue
            total += int(answer.get(b"count", 0))
            at = float(answer.get(b"last_at", 0))
            if at > last_at:
                last_at, last_logger = at, answer.get(b"last_logger", b"").decode()
        counts[schema] = ErrorCount(
            total, datetime.fromtimestamp(last_at, tz=UTC) if last_at else None, last_logger)
    return counts
