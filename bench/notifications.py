"""Notification pipeline benchmark: deliveries per second through the outbox, the dispatcher,
a dramatiq worker process and SMTP, against the same emails sent plainly by a process of the
same threads over the same kind of reused connections.

    python bench/notifications.py [--quick] [--runs N] [--count N] [--threads N]

One practice; each run writes `count` notifications, each in its own transaction as an event's
service does (`notification_enqueue`), with the dispatcher's wake-up held back while they are
written; then wakes the dispatcher and times until the SMTP sink has received the last email:
hand-out, claim, send and record, by a real `dramatiq config.worker` process of one
process and `threads` threads, started once. (How fast events are written is printed too, but
it is the features' cost, not the pipeline's.)

The baseline, in the same run and alternating with it: the same number of the same emails (the
same kind's template and branding, a Message-ID each) sent directly by a child process with as
many threads, each thread reusing one SMTP connection exactly as the worker's threads do
(practice/notifications/connections.py): no outbox, no dispatcher, no queue. The ratio says what
the pipeline's guarantees (claimed before sending, recorded after, every outcome kept) cost.

Each side's CPU time per message is printed too (psutil): the worker's processes and the
database's backends against the sending process. On a loaded machine throughput is the share of
the cores each side won; CPU per message is what each side asked for.

Both sides, and the worker, run with the benches' settings (bench/settings.py: DEBUG off, as in
production). Under DEBUG every query is formatted and kept in a log, a cost only the side that
queries (the pipeline's) would pay.

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

from bench.common import Summary, compare, print_load, result_line  # noqa: E402
from tenants.actor import Actor  # noqa: E402

SUBDOMAIN = "bench-notify"
PASSWORD = "bench-horse-battery-staple-9"
ENQUEUED: list[float] = []
# CPU seconds per message of each run: the worker's processes, the database's backends (the
# pipeline's side) and the sending process (the baseline).
CPU: dict[str, list[float]] = {"worker": [], "database": [], "direct": []}


@dataclass(frozen=True)
class Plan:
    runs: int
    count: int
    threads: int


def parse_args(argv: list[str]) -> Plan:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="3 runs of 300 notifications")
    parser.add_argument("--runs", type=int, help="timed runs of each (default 5)")
    parser.add_argument("--count", type=int, help="notifications per run (default 2000)")
    parser.add_argument("--threads", type=int, default=4, help="worker threads (default 4)")
    parser.add_argument("--direct-child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    plan = Plan(runs=args.runs or (3 if args.quick else 5),
                count=args.count or (300 if args.quick else 2000), threads=args.threads)
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


def cpu_seconds(pid: int) -> float:
    """User and system CPU time so far of a process and its descendants."""
    import psutil

    root = psutil.Process(pid)
    total = 0.0
    for process in [root, *root.children(recursive=True)]:
        try:
            times = process.cpu_times()
        except psutil.NoSuchProcess:
            continue
        total += times.user + times.system
    return total


def database_server() -> int | None:
    """The process id of the PostgreSQL server the benchmark's database is on, when it runs on
    this machine (the embedded one, or one on loopback); else None."""
    from django.db import connection

    if connection.settings_dict["HOST"] not in ("", "localhost", "127.0.0.1", "::1"):
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        backend = cursor.fetchone()[0]
    import psutil

    return psutil.Process(backend).ppid()


def database_cpu_seconds(server: int | None, database: str) -> dict[int, float]:
    """CPU time so far of each of that server's backends connected to the benchmark's
    database (each names it in its process title), by process id; none when the server is
    elsewhere."""
    import psutil

    if server is None:
        return {}
    seconds = {}
    for process in psutil.Process(server).children():
        try:
            title = " ".join(process.cmdline())
            times = process.cpu_times()
        except psutil.NoSuchProcess:
            continue
        if f" {database} " in title:
            seconds[process.pid] = times.user + times.system
    return seconds


def cpu_since(before: dict[int, float], after: dict[int, float]) -> float:
    """CPU time spent between two readings by the backends alive at the second (one that
    ended in between is not counted: the database's figure is a floor)."""
    return sum(seconds - before.get(pid, 0.0) for pid, seconds in after.items())


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# --- the throwaway database and the worker ------------------------------------------------------

def prepare_environment(smtp_port: int) -> tuple[str, str]:
    """Point DATABASE_URL at a fresh benchmark database; return (server URL, database name)."""
    from bench.common import prepare_environment as prepare

    os.environ["EMAIL_URL"] = f"smtp://127.0.0.1:{smtp_port}"
    return prepare("nbench")


def start_worker(threads: int, log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as output:
        return subprocess.Popen(
            [sys.executable, "-m", "dramatiq", "config.worker", "--processes", "1",
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
        actor=Actor.SYSTEM)
    with schema_context(practice.schema_name):
        clinician = User.objects.create_user("clinician@bench.example.org", PASSWORD,
                                             full_name="Bench Clinician", role=Role.CLINICIAN)
    connection.set_schema_to_public()
    return World(practice, clinician)


# --- measuring ------------------------------------------------------------------------------

def pipeline_run(world: World, sink: Sink, count: int, run: int,
                 worker: subprocess.Popen[bytes]) -> float:
    """Seconds from waking the dispatcher to the last email's arrival, the notifications
    having been written (each in its own transaction) with the wake-up held back."""
    from django.conf import settings
    from django.core.cache import cache
    from django.db import transaction
    from django_tenants.utils import schema_context

    from practice.notifications.services import notification_enqueue
    from practice.notifications.tasks import WAKE_KEY, wake_dispatcher

    sink.reset()
    with schema_context(world.practice.schema_name):
        cache.set(WAKE_KEY, 1, 600)  # as if a dispatcher run were already on its way
        written = time.perf_counter()
        for number in range(count):
            with transaction.atomic():
                notification_enqueue(recipient=world.recipient, kind="alert_raised",
                                     idempotency_key=f"bench:{run}:{number}",
                                     context={"alert_id": number})
        ENQUEUED.append(time.perf_counter() - written)
        database = settings.DATABASES["default"]["NAME"]
        server = database_server()
        cpu = cpu_seconds(worker.pid), database_cpu_seconds(server, database)
        started = time.perf_counter()
        cache.delete(WAKE_KEY)
        wake_dispatcher()
    try:
        sink.wait_for(count, timeout=60 + count)
    except SystemExit:
        _explain(world)
        raise
    elapsed = time.perf_counter() - started
    if run >= 0:
        CPU["worker"].append((cpu_seconds(worker.pid) - cpu[0]) / count)
        CPU["database"].append(cpu_since(cpu[1], database_cpu_seconds(server, database)) / count)
    return elapsed


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


class DirectSender:
    """The baseline: a child process (this file with --direct-child) of `threads` threads that
    sends the same emails as the worker, each thread over its one reused SMTP connection. It
    boots once; each run is a line on its stdin, answered by a line when all were handed over."""

    def __init__(self, world: World, threads: int) -> None:
        env = dict(os.environ, BENCH_SCHEMA=world.practice.schema_name,
                   BENCH_RECIPIENT=world.recipient.email)
        self.process = subprocess.Popen(
            [sys.executable, __file__, "--direct-child", "--threads", str(threads)],
            cwd=PROJECT_ROOT, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
            start_new_session=True)
        self._expect("ready")

    def _expect(self, word: str) -> None:
        assert self.process.stdout is not None
        line = self.process.stdout.readline().strip()
        if line != word:
            raise SystemExit(f"FAIL: the direct sender said {line!r} (expected {word!r})")

    def run(self, sink: Sink, count: int, run: int) -> float:
        assert self.process.stdin is not None
        sink.reset()
        cpu = cpu_seconds(self.process.pid)
        started = time.perf_counter()
        self.process.stdin.write(f"{count} {run}\n")
        self.process.stdin.flush()
        sink.wait_for(count, timeout=60 + count)
        elapsed = time.perf_counter() - started
        self._expect("done")
        if run >= 0:
            CPU["direct"].append((cpu_seconds(self.process.pid) - cpu) / count)
        return elapsed

    def stop(self) -> None:
        stop_worker(self.process)  # type: ignore[arg-type]


def direct_child(threads: int) -> int:
    """The baseline's process: what the worker's delivery does to send an email (the kind's
    template, the practice's branding, a Message-ID, this thread's reused connection), and
    nothing else."""
    import django

    django.setup()
    from django.db import connections
    from django.utils import translation
    from django.utils.translation import gettext

    from config.emails import send_branded_email
    from practice.notifications import kinds
    from practice.notifications.connections import send_mail_reusing
    from practice.notifications.delivery import branding_of

    schema, recipient = os.environ["BENCH_SCHEMA"], os.environ["BENCH_RECIPIENT"]
    branding = branding_of(schema)
    connections.close_all()
    kind = kinds.get("alert_raised")
    link = f"{branding.base_url}{kind.link({}) if kind.link else '/'}"
    host = branding.base_url.split("//", 1)[-1]

    def send(item: tuple[int, int]) -> None:
        run, number = item
        with translation.override("en"):
            subject = gettext(kind.subject)
            context = {"alert_id": number, "subject": subject, "link": link}
            headers = {"Message-ID": f"<direct.{run}.{number}@{host}>"}
            send_mail_reusing(lambda connection: send_branded_email(
                branding=branding, to=recipient, subject=subject, template=kind.email_template,
                context=context, headers=headers, connection=connection))

    print("ready", flush=True)
    with ThreadPoolExecutor(max_workers=threads) as pool:
        for line in sys.stdin:
            count, run = (int(value) for value in line.split())
            list(pool.map(send, [(run, number) for number in range(count)]))
            print("done", flush=True)
    return 0


def run(plan: Plan, sink: Sink, log: Path) -> int:
    import django

    django.setup()
    from django.db import connection
    from django_tenants.utils import schema_context

    from config.broker import setup
    from practice.notifications.models import Notification

    setup()
    world = build_world()
    worker = start_worker(plan.threads, log)
    direct = DirectSender(world, plan.threads)
    try:
        # Warm up: both processes have booted, connected and warmed their caches.
        pipeline_run(world, sink, min(50, plan.count), run=-1, worker=worker)
        direct.run(sink, min(50, plan.count), run=-1)
        pipeline_times, baseline_times = [], []
        for number in range(plan.runs):
            pipeline_times.append(pipeline_run(world, sink, plan.count, run=number,
                                               worker=worker))
            baseline_times.append(direct.run(sink, plan.count, run=number))
            print(f"  run {number + 1}: pipeline {plan.count / pipeline_times[-1]:.1f} msg/s "
                  f"(events written at {plan.count / ENQUEUED[-1]:.0f}/s beforehand), "
                  f"direct {plan.count / baseline_times[-1]:.1f} msg/s", flush=True)
        with schema_context(world.practice.schema_name):
            statuses = sorted(set(Notification.objects.values_list("status", flat=True)))
            total = Notification.objects.count()
        connection.set_schema_to_public()
    finally:
        stop_worker(worker)
        direct.stop()
    expected = (plan.runs * plan.count) + min(50, plan.count)
    if statuses != ["sent"] or total != expected:
        print(f"FAIL: {total} notifications (expected {expected}), statuses {statuses}")
        return 1
    comparison = compare([plan.count / seconds for seconds in pipeline_times],
                         [plan.count / seconds for seconds in baseline_times])
    print(f"every notification sent once ({total}); one worker process of {plan.threads} "
          f"threads against one sending process of {plan.threads} threads")
    print(f"pipeline: {comparison.measured.line('msg/s', 1.0)}")
    print(f"direct  : {comparison.baseline.line('msg/s', 1.0)}")
    cpu = {side: Summary.of(samples) for side, samples in CPU.items()}
    print(f"CPU per message: pipeline worker {cpu['worker'].line('ms', 1000.0, 2)}, "
          f"its database {cpu['database'].line('ms', 1000.0, 2)}; "
          f"direct {cpu['direct'].line('ms', 1000.0, 2)}")
    if not comparison.is_reliable:
        print(comparison.explain("msg/s", 1.0))
    print_load("after")
    print(result_line("notifications", "throughput", f"{comparison.measured.median:.1f}",
                      "msg/s", f"{comparison.baseline.median:.1f}", comparison), flush=True)
    return 0


def main(argv: list[str]) -> int:
    plan = parse_args(argv)
    if "--direct-child" in argv:
        return direct_child(plan.threads)
    print_load("before")
    from aiosmtpd.controller import Controller

    from bench.common import drop_database

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
