"""Time in the database, per request, for the load test (bench/load_settings.py): every query
the request runs is timed through Django's execute wrapper; the request's total and database
milliseconds are added to two Redis counters once it is answered."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import redis
from django.conf import settings
from django.db import connection

KEYS = ("bench:load:request_ms", "bench:load:db_ms", "bench:load:requests")
_client: redis.Redis | None = None


def counters() -> redis.Redis:
    global _client  # noqa: PLW0603 - one client per process
    if _client is None:
        _client = redis.Redis.from_url(settings.REDIS_URL)
    return _client


class DatabaseTimeMiddleware:
    def __init__(self, get_response: Callable[[Any], Any]) -> None:
        self.get_response = get_response

    def __call__(self, request: Any) -> Any:
        spent = [0.0]

        def timed(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
            started = time.perf_counter()
            try:
                return execute(sql, params, many, context)
            finally:
                spent[0] += time.perf_counter() - started

        started = time.perf_counter()
        with connection.execute_wrapper(timed):
            response = self.get_response(request)
        total = time.perf_counter() - started
        pipe = counters().pipeline(transaction=False)
        pipe.incrbyfloat(KEYS[0], total * 1000)
        pipe.incrbyfloat(KEYS[1], spent[0] * 1000)
        pipe.incr(KEYS[2])
        pipe.execute()
        return response
