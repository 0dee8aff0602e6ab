"""What the job tests share: the project's real Redis broker, a real dramatiq worker started in
the test process, a look into a queue, and a committed database for tests whose data a worker
thread must see."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

import dramatiq
import pytest
from django.db import connections
from dramatiq.brokers.redis import RedisBroker

from config import broker as tandem_broker

# Actors defined by the tests live on their own queue, so a worker started here consumes nothing
# else (and the suite's Redis database is flushed before every test).
QUEUE = "tests_jobs"
JOIN_TIMEOUT_MS = 10_000


@pytest.fixture
def broker() -> RedisBroker:
    return tandem_broker.setup()


class CloseThreadConnections(dramatiq.Middleware):
    """A worker thread's own database connection would outlive the thread (and keep the test
    database from being dropped): close it when the thread stops."""

    def before_worker_thread_shutdown(self, broker: Any, thread: Any) -> None:
        connections.close_all()


@contextmanager
def running_worker(
    broker: RedisBroker, queues: Iterable[str] = (QUEUE,)
) -> Iterator[dramatiq.Worker]:
    """One worker thread consuming `queues` (and their delay queues) until the block ends."""
    closer = CloseThreadConnections()
    broker.add_middleware(closer)
    worker = dramatiq.Worker(broker, queues=set(queues), worker_threads=1, worker_timeout=50)
    worker.start()
    try:
        yield worker
    finally:
        worker.stop(timeout=JOIN_TIMEOUT_MS)
        # Worker.start registers a middleware on the broker that would outlive this worker.
        broker.middleware[:] = [
            middleware for middleware in broker.middleware
            if middleware is not closer and getattr(middleware, "worker", None) is not worker
        ]


def drain(broker: RedisBroker, worker: dramatiq.Worker, queues: Iterable[str] = (QUEUE,)) -> None:
    """Wait until every message on `queues` (retries and delays included) has been handled."""
    for queue in queues:
        broker.join(queue, timeout=JOIN_TIMEOUT_MS)
    worker.join()


def queued(broker: RedisBroker, queue: str) -> list[dramatiq.Message[Any]]:
    """The messages waiting on `queue`, oldest first, as the worker would decode them."""
    ids = broker.client.lrange(f"{broker.namespace}:{queue}", 0, -1)
    if not ids:
        return []
    encoded = broker.client.hmget(f"{broker.namespace}:{queue}.msgs", ids)
    return [dramatiq.Message.decode(data) for data in encoded]
