"""Notification pipeline benchmark: deliveries per second through the outbox, the dispatcher,
a dramatiq worker process, SMTP and Web Push, against the same emails and pushes sent plainly by
a process of the same threads over the same kind of reused connections.

    python bench/notifications.py [--quick] [--runs N] [--count N] [--threads N]
                                  [--channels email|push|both]

A delivery is one email accepted by the SMTP sink or one push accepted (201) by the push
receiver; msg/s everywhere is deliveries a second. The recipient, a clinician, has one browser
subscribed to Web Push (a P-256 key pair and authentication secret made here, its endpoint on
the local push receiver, bench/push_receiver.py, stored through `push_subscription_save`) and
the default staff preferences, so an "alert_raised" event is delivered by email and by push:
two outbox rows, two deliveries (`--channels both`, the default); `--channels email` or `push`
enqueues on that channel only.

One practice; each run writes `count / channels` events (`notification_enqueue`, each in its own
transaction as an event's service does), `count` deliveries, with the dispatcher's wake-up held
back while they are written; then wakes the dispatcher and times until the SMTP sink has the
last email and the push receiver the last push: hand-out, claim, send and record, by a real
`dramatiq config.worker` process of one process and `threads` threads, started once. (How fast
events are written is printed too, but it is the features' cost, not the pipeline's.)

The baseline, in the same run and alternating with it: the same emails (the same kind's template
and branding, a Message-ID each) and the same pushes (the kind's payload, tag, Topic, TTL and
Urgency, encrypted for the device and signed with the VAPID key by the same call,
`webpush.post_web_push`) sent directly by a child process with as many threads, each thread
reusing one SMTP connection and one HTTP session exactly as the worker's threads do
(practice/notifications/connections.py): no outbox, no dispatcher, no queue, no database. The
ratio says what the pipeline's guarantees (claimed before sending, recorded after, every
outcome kept) cost.

The push receiver answers only what is Web Push: a VAPID Authorization with the configured
public key, an aes128gcm body, a TTL and a Topic on every POST, and one in ten verified in full
(the token's signature and claims; the body decrypted with the device's keys to the pipeline's
payload). The run fails if any push is refused, if a Topic (one per notification) arrives twice,
or if the sink and receiver did not get exactly the emails and pushes sent.

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
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parent.parent
if str(PROJECT_ROOT) not in sys.path:
    sys.path.insert(0, str(PROJECT_ROOT))

from bench.common import Arrivals, Summary, compare, print_load, result_line  # noqa: E402
from bench.push_receiver import PushReceiver  # noqa: E402
from tenants.actor import Actor  # noqa: E402

SUBDOMAIN = "bench-notify"
PASSWORD = "bench-horse-battery-staple-9"
ENQUEUED: list[float] = []
# CPU seconds per message of each run: the worker's processes, the database's backends (the
# pipeline's side) and the sending process (the baseline).
CPU: dict[str, list[float]] = {"worker": [], "database": [], "direct": []}
CHANNELS = {"email": ("email",), "push": ("push",), "both": ("email", "push")}


@dataclass(frozen=True)
class Plan:
    runs: int
    count: int
    threads: int
    channels: tuple[str, ...]

    @property
    def events(self) -> int:
        """Events a run writes: each is delivered once on every channel."""
        return self.count // len(self.channels)

    def deliveries(self, events: int) -> int:
        return events * len(self.channels)


def parse_args(argv: list[str]) -> Plan:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="3 runs of 300 notifications")
    parser.add_argument("--runs", type=int, help="timed runs of each (default 5)")
    parser.add_argument("--count", type=int,
                        help="deliveries (emails and pushes) per run (default 2000)")
    parser.add_argument("--threads", type=int, default=4, help="worker threads (default 4)")
    parser.add_argument("--channels", choices=sorted(CHANNELS), default="both",
                        help="deliver each event by email, push or both (default both)")
    parser.add_argument("--direct-child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    plan = Plan(runs=args.runs or (3 if args.quick else 5),
                count=args.count or (300 if args.quick else 2000), threads=args.threads,
                channels=CHANNELS[args.channels])
    if plan.runs < 1 or plan.events < 1 or plan.threads < 1:
        parser.error("--runs, --count (at least one per channel) and --threads must be 1 or more")
    return plan


# --- the SMTP sink ------------------------------------------------------------------------------

class Sink(Arrivals):
    """Counts what the mail server accepts; `wait_for(n)` returns when n have arrived."""

    noun = "emails"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        with self.condition:
            self.arrived()
        return "250 OK"


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


def build_world(receiver: PushReceiver) -> World:
    """A practice, and a clinician (default preferences: alerts by email and push) with one
    browser subscribed to Web Push on the receiver, stored as the browser's script posts it."""
    from django.core.management import call_command
    from django.db import connection
    from django_tenants.utils import schema_context

    from practice.notifications.push_services import (
        browser_subscription_parse,
        push_subscription_save,
    )
    from tenants.accounts.models import Role, User
    from tenants.services import PracticeSignup, practice_provision

    call_command("migrate_platform", skip_practices=True, verbosity=0, stdout=io.StringIO())
    practice, _owner = practice_provision(
        signup=PracticeSignup(practice_name="Bench Notifications", subdomain=SUBDOMAIN,
                              owner_name="Bench Owner", owner_email="owner@bench.example.org",
                              owner_password=PASSWORD),
        actor=Actor.SYSTEM)
    device = receiver.device()
    with schema_context(practice.schema_name):
        clinician = User.objects.create_user("clinician@bench.example.org", PASSWORD,
                                             full_name="Bench Clinician", role=Role.CLINICIAN)
        push_subscription_save(
            subscription=browser_subscription_parse({
                "endpoint": device.endpoint, "keys": {"p256dh": device.p256dh,
                                                      "auth": device.auth}}),
            actor=Actor(user=clinician, practice=practice),
            user_agent="Mozilla/5.0 (X11; Linux x86_64) Chrome/131.0")
    connection.set_schema_to_public()
    return World(practice, clinician)


def check_vapid_keys() -> None:
    """The bench signs with the settings' VAPID pair (bench/settings.py: the local settings
    keep one in .tandem/vapid.json): both halves present and belonging together."""
    from django.conf import settings

    from config.vapid import public_key_for

    private, public = settings.WEBPUSH_VAPID_PRIVATE_KEY, settings.WEBPUSH_VAPID_PUBLIC_KEY
    if not private or not public or public_key_for(private) != public:
        raise SystemExit("FAIL: WEBPUSH_VAPID_PRIVATE_KEY / PUBLIC_KEY are not a VAPID pair")


# --- measuring ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Sinks:
    """Where deliveries arrive: emails at the SMTP sink, pushes at the push receiver."""

    email: Sink
    push: PushReceiver

    def reset(self) -> None:
        self.email.reset()
        self.push.reset()

    def wait_for(self, plan: Plan, events: int) -> None:
        """Until each channel has had every event's delivery."""
        timeout = 60 + plan.deliveries(events)
        if "email" in plan.channels:
            self.email.wait_for(events, timeout=timeout)
        if "push" in plan.channels:
            self.push.wait_for(events, timeout=timeout)


def pipeline_run(world: World, sinks: Sinks, plan: Plan, events: int, run: int,
                 worker: subprocess.Popen[bytes]) -> float:
    """Seconds from waking the dispatcher to the last delivery's arrival, the events'
    notifications having been written (each event in its own transaction) with the wake-up
    held back."""
    from django.conf import settings
    from django.core.cache import cache
    from django.db import transaction
    from django_tenants.utils import schema_context

    from practice.notifications.services import notification_enqueue
    from practice.notifications.tasks import WAKE_KEY, wake_dispatcher

    sinks.reset()
    with schema_context(world.practice.schema_name):
        cache.set(WAKE_KEY, 1, 600)  # as if a dispatcher run were already on its way
        written = time.perf_counter()
        for number in range(events):
            with transaction.atomic():
                notification_enqueue(recipient=world.recipient, kind="alert_raised",
                                     idempotency_key=f"bench:{run}:{number}",
                                     context={"alert_id": number}, channels=plan.channels)
        ENQUEUED.append(time.perf_counter() - written)
        database = settings.DATABASES["default"]["NAME"]
        server = database_server()
        cpu = cpu_seconds(worker.pid), database_cpu_seconds(server, database)
        started = time.perf_counter()
        cache.delete(WAKE_KEY)
        wake_dispatcher()
    try:
        sinks.wait_for(plan, events)
    except SystemExit:
        _explain(world)
        raise
    elapsed = time.perf_counter() - started
    if run >= 0:
        deliveries = plan.deliveries(events)
        CPU["worker"].append((cpu_seconds(worker.pid) - cpu[0]) / deliveries)
        CPU["database"].append(
            cpu_since(cpu[1], database_cpu_seconds(server, database)) / deliveries)
    return elapsed


def _explain(world: World) -> None:
    """What the outbox says when deliveries did not arrive."""
    from collections import Counter

    from django_tenants.utils import schema_context

    from practice.notifications.models import DeliveryAttempt, Notification

    with schema_context(world.practice.schema_name):
        print("outbox:", Counter(Notification.objects.values_list("channel", "status")))
        print("attempts:", Counter(DeliveryAttempt.objects.values_list("outcome", "detail")))
        print("handed out:", Counter(Notification.objects.values_list(
            "status", "attempts")))


class DirectSender:
    """The baseline: a child process (this file with --direct-child) of `threads` threads that
    sends the same emails and pushes as the worker, each thread over its one reused SMTP
    connection and HTTP session. It boots once; each run is a line on its stdin, answered by a
    line when all were handed over."""

    def __init__(self, world: World, plan: Plan) -> None:
        env = dict(os.environ, BENCH_SCHEMA=world.practice.schema_name,
                   BENCH_RECIPIENT=world.recipient.email)
        channels = next(name for name, value in CHANNELS.items() if value == plan.channels)
        self.process = subprocess.Popen(
            [sys.executable, __file__, "--direct-child", "--threads", str(plan.threads),
             "--channels", channels],
            cwd=PROJECT_ROOT, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
            start_new_session=True)
        self._expect("ready")

    def _expect(self, word: str) -> None:
        assert self.process.stdout is not None
        line = self.process.stdout.readline().strip()
        if line != word:
            raise SystemExit(f"FAIL: the direct sender said {line!r} (expected {word!r})")

    def run(self, sinks: Sinks, plan: Plan, events: int, run: int) -> float:
        assert self.process.stdin is not None
        sinks.reset()
        cpu = cpu_seconds(self.process.pid)
        started = time.perf_counter()
        self.process.stdin.write(f"{events} {run}\n")
        self.process.stdin.flush()
        sinks.wait_for(plan, events)
        elapsed = time.perf_counter() - started
        self._expect("done")
        if run >= 0:
            CPU["direct"].append((cpu_seconds(self.process.pid) - cpu) / plan.deliveries(events))
        return elapsed

    def stop(self) -> None:
        stop_worker(self.process)  # type: ignore[arg-type]


def direct_child(plan: Plan) -> int:
    """The baseline's process: what the worker's delivery does to send an email (the kind's
    template, the practice's branding, a Message-ID, this thread's reused connection) and a push
    (the kind's payload, a tag and Topic, encrypted and signed, this thread's reused session),
    and nothing else."""
    import django

    django.setup()
    from django.db import connections
    from django.utils import translation
    from django.utils.translation import gettext
    from django_tenants.utils import schema_context

    from config.emails import send_branded_email
    from practice.notifications import kinds, webpush
    from practice.notifications.connections import send_mail_reusing
    from practice.notifications.delivery import branding_of, push_tag, push_topic
    from practice.notifications.models import Notification, PushSubscription

    schema, recipient = os.environ["BENCH_SCHEMA"], os.environ["BENCH_RECIPIENT"]
    branding = branding_of(schema)
    with schema_context(schema):
        device = PushSubscription.objects.get(user__email=recipient)
    connections.close_all()
    kind = kinds.get("alert_raised")
    path = kind.link({}) if kind.link else "/"
    link = f"{branding.base_url}{path}"
    host = branding.base_url.split("//", 1)[-1]
    urgency = "normal" if kind.respects_quiet_hours else "high"

    def send_email(run: int, number: int) -> None:
        subject = gettext(kind.subject)
        context = {"alert_id": number, "subject": subject, "link": link}
        headers = {"Message-ID": f"<direct.{run}.{number}@{host}>"}
        send_mail_reusing(lambda connection: send_branded_email(
            branding=branding, to=recipient, subject=subject, template=kind.email_template,
            context=context, headers=headers, connection=connection))

    def send_push(run: int, number: int) -> None:
        key = Notification(idempotency_key=f"direct:{run}:{number}:push")
        payload = {"title": gettext(kind.subject), "body": gettext(kind.push_body),
                   "url": path, "tag": push_tag(key, schema_name=schema)}
        webpush.post_web_push(device.endpoint, device.p256dh, device.auth, payload=payload,
                              ttl=kind.push_ttl, topic=push_topic(key, schema_name=schema),
                              urgency=urgency)

    senders = {"email": send_email, "push": send_push}

    def send(item: tuple[int, int, str]) -> None:
        run, number, channel = item
        with translation.override("en"):
            senders[channel](run, number)

    print("ready", flush=True)
    with ThreadPoolExecutor(max_workers=plan.threads) as pool:
        for line in sys.stdin:
            events, run = (int(value) for value in line.split())
            # In the outbox's order: an event's rows are written, and handed out, together.
            list(pool.map(send, [(run, number, channel) for number in range(events)
                                 for channel in plan.channels]))
            print("done", flush=True)
    return 0


def check_deliveries(world: World, sinks: Sinks, plan: Plan, events: int) -> str:
    """Every notification sent once, and the sink and receiver got exactly what both sides
    sent (`events` on each channel), nothing refused, no push twice: '' if so, else why not."""
    from collections import Counter

    from django.db import connection
    from django_tenants.utils import schema_context

    from practice.notifications.models import Notification

    with schema_context(world.practice.schema_name):
        rows = Counter(Notification.objects.values_list("channel", "status"))
    connection.set_schema_to_public()
    expected = {(channel, "sent"): events for channel in plan.channels}
    emails = sinks.email.total
    pushes = sinks.push.total
    wanted_emails = 2 * events if "email" in plan.channels else 0
    wanted_pushes = 2 * events if "push" in plan.channels else 0
    problems = []
    if rows != expected:
        problems.append(f"outbox {dict(rows)} (expected {expected})")
    if emails != wanted_emails:
        problems.append(f"{emails} emails at the sink (expected {wanted_emails})")
    if pushes != wanted_pushes:
        problems.append(f"{pushes} pushes at the receiver (expected {wanted_pushes})")
    if sinks.push.duplicates:
        problems.append(f"{sinks.push.duplicates} pushes arrived twice (same Topic)")
    if sinks.push.rejected:
        problems.append(f"{len(sinks.push.rejected)} pushes refused, first: "
                        f"{sinks.push.rejected[0]}")
    if wanted_pushes and not sinks.push.checked:
        problems.append("no push was checked in full")
    return "; ".join(problems)


def run(plan: Plan, email: Sink, log: Path) -> int:
    import django

    django.setup()
    from django.conf import settings

    from config.broker import setup

    setup()
    check_vapid_keys()
    with PushReceiver(settings.WEBPUSH_VAPID_PUBLIC_KEY) as receiver:
        return measure(plan, Sinks(email, receiver), log)


def measure(plan: Plan, sinks: Sinks, log: Path) -> int:
    world = build_world(sinks.push)
    worker = start_worker(plan.threads, log)
    direct = DirectSender(world, plan)
    warm_up = max(1, min(50, plan.count) // len(plan.channels))
    try:
        # Warm up: both processes have booted, connected and warmed their caches.
        pipeline_run(world, sinks, plan, warm_up, run=-1, worker=worker)
        direct.run(sinks, plan, warm_up, run=-1)
        pipeline_times, baseline_times = [], []
        for number in range(plan.runs):
            pipeline_times.append(pipeline_run(world, sinks, plan, plan.events, run=number,
                                               worker=worker))
            baseline_times.append(direct.run(sinks, plan, plan.events, run=number))
            print(f"  run {number + 1}: pipeline {plan.count / pipeline_times[-1]:.1f} msg/s "
                  f"(events written at {plan.events / ENQUEUED[-1]:.0f}/s beforehand), "
                  f"direct {plan.count / baseline_times[-1]:.1f} msg/s", flush=True)
    finally:
        stop_worker(worker)
        direct.stop()
    events = plan.runs * plan.events + warm_up
    problem = check_deliveries(world, sinks, plan, events)
    if problem:
        print(f"FAIL: {problem}")
        return 1
    deliveries = plan.deliveries(events)
    comparison = compare([plan.count / seconds for seconds in pipeline_times],
                         [plan.count / seconds for seconds in baseline_times])
    pushes = (f"; {sinks.push.total} pushes at the receiver, none twice, "
              f"{sinks.push.checked} decrypted and their VAPID token verified"
              if "push" in plan.channels else "")
    print(f"every notification sent once ({deliveries} by the pipeline: "
          f"{' and '.join(plan.channels)} for each of {events} events), and as many again "
          f"plainly{pushes}")
    print(f"one worker process of {plan.threads} threads against one sending process of "
          f"{plan.threads} threads; msg/s = deliveries a second (an email or a push each)")
    print(f"pipeline: {comparison.measured.line('msg/s', 1.0)}")
    print(f"direct  : {comparison.baseline.line('msg/s', 1.0)}")
    cpu = {side: Summary.of(samples) for side, samples in CPU.items()}
    print(f"CPU per delivery: pipeline worker {cpu['worker'].line('ms', 1000.0, 2)}, "
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
        return direct_child(plan)
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
          f"deliveries ({plan.events} events by {' and '.join(plan.channels)}), worker log in "
          f"{log.relative_to(PROJECT_ROOT)}", flush=True)
    try:
        return run(plan, sink, log)
    finally:
        from django.db import connections

        connections.close_all()
        drop_database(server_url, database)
        controller.stop()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
