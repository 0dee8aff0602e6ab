"""Errors counted per practice schema, for the operator's fleet view: how many ERROR records a
practice's requests and jobs logged in the last days, when the last one was, and from which
logger. Never the message or its arguments (they could hold PHI): only counts, times and logger
names, kept in Redis (one hash per schema and day, expiring after ERROR_DAYS)."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

import redis
from django.conf import settings

ERROR_DAYS = 7
KEY = "tandem:errors:{schema}:{day}"
_client: redis.Redis | None = None


def _redis() -> redis.Redis:
    global _client
    if _client is None:
        _client = redis.Redis.from_url(settings.REDIS_URL, socket_timeout=1)
    return _client


def _day(moment: float) -> str:
    return datetime.fromtimestamp(moment, tz=UTC).strftime("%Y%m%d")


class SchemaErrorHandler(logging.Handler):
    """Counts ERROR records by the schema they were logged in (controlplane.logging's filter
    sets `record.schema`). Failing to count never fails the request."""

    def __init__(self) -> None:
        super().__init__(level=logging.ERROR)

    def emit(self, record: logging.LogRecord) -> None:
        schema = getattr(record, "schema", "")
        if not schema or not schema.startswith("p_"):
            return
        try:
            key = KEY.format(schema=schema, day=_day(record.created))
            pipe = _redis().pipeline()
            pipe.hincrby(key, "count", 1)
            pipe.hset(key, mapping={"last_at": f"{record.created:.0f}",
                                    "last_logger": record.name[:100]})
            pipe.expire(key, ERROR_DAYS * 86400)
            pipe.execute()
        except Exception:  # noqa: BLE001 - counting is best effort
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
