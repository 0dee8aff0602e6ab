"""Tenant-bound jobs end to end: real messages through the real Redis broker to a real dramatiq
worker thread, each actor running inside the practice schema its message carries.

The worker thread has its own database connection, so these tests commit their data
(transactional) and drop the practice schemas they made afterwards.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import dramatiq
import pytest
from django.db import connection
from django_tenants.utils import get_public_schema_name, schema_context
from dramatiq.brokers.redis import RedisBroker
from dramatiq.common import dq_name

from config.broker import TenantContextMissing, TenantMiddleware, send_to_practice
from tenants.accounts.models import Role, User
from tests.conftest import PASSWORD, PracticeWorld
from tests.jobs.conftest import QUEUE, drain, queued, running_worker

# Not the django_db marker: its fixture would be set up before `committed_db` can arrange the
# final flush (see tests/jobs/conftest.py).
pytestmark = pytest.mark.usefixtures("committed_db")

PUBLIC = get_public_schema_name()
# Each practice made by the suite's fixtures has five people: owner, clinician, front desk,
# billing, client.
PEOPLE_PER_PRACTICE = 5


@dataclass(frozen=True)
class Run:
    """What an actor saw, recorded from inside the worker thread."""

    label: str
    schema: str
    user_count: int
    thread_id: int


RUNS: list[Run] = []
ATTEMPTS: Counter[str] = Counter()


def _record(label: str) -> None:
    RUNS.append(Run(label, connection.schema_name, User.objects.count(), threading.get_ident()))


@dramatiq.actor(actor_name="tests_jobs_record", queue_name=QUEUE, max_retries=0)
def record_run(label: str) -> None:
    _record(label)


@dramatiq.actor(actor_name="tests_jobs_add_user", queue_name=QUEUE, max_retries=0)
def add_user(email: str) -> None:
    _record(email)
    User.objects.create_user(email, PASSWORD, full_name="Made By Job", role=Role.CLIENT)


@dramatiq.actor(
    actor_name="tests_jobs_fail_once", queue_name=QUEUE, max_retries=1, min_backoff=10,
    max_backoff=20,
)
def fail_once(label: str) -> None:
    _record(label)
    ATTEMPTS[label] += 1
    if ATTEMPTS[label] == 1:
        raise RuntimeError("the first attempt fails")


@dramatiq.actor(actor_name="tests_jobs_always_fail", queue_name=QUEUE, max_retries=0)
def always_fail(label: str) -> None:
    _record(label)
    raise RuntimeError("this actor always fails")


@dramatiq.actor(
    actor_name="tests_jobs_platform", queue_name=QUEUE, max_retries=0, platform_wide=True
)
def record_platform_run(label: str) -> None:
    _record(label)


class SchemaProbe(dramatiq.Middleware):
    """Sits outside TenantMiddleware: notes the worker thread's schema just before the tenant
    middleware takes a message and just after it has finished with it. `preset` puts the thread
    in a given schema first, as something earlier in the thread's life might have."""

    def __init__(self, preset: str | None) -> None:
        self.preset = preset
        self.seen: list[tuple[str, str, str]] = []

    def before_process_message(self, broker: Any, message: Any) -> None:
        if self.preset:
            connection.set_schema(self.preset)
        self.seen.append(("before", message.args[0], connection.schema_name))

    def after_process_message(self, broker: Any, message: Any, **_: Any) -> None:
        self.seen.append(("after", message.args[0], connection.schema_name))

    def after_skip_message(self, broker: Any, message: Any) -> None:
        self.seen.append(("after", message.args[0], connection.schema_name))


@pytest.fixture(autouse=True)
def _fresh_records() -> Iterator[None]:
    RUNS.clear()
    ATTEMPTS.clear()
    yield
    RUNS.clear()
    ATTEMPTS.clear()


def _run_worker(broker: RedisBroker) -> None:
    with running_worker(broker) as worker:
        drain(broker, worker)


@contextmanager
def _past_the_sender_check(broker: RedisBroker) -> Iterator[None]:
    """Sends in this block skip the tenant middleware, as a message from an older release or
    another producer would arrive: what the worker's own refusal is there for."""
    tenant = next(item for item in broker.middleware if isinstance(item, TenantMiddleware))
    index = broker.middleware.index(tenant)
    broker.middleware.remove(tenant)
    try:
        yield
    finally:
        broker.middleware.insert(index, tenant)


def _waiting(broker: RedisBroker) -> list[tuple[str, tuple[Any, ...], str | None]]:
    """Actor, arguments and schema of every message waiting (now or delayed) on the test queue."""
    return [
        (message.actor_name, tuple(message.args), message.options.get("schema"))
        for queue in (QUEUE, dq_name(QUEUE))
        for message in queued(broker, queue)
    ]


def _emails(schema: str) -> list[str]:
    with schema_context(schema):
        return sorted(User.objects.values_list("email", flat=True))


def test_message_runs_in_the_practice_it_was_sent_from(
    broker: RedisBroker, alpha: PracticeWorld, beta: PracticeWorld
) -> None:
    beta_emails_before = _emails(beta.practice.schema_name)
    with schema_context(alpha.practice.schema_name):
        message = add_user.send("made-by-job@example.org")
    assert message.options["schema"] == alpha.practice.schema_name

    _run_worker(broker)

    assert [(run.label, run.schema) for run in RUNS] == [
        ("made-by-job@example.org", alpha.practice.schema_name)
    ]
    assert "made-by-job@example.org" in _emails(alpha.practice.schema_name)
    assert _emails(beta.practice.schema_name) == beta_emails_before
    assert "made-by-job@example.org" not in _emails(PUBLIC)


def test_one_worker_thread_keeps_two_practices_apart(
    broker: RedisBroker, alpha: PracticeWorld, beta: PracticeWorld
) -> None:
    with schema_context(alpha.practice.schema_name):
        User.objects.create_user(
            "only-in-alpha@example.org", PASSWORD, full_name="Only Alpha", role=Role.CLIENT
        )
        record_run.send("alpha")
    with schema_context(beta.practice.schema_name):
        record_run.send("beta")

    # Both messages wait on the queue before the single worker thread starts: back to back.
    _run_worker(broker)

    assert [(run.label, run.schema, run.user_count) for run in RUNS] == [
        ("alpha", alpha.practice.schema_name, PEOPLE_PER_PRACTICE + 1),
        ("beta", beta.practice.schema_name, PEOPLE_PER_PRACTICE),
    ]
    assert len({run.thread_id for run in RUNS}) == 1
    assert threading.get_ident() not in {run.thread_id for run in RUNS}


def test_schema_already_on_a_message_is_kept(
    broker: RedisBroker, alpha: PracticeWorld, beta: PracticeWorld
) -> None:
    alpha_schema = alpha.practice.schema_name
    with schema_context(beta.practice.schema_name):
        record_run.send_with_options(args=("explicit from beta",), schema=alpha_schema)
        send_to_practice(record_run, alpha_schema, label="send_to_practice from beta")
    record_run.send_with_options(args=("explicit from public",), schema=alpha_schema)
    with schema_context(alpha_schema):
        record_run.send_with_options(args=("delayed from alpha",), delay=30)

    _run_worker(broker)

    assert sorted((run.label, run.schema) for run in RUNS) == [
        ("delayed from alpha", alpha_schema),
        ("explicit from beta", alpha_schema),
        ("explicit from public", alpha_schema),
        ("send_to_practice from beta", alpha_schema),
    ]


def test_retried_message_runs_every_attempt_in_its_schema(
    broker: RedisBroker, alpha: PracticeWorld, beta: PracticeWorld
) -> None:
    with schema_context(alpha.practice.schema_name):
        fail_once.send("flaky")

    _run_worker(broker)

    assert ATTEMPTS == Counter({"flaky": 2})
    assert [(run.label, run.schema) for run in RUNS] == [
        ("flaky", alpha.practice.schema_name),
        ("flaky", alpha.practice.schema_name),
    ]


def test_tenant_actor_sent_from_public_raises_and_enqueues_nothing(
    broker: RedisBroker, alpha: PracticeWorld, beta: PracticeWorld
) -> None:
    alpha_emails = _emails(alpha.practice.schema_name)
    beta_emails = _emails(beta.practice.schema_name)

    with pytest.raises(TenantContextMissing, match="tenant actor tests_jobs_add_user sent with no"):
        add_user.send("made-from-public@example.org")
    with pytest.raises(TenantContextMissing):
        record_run.send_with_options(args=("public named outright",), schema=PUBLIC)
    with pytest.raises(TenantContextMissing):
        record_run.send_with_options(args=("delayed from public",), delay=30)
    with schema_context(alpha.practice.schema_name), pytest.raises(TenantContextMissing):
        record_run.send_with_options(args=("public named from alpha",), schema=PUBLIC)

    assert connection.schema_name == PUBLIC
    assert _waiting(broker) == []
    _run_worker(broker)
    assert RUNS == []
    assert _emails(alpha.practice.schema_name) == alpha_emails
    assert _emails(beta.practice.schema_name) == beta_emails
    assert "made-from-public@example.org" not in _emails(PUBLIC)


def test_tenant_actor_sent_from_a_practice_enqueues_with_that_schema(
    broker: RedisBroker, alpha: PracticeWorld, beta: PracticeWorld
) -> None:
    with schema_context(alpha.practice.schema_name):
        record_run.send("from alpha")
        record_run.send_with_options(args=("delayed from alpha",), delay=30)

    assert _waiting(broker) == [
        ("tests_jobs_record", ("from alpha",), alpha.practice.schema_name),
        ("tests_jobs_record", ("delayed from alpha",), alpha.practice.schema_name),
    ]
    assert beta.practice.schema_name not in {schema for _, _, schema in _waiting(broker)}


def test_platform_wide_actor_sends_from_public(broker: RedisBroker, alpha: PracticeWorld) -> None:
    record_platform_run.send("platform job sent from public")

    assert _waiting(broker) == [("tests_jobs_platform", ("platform job sent from public",), None)]
    _run_worker(broker)
    assert [(run.label, run.schema, run.user_count) for run in RUNS] == [
        ("platform job sent from public", PUBLIC, 0)
    ]


def test_tenant_message_without_schema_that_slips_past_the_sender_is_refused_and_logged(
    broker: RedisBroker, alpha: PracticeWorld, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.ERROR, logger="config.broker")
    with _past_the_sender_check(broker):
        message = record_run.send("sent from public")
        record_run.send_with_options(args=("public named outright",), schema=PUBLIC)
    assert "schema" not in message.options
    assert len(_waiting(broker)) == 2

    _run_worker(broker)

    assert RUNS == []
    refusals = [
        record for record in caplog.records
        if record.name == "config.broker" and record.levelno == logging.ERROR
        and "carries no schema" in record.getMessage()
    ]
    assert len(refusals) == 2


@pytest.mark.parametrize("preset", [None, "beta"], ids=["thread-in-public", "thread-in-beta"])
def test_schema_is_restored_after_the_actor_even_when_it_fails(
    broker: RedisBroker, alpha: PracticeWorld, beta: PracticeWorld, preset: str | None
) -> None:
    before = beta.practice.schema_name if preset == "beta" else PUBLIC
    probe = SchemaProbe(preset=beta.practice.schema_name if preset == "beta" else None)
    with schema_context(alpha.practice.schema_name):
        always_fail.send("fails")
        record_run.send("succeeds")
    with _past_the_sender_check(broker):
        record_run.send("refused")  # from public: carries no schema

    broker.add_middleware(probe, before=TenantMiddleware)
    try:
        _run_worker(broker)
    finally:
        broker.middleware.remove(probe)

    assert [(run.label, run.schema) for run in RUNS] == [
        ("fails", alpha.practice.schema_name),
        ("succeeds", alpha.practice.schema_name),
    ]
    assert probe.seen == [
        ("before", "fails", before), ("after", "fails", before),
        ("before", "succeeds", before), ("after", "succeeds", before),
        ("before", "refused", before), ("after", "refused", before),
    ]


def test_platform_wide_actor_runs_in_public(
    broker: RedisBroker, alpha: PracticeWorld
) -> None:
    with schema_context(alpha.practice.schema_name):
        record_platform_run.send("platform job sent from alpha")

    _run_worker(broker)

    assert [(run.label, run.schema, run.user_count) for run in RUNS] == [
        ("platform job sent from alpha", PUBLIC, 0)
    ]
