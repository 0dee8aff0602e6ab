"""A practice day over real HTTP: how many requests a second one web process sustains with every
page answering 200 and the 95th percentile under 300 ms, with a worker and the scheduler running.

    python bench/load.py [--quick] [--practices N] [--users 4,8,16] [--seconds S]
                         [--web-workers N] [--threads N]

What runs, all on loopback: gunicorn with infra/gunicorn.conf.py (`--web-workers` processes of
`--threads` gthread threads, default one process of four) serving `bench.load_settings` (the
production settings plus a counter of time in the database); one `dramatiq config.worker`
process of four threads; the scheduler (`manage.py run_scheduler`); an SMTP sink that keeps
every Message-ID; PostgreSQL and Redis (the embedded ones, or DATABASE_URL / REDIS_URL). What
production reads from the environment is set as infra/compose.yaml sets it behind its proxy
(see `production_environment`): a fresh secret key and VAPID pair, Stripe keys that point at a
closed loopback port (nothing in a practice day calls Stripe; nothing leaves the machine),
static files collected into a temporary directory (the manifest storage refuses to serve
without), uploads in a temporary directory (the filesystem storage production uses without a
bucket: no S3 here), and SECURE_SSL_REDIRECT off because the proxy redirects. locust plays the
proxy's part: it sends X-Forwarded-Proto: https, so requests are secure (Secure cookies, CSRF's
https Origin check, HSTS) as behind Caddy or the ALB. The practices: the demo practice seeded
as `make run` seeds it, with a year of daily mood and weekly questionnaires for its main client
(appointments, messages, alerts as the demo has them), cloned N-1 times (`--practices`, default
100; `--quick` 10) with its rows, each on its own host.

The load: locust (bench/locustfile.py), headless, one run per step, each `--seconds` long
(default 60, `--quick` 20). Steps double the concurrent users from 4 until a step has an error
or its pages' p95 reaches 300 ms (at most 64 users; `--quick` 16), or halve them while the first
steps are over budget (a busy machine), so the sustained rate is found between the last step
within the budget and the first over it; `--users 4,8,16` runs the steps given instead. A step's
users are people; the load balancer asking /healthz comes on top. Clients sign in, open their
dashboard, check in their mood, answer questionnaires (a tenth at the top of every scale, so
with a risk answer), read their progress and messages, look at booking; clinicians open Today,
the caseload, a client's page and pre-session review, the alert inbox and messages; front desk
opens the schedule and booking; a load balancer asks /healthz once or twice a second. Every user
waits one to four seconds between actions, as a person does.

Reported per step: the people's requests per second (/healthz apart), errors (any answer but 200
is one, a 404 included), p50/p95/p99 of every page and of /healthz, the pages' p50/p95/p99 over
all their requests (from every request's time; signing in, whose cost is the Argon2id hash, and
/healthz apart), and the share of request time spent in the database. The sustained rate is the
highest step with no error and the pages' p95 under 300 ms. At the end, once the worker has
caught up: every notification the day raised is delivered, none twice (outbox rows, delivery
attempts and the Message-IDs the SMTP sink received). The machine's load is printed before and
after. Exits 1 on any error, a backlog left, or no step within the budget.

    RESULT load sustained_rps=<req/s> req/s baseline=<healthz median> ms ratio=<pages median /
    healthz median, or unreliable when /healthz's IQR is wider than the difference>
"""

from __future__ import annotations

import argparse
import csv
import io
import math
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parent.parent
if str(PROJECT_ROOT) not in sys.path:
    sys.path.insert(0, str(PROJECT_ROOT))

from bench.common import (  # noqa: E402
    Gunicorn,
    compare,
    free_port,
    load_line,
    print_load,
)

P95_BUDGET_MS = 300.0
# Not held to the page budget (still reported, still must answer 200): the aggregate, the
# health check, and signing in, whose cost is the password hash (Argon2id, on purpose slow).
EXEMPT = ("Aggregated", "/healthz", "sign-in (post)", "client: consent (post)")
LOGS = PROJECT_ROOT / ".tandem"


@dataclass(frozen=True)
class Plan:
    practices: int
    users: list[int]
    seconds: int
    web_workers: int
    threads: int
    # Stepping (no --users): double from users[0] until a step is over budget, up to this.
    max_users: int = 0


def parse_args(argv: list[str]) -> Plan:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help="10 practices, steps of 20 s up to 16 users")
    parser.add_argument("--practices", type=int, help="default 100 (--quick 10)")
    parser.add_argument("--users", help="the steps' concurrent users, comma separated "
                        "(default: 4, doubled until over budget, at most 64 (--quick 16), or "
                        "halved while over)")
    parser.add_argument("--seconds", type=int, help="length of each step")
    parser.add_argument("--web-workers", type=int, default=1)
    parser.add_argument("--threads", type=int, default=4)
    args = parser.parse_args(argv)
    plan = Plan(practices=args.practices or (10 if args.quick else 100),
                users=[int(value) for value in args.users.split(",")] if args.users else [4],
                seconds=args.seconds or (20 if args.quick else 60),
                web_workers=args.web_workers, threads=args.threads,
                max_users=0 if args.users else (16 if args.quick else 64))
    if plan.practices < 1 or min(plan.users) < 1 or plan.seconds < 5:
        parser.error("--practices and --users at least 1, --seconds at least 5")
    return plan


# --- the SMTP sink ------------------------------------------------------------------------------

class Sink:
    """Keeps the Message-ID of every email the mail server accepts."""

    def __init__(self) -> None:
        self.ids: Counter[str] = Counter()
        self.lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        message_id = next((line.split(b":", 1)[1].strip().decode()
                           for line in envelope.content.splitlines()
                           if line.lower().startswith(b"message-id:")), "")
        with self.lock:
            self.ids[message_id] += 1
        return "250 OK"


# --- the practices ------------------------------------------------------------------------------

# What a clone takes over from the demo practice's public row.
COPIED = ("enabled_modules", "messaging_policy", "instrument_keys", "plan_key", "billing_state",
          "reliable_change_thresholds")

HISTORY_WEEKS = 52


def production_environment(scratch: Path) -> None:
    """What the production settings read from the environment, for loopback (infra/compose.yaml
    and infra/env.example set the same for a server)."""
    from config.vapid import generate

    private, public = generate()
    os.environ.update({
        "DJANGO_SETTINGS_MODULE": "bench.load_settings",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "STRIPE_SECRET_KEY": "sk_test_load_bench",
        "STRIPE_WEBHOOK_SECRET": "whsec_load_bench",
        # A port nothing listens on: a call to Stripe would fail at once, never leave the host.
        "STRIPE_API_BASE": f"http://127.0.0.1:{free_port()}",
        "WEBPUSH_VAPID_PRIVATE_KEY": private,
        "WEBPUSH_VAPID_PUBLIC_KEY": public,
        "WEBPUSH_VAPID_SUBJECT": "mailto:no-reply@localhost",
        "PLATFORM_DOMAIN": "localhost",
        # As in infra/compose.yaml: the proxy redirects plain HTTP itself.
        "SECURE_SSL_REDIRECT": "false",
        "STATIC_ROOT": str(scratch / "static"),
        "MEDIA_ROOT": str(scratch / "media"),
        "SENTRY_DSN": "",
        "AWS_STORAGE_BUCKET_NAME": "",
    })


def seed(practices: int) -> list[str]:
    """The demo practice, then practices-1 clones of it with its rows; returns their hosts."""
    from django.core.management import call_command
    from django.db import connection, transaction

    from practice.demo import seed_branding, seed_demo
    from practice.demo_logins import DEMO_SUBDOMAIN
    from tenants.cloning import clone_schema
    from tenants.models import Domain, Practice, PracticeState
    from tenants.selectors import practice_by_subdomain, practice_host

    started = time.perf_counter()
    # The static files' manifest, as the image's build makes it (infra/Dockerfile).
    call_command("collectstatic", interactive=False, verbosity=0, stdout=io.StringIO())
    print(f"static files collected in {time.perf_counter() - started:.1f} s", flush=True)
    call_command("migrate_platform", skip_practices=True, verbosity=0, stdout=io.StringIO())
    started = time.perf_counter()
    seed_demo(history_weeks=HISTORY_WEEKS)
    demo = practice_by_subdomain(DEMO_SUBDOMAIN)
    assert demo is not None
    print(f"demo practice seeded in {time.perf_counter() - started:.1f} s", flush=True)
    hosts = [practice_host(DEMO_SUBDOMAIN)]
    started = time.perf_counter()
    for number in range(1, practices):
        subdomain = f"load{number:04d}"
        with transaction.atomic():
            # The demo's public settings too (its modules, messaging policy, instruments, plan).
            practice = Practice.objects.create(
                schema_name=f"p_load{number:04d}", name=f"Load Practice {number}",
                subdomain=subdomain, state=PracticeState.ACTIVE,
                **{field: getattr(demo, field) for field in COPIED})
            Domain.objects.create(domain=practice_host(subdomain), tenant=practice,
                                  is_primary=True)
            clone_schema(demo.schema_name, practice.schema_name)
        seed_branding(practice)
        hosts.append(practice_host(subdomain))
    connection.set_schema_to_public()
    print(f"{practices - 1} clones of it in {time.perf_counter() - started:.1f} s", flush=True)
    return hosts


# --- processes ----------------------------------------------------------------------------------

def start(command: list[str], log: Path, env: dict[str, str]) -> subprocess.Popen[bytes]:
    with log.open("wb") as output:
        return subprocess.Popen(command, cwd=PROJECT_ROOT, env=env, stdout=output,
                                stderr=subprocess.STDOUT, start_new_session=True)


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


@dataclass
class Row:
    name: str
    count: int
    failures: int
    p50: float
    p95: float
    p99: float
    rps: float


@dataclass
class Step:
    users: int
    rows: list[Row]
    failures: str
    share: float
    pages: list[float]  # every page request's time (EXEMPT apart), in ms
    health: list[float]  # every /healthz request's time, in ms

    @property
    def total(self) -> Row:
        return self.rows[-1]

    @property
    def rps(self) -> float:
        """The people's requests a second: every request but the load balancer's."""
        health = next((row.rps for row in self.rows if row.name == "/healthz"), 0.0)
        return self.total.rps - health

    @property
    def pages_p95(self) -> float:
        return percentile(self.pages, 95)

    @property
    def is_within_budget(self) -> bool:
        return self.total.failures == 0 and bool(self.pages) and self.pages_p95 < P95_BUDGET_MS


def percentile(samples: list[float], pct: int) -> float:
    """The nearest-rank percentile."""
    if not samples:
        return 0.0
    ordered = sorted(samples)
    return ordered[min(len(ordered), max(1, math.ceil(pct / 100 * len(ordered)))) - 1]


def run_step(users: int, seconds: int, port: int, hosts: list[str]) -> Step:
    """One locust run: its per-page rows (the last is the aggregate), its failures and every
    request's time."""
    prefix = LOGS / f"bench-load-{users}"
    timings = LOGS / f"bench-load-{users}-timings.tsv"
    timings.unlink(missing_ok=True)
    env = dict(os.environ, LOAD_HOSTS=",".join(hosts), LOAD_PASSWORD=_password(),
               LOAD_TIMINGS=str(timings))
    command = [sys.executable, "-m", "locust", "-f", str(PROJECT_ROOT / "bench" / "locustfile.py"),
               # The people, plus the load balancer (a user of locust's too).
               "--headless", "--users", str(users + 1), "--spawn-rate", str(users + 1),
               "--run-time", f"{seconds}s", "--host", f"http://127.0.0.1:{port}",
               "--csv", str(prefix), "--only-summary", "--stop-timeout", "5",
               "--loglevel", "WARNING"]
    with (LOGS / f"bench-load-{users}-locust.log").open("wb") as output:
        subprocess.run(command, cwd=PROJECT_ROOT, env=env, stdout=output,
                       stderr=subprocess.STDOUT, timeout=seconds + 120, check=False)
    rows = []
    with open(f"{prefix}_stats.csv", newline="") as handle:
        for record in csv.DictReader(handle):
            rows.append(Row(record["Name"], int(record["Request Count"]),
                            int(record["Failure Count"]), float(record["50%"] or 0),
                            float(record["95%"] or 0), float(record["99%"] or 0),
                            float(record["Requests/s"] or 0)))
    failures = Path(f"{prefix}_failures.csv").read_text() if Path(
        f"{prefix}_failures.csv").exists() else ""
    pages: list[float] = []
    health: list[float] = []
    for line in timings.read_text().splitlines() if timings.exists() else []:
        name, milliseconds, _failed = line.split("\t")
        if name == "/healthz":
            health.append(float(milliseconds))
        elif name not in EXEMPT:
            pages.append(float(milliseconds))
    return Step(users, rows, failures, 0.0, pages, health)


def _password() -> str:
    from practice.demo_logins import DEMO_PASSWORD

    return DEMO_PASSWORD


# --- the outbox at the end ----------------------------------------------------------------------

def backlog(hosts: list[str]) -> tuple[Counter[str], int, int]:
    """(statuses of every outbox row, notifications sent by more than one attempt, rows due
    and not yet delivered) across the practices."""
    from django.db import connection
    from django.utils import timezone
    from django_tenants.utils import schema_context

    from practice.notifications.models import DeliveryAttempt, Notification
    from tenants.models import Practice

    statuses: Counter[str] = Counter()
    twice = waiting = 0
    for practice in Practice.objects.exclude(schema_name="public"):
        with schema_context(practice.schema_name):
            statuses.update(Notification.objects.values_list("status", flat=True))
            sent = Counter(DeliveryAttempt.objects.filter(outcome="sent").values_list(
                "notification_id", flat=True))
            twice += sum(1 for count in sent.values() if count > 1)
            waiting += Notification.objects.filter(
                status__in=["pending", "failed"], not_before__lte=timezone.now()).count()
    connection.set_schema_to_public()
    return statuses, twice, waiting


# --- the run ------------------------------------------------------------------------------------

def main(argv: list[str]) -> int:  # noqa: PLR0915 - one linear script
    plan = parse_args(argv)
    # Stopped from outside: still stop the processes and drop the database.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    print_load("before")
    from aiosmtpd.controller import Controller

    from bench.common import drop_database, prepare_environment

    sink = Sink()
    smtp_port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=smtp_port)
    controller.start()
    os.environ["EMAIL_URL"] = f"smtp://127.0.0.1:{smtp_port}"
    scratch = Path(tempfile.mkdtemp(prefix="tandem-load-"))
    production_environment(scratch)
    server_url, database = prepare_environment("load", settings_module="bench.load_settings")
    LOGS.mkdir(exist_ok=True)
    steps = (f"{plan.users} users" if not plan.max_users else
             f"{plan.users[0]} users, doubled up to {plan.max_users} until over budget "
             "(halved while over)")
    print(f"load test in database {database}: {plan.practices} practices, steps of "
          f"{steps} x {plan.seconds} s, web {plan.web_workers} process(es) x "
          f"{plan.threads} threads, logs in .tandem/bench-load-*", flush=True)
    processes: list[subprocess.Popen[bytes]] = []
    web = None
    try:
        import django

        django.setup()
        from django.db import connections

        from bench.dbtime import KEYS, counters

        hosts = seed(plan.practices)
        connections.close_all()
        env = dict(os.environ, LOG_LEVEL="WARNING")
        processes.append(start([sys.executable, "-m", "dramatiq", "config.worker",
                                "--processes", "1", "--threads", "4"],
                               LOGS / "bench-load-worker.log", env))
        processes.append(start([sys.executable, "manage.py", "run_scheduler"],
                               LOGS / "bench-load-scheduler.log", env))
        web = Gunicorn(workers=plan.web_workers, threads=plan.threads,
                       log=LOGS / "bench-load-gunicorn.log")
        web.wait_ready()
        # Warm up (not reported): every thread's first request loads templates and code.
        run_step(min(plan.users), 10, web.port, hosts)
        results: list[Step] = []
        queue = list(plan.users)
        while queue:
            users = queue.pop(0)
            counters().delete(*KEYS)
            step = run_step(users, plan.seconds, web.port, hosts)
            request_ms, db_ms = (float(counters().get(key) or 0) for key in KEYS[:2])
            step.share = db_ms / request_ms if request_ms else 0.0
            results.append(step)
            print(f"  {users} users: {step.rps:.1f} req/s, {step.total.failures} errors "
                  f"of {step.total.count}, pages p95 {step.pages_p95:.0f} ms, database "
                  f"{step.share:.0%} of request time, {load_line('now')}", flush=True)
            if not plan.max_users or step.total.failures:
                continue
            if step.is_within_budget and users * 2 <= plan.max_users and (
                    not results[:-1] or users > results[-2].users):
                queue.append(users * 2)  # up, until over budget
            elif not step.is_within_budget and users > 1 and not any(
                    earlier.is_within_budget for earlier in results):
                queue.append(users // 2)  # over at the first step already: down, until within
        # The worker catches up with what the day raised.
        deadline = time.monotonic() + 120
        statuses, twice, waiting = backlog(hosts)
        while waiting and time.monotonic() < deadline and processes[0].poll() is None:
            time.sleep(2)
            statuses, twice, waiting = backlog(hosts)
    finally:
        if web is not None:
            web.stop()
        for process in processes:
            stop(process)
        from django.db import connections

        connections.close_all()
        drop_database(server_url, database)
        controller.stop()
        shutil.rmtree(scratch, ignore_errors=True)
    return report(plan, results, statuses, twice, waiting, sink)


def _people(count: int) -> str:
    return "1 person" if count == 1 else f"{count} people"


def report(plan: Plan, results: list[Step], statuses: Counter[str], twice: int, waiting: int,
           sink: Sink) -> int:
    failed = False
    for step in results:
        print(f"\n{step.users} users ({plan.seconds} s), database {step.share:.0%} of request "
              f"time; pages (sign-in and /healthz apart) p50 {percentile(step.pages, 50):.0f} "
              f"p95 {step.pages_p95:.0f} p99 {percentile(step.pages, 99):.0f} ms over "
              f"{len(step.pages)} requests")
        print(f"  {'page':36s} {'requests':>8s} {'errors':>6s} {'p50':>6s} {'p95':>6s} "
              f"{'p99':>6s} {'req/s':>6s}")
        for row in step.rows:
            print(f"  {row.name:36s} {row.count:8d} {row.failures:6d} {row.p50:6.0f} "
                  f"{row.p95:6.0f} {row.p99:6.0f} {row.rps:6.1f}")
        if step.total.failures:
            failed = True
            print("  FAIL: errors:\n    " + "\n    ".join(step.failures.strip().splitlines()[:12]))
    emails_twice = sum(1 for count in sink.ids.values() if count > 1)
    print(f"\noutbox at the end: {dict(statuses)}; due and not delivered: {waiting}; "
          f"sent by two attempts: {twice}; emails received {sum(sink.ids.values())}, "
          f"same Message-ID twice: {emails_twice}")
    if waiting or twice or emails_twice:
        failed = True
        print("FAIL: the worker left a backlog or sent a notification twice")
    print_load("after")
    good = [step for step in results if step.is_within_budget]
    over = [step for step in results if not step.is_within_budget]
    if not good:
        print("FAIL: no step ran without errors and with pages p95 under 300 ms")
        print("RESULT load sustained_rps=0 req/s baseline=0 ms ratio=unreliable", flush=True)
        return 1
    best = max(good, key=lambda step: step.rps)
    limit = min((step for step in over if step.users > best.users), default=None,
                key=lambda step: step.users)
    print(f"sustained: {best.rps:.1f} req/s with {_people(best.users)}, pages p95 "
          f"{best.pages_p95:.0f} ms, no errors")
    if limit is not None:
        print(f"over budget: {_people(limit.users)}, {limit.rps:.1f} req/s, pages p95 "
              f"{limit.pages_p95:.0f} ms, {limit.total.failures} errors")
    else:
        print("the budget was not reached by the largest step: the sustained rate is a floor")
    if not best.health:
        print(f"RESULT load sustained_rps={best.rps:.1f} req/s baseline=0 ms "
              "ratio=unreliable", flush=True)
        return 1 if failed else 0
    comparison = compare([ms / 1000 for ms in best.pages], [ms / 1000 for ms in best.health])
    print(f"pages {comparison.measured.line()}; /healthz {comparison.baseline.line()}"
          f"{comparison.note()}")
    # The rate and the baseline have different units: not common.result_line's one unit.
    print(f"RESULT load sustained_rps={best.rps:.1f} req/s "
          f"baseline={comparison.baseline.median * 1000:.0f} ms "
          f"ratio={comparison.ratio_text()}", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
