"""The periodic scheduler: due jobs are enqueued once per interval, a per-practice job fans out to
every active practice bound to its schema, and of two schedulers only the lock holder enqueues."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import dramatiq
import pytest
import redis
from django.conf import settings
from django.db import connection
from dramatiq.brokers.redis import RedisBroker

from config import scheduler
from config.scheduler import LOCK_KEY, PeriodicJob, fan_out, run_due_jobs, run_forever
from config.tasks_registry import import_all_tasks
from tenants.accounts.models import User
from tenants.actor import Actor
from tenants.services import practice_suspend
from tests.conftest import PracticeWorld
from tests.jobs.conftest import QUEUE, drain, queued, running_worker

# The scheduler looks its jobs' actors up by name, as the scheduler process does after this.
import_all_tasks()

SCHEDULER_QUEUE = "default"
START = 1_700_000_000.0
SEEN: list[tuple[str, str]] = []


@dramatiq.actor(actor_name="tests_jobs_scheduled_per_practice", queue_name=QUEUE, max_retries=0)
def scheduled_per_practice(**_: Any) -> None:
    SEEN.append((connection.schema_name, threading.current_thread().name))


@dramatiq.actor(actor_name="tests_jobs_tick", queue_name=QUEUE, max_retries=0, platform_wide=True)
def tick() -> None:
    """Enqueued by the scheduler in the two-scheduler test; never consumed there."""


@pytest.fixture
def redis_client() -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(settings.REDIS_URL)
    yield client
    client.close()


@pytest.fixture(autouse=True)
def _fresh_records() -> Iterator[None]:
    SEEN.clear()
    yield
    SEEN.clear()


def _expected_messages(jobs: list[PeriodicJob]) -> list[tuple[str, tuple[Any, ...]]]:
    return [
        ("fan_out", (job.actor_name,)) if job.per_practice else (job.actor_name, ())
        for job in jobs
    ]


def _enqueued(broker: RedisBroker) -> list[tuple[str, tuple[Any, ...]]]:
    return [(message.actor_name, message.args) for message in queued(broker, SCHEDULER_QUEUE)]


def test_due_jobs_are_enqueued_once_per_interval(
    broker: RedisBroker, redis_client: redis.Redis
) -> None:
    jobs = list(scheduler.JOBS)
    shortest = min(job.every for job in jobs).total_seconds()
    assert shortest >= 2 * scheduler.TICK_SECONDS

    assert run_due_jobs(redis_client, START) == [job.actor_name for job in jobs]
    assert _enqueued(broker) == _expected_messages(jobs)
    # Platform jobs and fan-outs are sent from public: they carry no schema.
    assert [message.options.get("schema") for message in queued(broker, SCHEDULER_QUEUE)] == [
        None
    ] * len(jobs)

    assert run_due_jobs(redis_client, START + shortest / 2) == []
    assert run_due_jobs(redis_client, START + shortest - 1) == []
    assert _enqueued(broker) == _expected_messages(jobs)

    due_again = [job for job in jobs if job.every.total_seconds() == shortest]
    assert run_due_jobs(redis_client, START + shortest) == [job.actor_name for job in due_again]
    assert _enqueued(broker) == _expected_messages(jobs + due_again)


@pytest.mark.django_db
def test_fan_out_sends_one_message_per_active_practice(
    broker: RedisBroker, alpha: PracticeWorld, beta: PracticeWorld, practice_factory: Any,
    operator: User,
) -> None:
    gamma = practice_factory("gamma", "Gamma Suspended")
    practice_suspend(practice_id=gamma.practice.pk, actor=Actor.of(operator))

    fan_out(scheduled_per_practice.actor_name)

    messages = queued(broker, QUEUE)
    assert [message.actor_name for message in messages] == [scheduled_per_practice.actor_name] * 2
    assert sorted(message.options["schema"] for message in messages) == sorted(
        [alpha.practice.schema_name, beta.practice.schema_name]
    )
    assert queued(broker, SCHEDULER_QUEUE) == []


@pytest.mark.usefixtures("committed_db")
def test_fanned_out_job_runs_once_inside_each_active_practice(
    broker: RedisBroker, alpha: PracticeWorld, beta: PracticeWorld, practice_factory: Any,
    operator: User,
) -> None:
    gamma = practice_factory("gamma", "Gamma Suspended")
    practice_suspend(practice_id=gamma.practice.pk, actor=Actor.of(operator))

    fan_out.send(scheduled_per_practice.actor_name)
    queues = (SCHEDULER_QUEUE, QUEUE)
    with running_worker(broker, queues) as worker:
        drain(broker, worker, queues)

    assert sorted(schema for schema, _ in SEEN) == sorted(
        [alpha.practice.schema_name, beta.practice.schema_name]
    )


def test_of_two_schedulers_only_the_lock_holder_enqueues(
    broker: RedisBroker, redis_client: redis.Redis, monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    # A job due on every tick: each scheduler that believed it held the lock would enqueue it.
    monkeypatch.setattr(
        scheduler, "JOBS", (PeriodicJob(tick.actor_name, timedelta(0), per_practice=False),)
    )
    caplog.set_level(logging.DEBUG, logger="config.scheduler")
    stop = threading.Event()
    schedulers = [
        threading.Thread(target=run_forever, args=(stop, 0.5), name=f"scheduler-{number}")
        for number in (1, 2)
    ]
    for thread in schedulers:
        thread.start()
    time.sleep(1.7)  # four ticks each; the lock lives four ticks, so a slow tick keeps it
    stop.set()
    for thread in schedulers:
        thread.join(timeout=5)
    assert [thread.is_alive() for thread in schedulers] == [False, False]

    records = [record for record in caplog.records if record.name == "config.scheduler"]
    enqueued_by = [
        record.threadName for record in records
        if record.getMessage() == f"scheduler enqueued {tick.actor_name}"
    ]
    waited = {
        record.threadName for record in records
        if record.getMessage() == "another scheduler holds the lock"
    }
    assert len(set(enqueued_by)) == 1
    assert waited == {"scheduler-1", "scheduler-2"} - set(enqueued_by)
    assert len(queued(broker, QUEUE)) == len(enqueued_by)
    assert len(enqueued_by) >= 2
    assert redis_client.get(LOCK_KEY) is None
