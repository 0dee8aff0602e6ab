"""Notification pipeline benchmark: notifications per second from the event's transaction to the
mail server, through the outbox, the dispatcher, dramatiq workers and SMTP.

    python bench/notifications.py [--quick] [--runs N] [--count N] [--threads N]

One practice; each run writes `count` notifications, each in its own transaction as an event's
service does (`notification_enqueue`, whose commit wakes the dispatcher), and times from the
first write until the SMTP sink has received the last email. The workers are a real
`dramatiq controlplane.worker` process with `threads` threads, started once.

The baseline, in the same run and alternating with it: the same number of the same branded
emails sent with `send_branded_email` directly, by as many threads, with no outbox, no
dispatcher and no queue. The ratio says what the pipeline's guarantees (written before the event
commits, claimed before sending, recorded after) cost in throughput.

It works in a throwaway database on the server DATABASE_URL points at (embedded servers when
DATABASE_URL / REDIS_URL are unset), `<name>_nbench`, dropped at the end. The last line printed
is the one to read:

    RESULT notifications throughput=<median msg/s> msg/s baseline=<median msg/s> ratio=<r>
"""

from __future__ import annotations

import argparse
import io
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parent.parent
if str(PROJECT_ROOT) not in sys.path:
    sys.path.insert(0, str(PROJECT_ROOT))

from bench.common import compare, print_load, result_line  # noqa: E402

SUBDOMAIN = "bench-notify"
PASSWORD = "bench-horse-battery-staple-9"
ENQUEUED: list[float] = []


@dataclass(frozen=True)
class Plan:
    runs: int
    count: int
    threads: int


def parse_args(argv: list[str]) -> Plan:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="3 runs of 100 notifications")
    parser.add_argument("--runs", type=int, help="timed runs of each (default 5)")
    parser.add_argument("--count", type=int, help="notifications per run (default 500)")
    parser.add_argument("--threads", type=int, default=4, help="worker threads (default 4)")
    args = parser.parse_args(argv)
    plan = Plan(runs=args.runs or (3 if args.quick else 5),
                count=args.count or (100 if args.quick else 500), threads=args.threads)
    if plan.runs < 1 or plan.count < 1 or plan.threads < 1:
        parser.error("--runs, --count and --threads must be 1 or more")
    return plan


# --- the SMTP sink ------------------------------------------------------------------------------

class Sink:
    """Counts what the mail server accepts; `wait_for(n)` returns when n have arrived."""

    def __init__(self) -> None:
        self.count = 0
        self.condition = threading.Condition()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        with self.condition:
            self.count += 1
            self.condition.notify_all()
        return "250 OK"

    def reset(self) -> None:
        with self.condition:
            self.count = 0

    def wait_for(self, expected: int, timeout: float) -> None:
        with self.condition:
            if not self.condition.wait_for(lambda: self.count >= expected, timeout=timeout):
                raise SystemExit(f"FAIL: {self.count} of {expected} emails arrived in {timeout} s")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# --- the throwaway database and the worker ------------------------------------------------------

def prepare_environment(smtp_port: int) -> tuple[str, str]:
    """Point DATABASE_URL at a fresh benchmark database; return (server URL, database name)."""
    from bench.common import prepare_environment as prepare

    os.environ["EMAIL_URL"] = f"smtp://127.0.0.1:{smtp_port}"
    return prepare("nbench", settings_module="controlplane.settings.local")


def start_worker(threads: int, log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as output:
        return subprocess.Popen(
            [sys.executable, "-m", "dramatiq", "controlplane.worker", "--processes", "1",
             "--threads", str(threads), "--queues", "notifications", "default"],
            cwd=PROJECT_ROOT, env=dict(os.environ), stdout=output, stderr=subprocess.STDOUT,
            start_new_session=True)


def stop_worker(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


# --- the world ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class World:
    practice: Any
    recipient: Any


def build_world() -> World:
    from django.core.management import call_command
    from django.db import connection
    from django_tenants.utils import schema_context

    from tenants.accounts.models import Role, User
    from tenants.services import PracticeSignup, practice_provision

    call_command("migrate_platform", skip_practices=True, verbosity=0, stdout=io.StringIO())
    practice, _owner = practice_provision(
        signup=PracticeSignup(practice_name="Bench Notifications", subdomain=SUBDOMAIN,
                              owner_name="Bench Owner", owner_email="owner@bench.example.org",
                              owner_password=PASSWORD),
        acting_user=None)
    with schema_context(practice.schema_name):
        clinician = User.objects.create_user("clinician@bench.example.org", PASSWORD,
                                             full_name="Bench Clinician", role=Role.CLINICIAN)
    connection.set_schema_to_public()
    return World(practice, clinician)


# --- measuring ------------------------------------------------------------------------------

def pipeline_run(world: World, sink: Sink, count: int, run: int) -> float:
    """Seconds from the first event's write to the last email's arrival."""
    from django.db import transaction
    from django_tenants.utils import schema_context

    from practice.notifications.services import notification_enqueue

    sink.reset()
    started = time.perf_counter()
    with schema_context(world.practice.schema_name):
        for number in range(count):
            with transaction.atomic():
                notification_enqueue(recipient=world.recipient, kind="alert_raised",
                                     idempotency_key=f"bench:{run}:{number}",
                                     context={"alert_id": number})
    ENQUEUED.append(time.perf_counter() - started)
    try:
        sink.wait_for(count, timeout=60 + count)
    except SystemExit:
        _explain(world)
        raise
    return time.perf_counter() - started


def _explain(world: World) -> None:
    """What the outbox says when emails did not arrive."""
    from collections import Counter

    from django_tenants.utils import schema_context

    from practice.notifications.models import DeliveryAttempt, Notification

    with schema_context(world.practice.schema_name):
        print("outbox:", Counter(Notification.objects.values_list("status", flat=True)))
        print("attempts:", Counter(DeliveryAttempt.objects.values_list("outcome", "detail")))
        print("handed out:", Counter(Notification.objects.values_list(
            "status", "attempts")))


def baseline_run(world: World, sink: Sink, count: int, threads: int) -> float:
    """The same emails, sent directly by `threads` threads: no outbox, no queue."""
    from django.db import connections
    from django_tenants.utils import schema_context

    from branding.selectors import branding_for
    from controlplane.emails import send_branded_email

    with schema_context(world.practice.schema_name):
        branding = branding_for(world.practice)
    link = f"{branding.base_url}/clinic/alerts/"

    def send(number: int) -> None:
        send_branded_email(branding=branding, to=world.recipient.email,
                           subject="A new alert is waiting in your inbox",
                           template="notifications/email/generic",
                           context={"subject": "A new alert is waiting in your inbox",
                                    "link": link})

    sink.reset()
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=threads) as pool:
        list(pool.map(send, range(count)))
    sink.wait_for(count, timeout=60 + count)
    elapsed = time.perf_counter() - started
    connections.close_all()
    return elapsed


def run(plan: Plan, sink: Sink, log: Path) -> int:
    import django

    django.setup()
    from django.db import connection
    from django_tenants.utils import schema_context

    from controlplane.broker import setup
    from practice.notifications.models import Notification

    setup()
    world = build_world()
    worker = start_worker(plan.threads, log)
    try:
        # Warm up: the worker has booted and its caches are warm when timing starts.
        pipeline_run(world, sink, min(20, plan.count), run=-1)
        baseline_run(world, sink, min(20, plan.count), plan.threads)
        pipeline_times, baseline_times = [], []
        for number in range(plan.runs):
            pipeline_times.append(pipeline_run(world, sink, plan.count, run=number))
            baseline_times.append(baseline_run(world, sink, plan.count, plan.threads))
            print(f"  run {number + 1}: pipeline {plan.count / pipeline_times[-1]:.1f} msg/s "
                  f"(events written in {ENQUEUED[-1]:.2f} s), "
                  f"direct {plan.count / baseline_times[-1]:.1f} msg/s", flush=True)
        with schema_context(world.practice.schema_name):
            statuses = sorted(set(Notification.objects.values_list("status", flat=True)))
            total = Notification.objects.count()
        connection.set_schema_to_public()
    finally:
        stop_worker(worker)
    expected = (plan.runs * plan.count) + min(20, plan.count)
    if statuses != ["sent"] or total != expected:
        print(f"FAIL: {total} notifications (expected {expected}), statuses {statuses}")
        return 1
    comparison = compare([plan.count / seconds for seconds in pipeline_times],
                         [plan.count / seconds for seconds in baseline_times])
    print(f"every notification sent once ({total}), {plan.threads} worker threads")
    print(f"pipeline: {comparison.measured.line('msg/s', 1.0)}")
    print(f"direct  : {comparison.baseline.line('msg/s', 1.0)}")
    if not comparison.is_reliable:
        print(comparison.explain("msg/s", 1.0))
    print_load("after")
    print(result_line("notifications", "throughput", f"{comparison.measured.median:.1f}",
                      "msg/s", f"{comparison.baseline.median:.1f}", comparison), flush=True)
    return 0


def main(argv: list[str]) -> int:
    plan = parse_args(argv)
    print_load("before")
    from aiosmtpd.controller import Controller

    from bench.provisioning import drop_database

    logging.getLogger("mail.log").setLevel(logging.WARNING)  # the sink's chatter
    sink = Sink()
    smtp_port = _free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=smtp_port)
    controller.start()
    server_url, database = prepare_environment(smtp_port)
    log = PROJECT_ROOT / ".tandem" / "bench-notifications-worker.log"
    log.parent.mkdir(exist_ok=True)
    print(f"notifications benchmark in database {database}: {plan.runs} runs of {plan.count} "
          f"notifications, worker log in {log.relative_to(PROJECT_ROOT)}", flush=True)
    try:
        return run(plan, sink, log)
    finally:
        from django.db import connections

        connections.close_all()
        drop_database(server_url, database)
        controller.stop()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
