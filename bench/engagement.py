"""Engagement benchmark: every alert rule evaluated over many practices, each with 200 clients and
a year of data.

    python bench/engagement.py [--quick] [--practices N] [--clients N] [--baseline-sample N]

One practice is populated with set-based SQL (a year of weekly PHQ-9 and GAD-7 for every client,
daily mood check-ins for half of them, journals for a third, weekly homework, sign-ins spread
over the last weeks, some clients drifting or worsening), then cloned schema by schema
(tenants.cloning, the way provisioning copies its template) into the other practices, each
provisioned through `practice_provision` and analysed.

Measured, practice by practice, through `engagement_evaluate` (the periodic job's service):
1. first pass, on a sample (the seed and fresh clones of it, 20 by default): every rule, raising
   the alerts (recipients, outbox rows, audit) a year of data calls for;
2. steady pass, on every practice: the same an hour later, when every condition found already
   has its alert (what the hourly job does almost every time). The practices beyond the sample
   are cloned from the seed after its first pass, so they start in that state.
Baseline, in the same run, on the sample: a naive evaluation of the same rules, client by client
with their own queries (detection only, nothing raised).

It works in a throwaway database on the server DATABASE_URL points at (embedded servers when
DATABASE_URL / REDIS_URL are unset), `<name>_ebench`, dropped at the end (1,000 practices take
about 20 GB while it runs). The last line printed is the one to read:

    RESULT engagement per_practice_median=<steady median> s baseline=<naive median> s ratio=<r>
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from unittest import mock
from urllib.parse import urlsplit

PROJECT_ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "bench-horse-battery-staple-9"
SEED_SUBDOMAIN = "bench-engage-0000"
CLINICIANS = 5
ZONES = ("America/New_York", "America/Chicago", "America/Los_Angeles", "Europe/London")


@dataclass(frozen=True)
class Plan:
    practices: int
    clients: int
    baseline_sample: int
    first_pass_sample: int


def parse_args(argv: list[str]) -> Plan:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="20 practices instead of 1,000")
    parser.add_argument("--practices", type=int, help="practices to evaluate")
    parser.add_argument("--clients", type=int, default=200, help="clients per practice")
    parser.add_argument("--baseline-sample", type=int,
                        help="practices whose first pass is measured and which are also "
                             "evaluated the naive way (default: up to 20)")
    args = parser.parse_args(argv)
    practices = args.practices or (20 if args.quick else 1000)
    sample = min(practices, args.baseline_sample or 20)
    plan = Plan(practices=practices, clients=args.clients, baseline_sample=sample,
                first_pass_sample=sample)
    if plan.practices < 1 or plan.clients < 1 or plan.baseline_sample < 1:
        parser.error("--practices, --clients and --baseline-sample must be 1 or more")
    return plan


# --- the throwaway database ---------------------------------------------------------------------

def prepare_environment() -> tuple[str, str]:
    """Point DATABASE_URL at a fresh benchmark database; return (server URL, database name)."""
    from bench.provisioning import _url_for, recreate_database

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "controlplane.settings.local")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    if not os.environ.get("DATABASE_URL") or not os.environ.get("REDIS_URL"):
        from controlplane import embedded

        services = embedded.start(os.environ.get("TANDEM_EMBEDDED_NAME", "bench"))
        os.environ["DATABASE_URL"] = services.database_url
        os.environ["REDIS_URL"] = services.redis_url
    server_url = os.environ["DATABASE_URL"]
    name = urlsplit(server_url).path.lstrip("/") or "tandem"
    database = name if name.endswith("_ebench") else f"{name}_ebench"
    recreate_database(server_url, database)
    os.environ["DATABASE_URL"] = _url_for(server_url, database)
    return server_url, database


# --- one practice populated, set-based -----------------------------------------------------------

def _table(model: Any) -> str:
    from django.db import connection

    return connection.ops.quote_name(model._meta.db_table)


_RESPONSE_COLUMNS = (
    "client_id, assignment_id, instrument_key, definition_version, occurrence_date, due_at, "
    "status, answers, note, created_at, started_at, submitted_at, scorer, scorer_version, "
    "is_scored, total, band_key, band_label, subscales, subscale_bands, flags, missing_items, "
    "prorated, entered_in_error_reason")

# Weekly PHQ-9 and GAD-7 for a year: 85% done; each client has a starting level and a drift
# over the year (some get reliably worse), plus noise.
_WEEKLY_SQL = """
    INSERT INTO {response} ({columns})
    SELECT a.client_id, a.id, a.instrument_key, 1, o.day,
           o.day + interval '7 days' - interval '1 second',
           CASE WHEN o.done THEN 'submitted' ELSE 'missed' END, '{{}}'::jsonb, '', o.day,
           CASE WHEN o.done THEN o.day + interval '20 hours' END,
           CASE WHEN o.done THEN o.day + interval '20 hours 5 minutes' END,
           CASE WHEN o.done THEN 'sum' ELSE '' END, CASE WHEN o.done THEN '1' ELSE '' END,
           o.done,
           CASE WHEN o.done THEN greatest(0, least(
               CASE a.instrument_key WHEN 'phq9' THEN 27 ELSE 21 END,
               round(p.base + p.drift * o.week / 52.0 + (random() * 4 - 2)))) END,
           '', '', '{{}}'::jsonb, '{{}}'::jsonb, '[]'::jsonb, '[]'::jsonb, false, ''
    FROM {assignment} a
    JOIN bench_params p ON p.client_id = a.client_id
    CROSS JOIN LATERAL (
        SELECT (a.starts_on + week * 7) AS day, week, random() < 0.85 AS done
        FROM generate_series(0, 51) AS week
    ) AS o
    WHERE a.frequency = 'weekly'
"""

# Daily mood check-ins (on their own, not tied to the schedule, as the portal's check-in page
# makes them): 70% of days; a few clients slide down over their last days.
_MOOD_SQL = """
    INSERT INTO {response} ({columns})
    SELECT a.client_id, NULL, 'mood', 1, NULL, NULL, 'submitted', '{{}}'::jsonb, '',
           o.day + interval '19 hours', o.day + interval '19 hours',
           o.day + interval '19 hours 1 minute', 'sum', '1', true,
           CASE WHEN p.sliding AND o.days_ago <= 4 THEN 3 + o.days_ago
                ELSE greatest(0, least(10, round(6 + random() * 4 - 2))) END,
           '', '', '{{}}'::jsonb, '{{}}'::jsonb, '[]'::jsonb, '[]'::jsonb, false, ''
    FROM {assignment} a
    JOIN bench_params p ON p.client_id = a.client_id
    CROSS JOIN LATERAL (
        SELECT a.starts_on + n AS day, (current_date - (a.starts_on + n)) AS days_ago
        FROM generate_series(0, current_date - a.starts_on - 1) AS n
    ) AS o
    WHERE a.instrument_key = 'mood' AND (random() < 0.7 OR (p.sliding AND o.days_ago <= 4))
      AND NOT (p.silent_checkins AND o.days_ago <= 6)
"""

_JOURNAL_SQL = """
    INSERT INTO {journal} (client_id, body, is_shared, created_at)
    SELECT j.client_id, 'Bench journal entry', random() < 0.5,
           current_date - n + interval '21 hours'
    FROM {journaling} j
    JOIN bench_params p ON p.client_id = j.client_id
    CROSS JOIN generate_series(1, 300) AS n
    WHERE random() < 0.4 AND NOT (p.silent_journal AND n <= 8)
"""

_COMPLETIONS_SQL = """
    INSERT INTO {completion} (homework_id, due_on, reflection, completed_at)
    SELECT h.id, h.due_on + week * 7, '', h.due_on + week * 7 + interval '18 hours'
    FROM {homework} h
    JOIN bench_params p ON p.client_id = h.client_id
    CROSS JOIN generate_series(0, 51) AS week
    WHERE h.due_on + week * 7 < current_date
      AND (random() < 0.8 AND NOT (p.behind_on_homework AND week >= 50))
"""


def populate(clients: int, now: datetime) -> dict[str, int]:
    """Fill the current (practice) schema: staff, clients with portal access, schedules and a
    year of history. Returns row counts."""
    import random

    from django.contrib.auth.hashers import make_password
    from django.db import connection

    from portal.models import ClientAccess
    from practice.engagement.models import JournalingAssignment
    from practice.models import (
        Assignment,
        ClientProfile,
        Homework,
        HomeworkCompletion,
        JournalEntry,
        Response,
    )
    from tenants.accounts.models import Role, User

    rng = random.Random(20260121)
    password = make_password(PASSWORD)
    clinicians = User.objects.bulk_create([
        User(email=f"clinician{n}@bench.example.org", full_name=f"Clinician {n}",
             role=Role.CLINICIAN, password=password) for n in range(CLINICIANS)])
    people = User.objects.bulk_create([
        User(email=f"client{n}@bench.example.org", full_name=f"Client {n}", role=Role.CLIENT,
             password=password,
             # Most signed in within the last days; some drifted away weeks ago.
             last_login=now - timedelta(days=rng.random() ** 3 * 30))
        for n in range(clients)])
    year_ago = (now - timedelta(days=364)).date()
    ClientAccess.objects.bulk_create([
        ClientAccess(user=person, visible_modules=["assessments", "mood_checkin", "journal",
                                                   "homework"],
                     invited_at=now - timedelta(days=366), accepted_at=now - timedelta(days=365))
        for person in people])
    profiles = ClientProfile.objects.bulk_create([
        ClientProfile(user=person, timezone=ZONES[index % len(ZONES)])
        for index, person in enumerate(people)])
    through = ClientProfile.clinicians.through
    through.objects.bulk_create([
        through(clientprofile_id=profile.pk, user_id=clinicians[index % CLINICIANS].pk)
        for index, profile in enumerate(profiles) if index % 20 != 19])  # 5% without one
    owner = User.objects.filter(role=Role.OWNER).first()
    assignments = []
    for index, person in enumerate(people):
        for key in ("phq9", "gad7"):
            assignments.append(Assignment(client=person, instrument_key=key, frequency="weekly",
                                          starts_on=year_ago, assigned_by=owner))
        if index % 2 == 0:
            assignments.append(Assignment(client=person, instrument_key="mood",
                                          frequency="daily", starts_on=year_ago,
                                          assigned_by=owner))
    Assignment.objects.bulk_create(assignments)
    JournalingAssignment.objects.bulk_create([
        JournalingAssignment(client=person, assigned_by=owner,
                             assigned_at=now - timedelta(days=300))
        for index, person in enumerate(people) if index % 3 == 0])
    Homework.objects.bulk_create([
        Homework(client=person, instructions="Practise the breathing exercise",
                 due_on=year_ago, repeats_weekly=True, created_by=owner)
        for person in people])
    with connection.cursor() as cursor:
        cursor.execute("CREATE TEMPORARY TABLE bench_params (client_id bigint PRIMARY KEY, "
                       "base int, drift float, sliding bool, silent_checkins bool, "
                       "silent_journal bool, behind_on_homework bool) ON COMMIT DROP")
        cursor.execute("SELECT setseed(0.21)")
        cursor.execute(
            "INSERT INTO bench_params SELECT id, 4 + floor(random() * 12), random() * 14 - 8, "
            "random() < 0.04, random() < 0.06, random() < 0.15, random() < 0.1 "
            f"FROM {_table(User)} WHERE role = 'client'")
        tables = {"response": _table(Response), "assignment": _table(Assignment),
                  "journal": _table(JournalEntry), "journaling": _table(JournalingAssignment),
                  "homework": _table(Homework), "completion": _table(HomeworkCompletion),
                  "columns": _RESPONSE_COLUMNS}
        for statement in (_WEEKLY_SQL, _MOOD_SQL, _JOURNAL_SQL, _COMPLETIONS_SQL):
            cursor.execute(statement.format(**tables))
    return {"clients": clients, "responses": Response.objects.count(),
            "journal entries": JournalEntry.objects.count(),
            "homework completions": HomeworkCompletion.objects.count()}


# --- many practices -----------------------------------------------------------------------------

def provision(subdomain: str, seed_schema: str | None) -> Any:
    """A practice through the real provisioning; its schema cloned from the populated seed
    practice (or from the empty template for the seed itself)."""
    from tenants import services
    from tenants.cloning import clone_schema
    from tenants.services import PracticeSignup, practice_provision

    signup = PracticeSignup(practice_name=f"Bench {subdomain}", subdomain=subdomain,
                            owner_name="Bench Owner", owner_email=f"owner@{subdomain}.example.org",
                            owner_password=PASSWORD)
    if seed_schema is None:
        practice, _ = practice_provision(signup=signup, acting_user=None)
        return practice
    with mock.patch.object(services, "_clone_template",
                           lambda schema: clone_schema(seed_schema, schema)):
        practice, _ = practice_provision(signup=signup, acting_user=None)
    return practice


def analyse(schema: str) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT c.relname FROM pg_class c WHERE c.relnamespace = %s::regnamespace "
                       "AND c.relkind = 'r'", [schema])
        for (table,) in cursor.fetchall():
            cursor.execute(f"ANALYZE {connection.ops.quote_name(schema)}."
                           f"{connection.ops.quote_name(table)}")


def schema_megabytes(schema: str) -> float:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0) FROM pg_class c "
                       "WHERE c.relnamespace = %s::regnamespace AND c.relkind = 'r'", [schema])
        return float(cursor.fetchone()[0]) / 1e6


def build_seed(plan: Plan, now: datetime) -> Any:
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection, transaction
    from django_tenants.utils import schema_context

    # Owners of 1,000 practices are not what is measured: a cheap hash for them.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    call_command("migrate_platform", skip_practices=True, verbosity=0, stdout=io.StringIO())
    started = time.perf_counter()
    seed = provision(SEED_SUBDOMAIN, None)
    with schema_context(seed.schema_name), transaction.atomic():
        counts = populate(plan.clients, now)
    connection.set_schema_to_public()
    analyse(seed.schema_name)
    print(f"seed practice populated in {time.perf_counter() - started:.1f} s: "
          + ", ".join(f"{value} {key}" for key, value in counts.items())
          + f"; {schema_megabytes(seed.schema_name):.0f} MB", flush=True)
    return seed


def clone_many(seed: Any, first_number: int, count: int, what: str) -> list[Any]:
    practices = []
    started = time.perf_counter()
    for offset in range(count):
        practice = provision(f"bench-engage-{first_number + offset:04d}", seed.schema_name)
        analyse(practice.schema_name)
        practices.append(practice)
        if (offset + 1) % 100 == 0 or offset + 1 == count:
            elapsed = time.perf_counter() - started
            print(f"  {offset + 1} {what} ({elapsed:.0f} s cloning, "
                  f"{elapsed / (offset + 1):.2f} s each)", flush=True)
    return practices


# --- measuring ----------------------------------------------------------------------------------

def timed_in(practice: Any, step: Callable[[Any], Any]) -> tuple[float, Any]:
    from django.db import connection
    from django_tenants.utils import schema_context

    with schema_context(practice.schema_name):
        started = time.perf_counter()
        result = step(practice)
        elapsed = time.perf_counter() - started
    connection.set_schema_to_public()
    return elapsed, result


def naive_evaluate(practice: Any, now: datetime) -> int:
    """The same rules, the way one would write them client by client: each client's own
    queries for each rule. Detection only. Returns how many conditions it found."""
    from practice.engagement import rules, selectors, timing
    from practice.engagement.models import JournalingAssignment
    from practice.measurement.scoring import ReliableChange, reliable_change
    from practice.models import Assignment, Homework, HomeworkCompletion, JournalEntry, Response

    states = rules.rule_states()
    instruments = selectors.deterioration_instruments(practice)
    found = 0
    for client in selectors.watched_clients().select_related("portal_access",
                                                             "client_profile"):
        zone = client.client_profile.timezone
        threshold = states["no_sign_in"].threshold
        seen = client.last_login or client.portal_access.accepted_at
        found += seen <= now - timedelta(days=threshold)
        journaling = JournalingAssignment.objects.filter(client=client,
                                                         ended_at__isnull=True).first()
        if journaling is not None:
            last = (JournalEntry.objects.filter(client=client).order_by("-created_at")
                    .values_list("created_at", flat=True).first())
            last = max(journaling.assigned_at, last or journaling.assigned_at)
            found += last <= now - timedelta(days=states["journal_silence"].threshold)
        tail = states["mood_decline"].threshold + 1
        moods = list(Response.objects.filter(client=client, instrument_key="mood",
                                             status="submitted", entered_in_error_at=None)
                     .order_by("-submitted_at").values_list("total", flat=True)[:tail])
        found += len(moods) == tail and all(moods[i] < moods[i + 1] for i in range(tail - 1))
        for assignment in Assignment.objects.filter(client=client, ended_at=None):
            if assignment.instrument_key == "mood":
                count = states["missed_checkins"].threshold
                passed = timing.passed_occurrences(assignment.frequency, assignment.starts_on,
                                                   assignment.ends_on, zone, now, count)
                last_checkin = (Response.objects.filter(client=client, instrument_key="mood",
                                                        status="submitted")
                                .order_by("-submitted_at")
                                .values_list("submitted_at", flat=True).first())
                found += len(passed) == count and (
                    last_checkin is None or last_checkin < timing.start_of(passed[-1], zone))
                continue
            cutoff = now - timedelta(days=states["overdue_assessments"].threshold)
            passed = timing.passed_occurrences(assignment.frequency, assignment.starts_on,
                                               assignment.ends_on, zone, cutoff, 1)
            done = (Response.objects.filter(assignment=assignment, status="submitted")
                    .order_by("-occurrence_date")
                    .values_list("occurrence_date", flat=True).first())
            found += bool(passed) and (done is None or done < passed[0])
        for homework in Homework.objects.filter(client=client, is_active=True):
            cutoff = now - timedelta(days=states["overdue_homework"].threshold)
            due = timing.homework_passed_occurrence(homework.due_on, homework.repeats_weekly,
                                                    zone, cutoff)
            done = (HomeworkCompletion.objects.filter(homework=homework).order_by("-due_on")
                    .values_list("due_on", flat=True).first())
            found += due is not None and (done is None or done < due)
        for key, (definition, own) in instruments.items():
            scores = Response.objects.filter(client=client, instrument_key=key,
                                             status="submitted", total__isnull=False,
                                             entered_in_error_at=None)
            first = scores.order_by("submitted_at").values_list("total", flat=True).first()
            latest = scores.order_by("-submitted_at").values_list("total", flat=True).first()
            if first is not None and latest is not None:
                found += reliable_change(definition, float(first), float(latest),
                                         practice_threshold=own) == ReliableChange.DETERIORATION
    return int(found)


def count_queries(practice: Any, step: Callable[[Any], Any]) -> int:
    from django.db import connection

    executed = []

    def counter(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        executed.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(counter):
        timed_in(practice, step)
    return len(executed)


def rule_times(practice: Any, now: datetime) -> dict[str, float]:
    """How long each rule's own reading and deciding takes (nothing raised or cleared)."""
    from practice.engagement import rules, selectors

    def run(item: Any) -> dict[str, float]:
        states = rules.rule_states()
        instruments = selectors.deterioration_instruments(item)
        times = {}
        for rule in rules.PERIODIC:
            context = rules.RuleContext(now=now, threshold=states[rule.key].threshold,
                                        instruments=instruments)
            samples = []
            for _ in range(5):
                started = time.perf_counter()
                rule.find(context)
                samples.append(time.perf_counter() - started)
            times[rule.key] = statistics.median(samples)
        return times

    return timed_in(practice, run)[1]


@dataclass(frozen=True)
class Summary:
    total: float
    median: float
    p95: float

    @classmethod
    def of(cls, samples: list[float]) -> Summary:
        p95 = (samples[0] if len(samples) == 1
               else statistics.quantiles(samples, n=20, method="inclusive")[18])
        return cls(sum(samples), statistics.median(samples), p95)

    def line(self) -> str:
        return (f"total={self.total:.2f} s median={self.median * 1000:.1f} ms "
                f"p95={self.p95 * 1000:.1f} ms")


def measure(plan: Plan, now: datetime) -> int:
    import django

    django.setup()
    from practice.engagement.services import engagement_evaluate
    from practice.models import Alert
    from practice.notifications.models import Notification

    def evaluate(at: datetime) -> Callable[[Any], Any]:
        return lambda practice: engagement_evaluate(practice=practice, now=at)

    seed = build_seed(plan, now)
    # The first pass raises what a year of data calls for (about a second a practice): it is
    # measured on the sample; the other practices are cloned from the seed once it has been
    # through its first pass, so they start where the hourly job finds a practice.
    fresh = clone_many(seed, 1, plan.first_pass_sample, "fresh practices (one to warm up)")
    warm_up, sample = fresh[-1], [seed, *fresh[:-1]]
    timed_in(warm_up, evaluate(now))
    timed_in(warm_up, evaluate(now + timedelta(hours=1)))
    first, raised = [], []
    for practice in sample:
        elapsed, outcome = timed_in(practice, evaluate(now))
        first.append(elapsed)
        raised.append(sum(outcome.raised.values()))
    practices = sample + clone_many(seed, plan.first_pass_sample + 1,
                                    plan.practices - len(sample),
                                    "practices cloned after the first pass")
    later = now + timedelta(hours=1)
    steady = []
    for practice in practices:
        elapsed, outcome = timed_in(practice, evaluate(later))
        steady.append(elapsed)
        assert sum(outcome.raised.values()) == 0, "a steady pass raised alerts"
    queries = count_queries(practices[0], evaluate(later))
    naive, naive_found = [], []
    for practice in practices[:plan.baseline_sample]:
        elapsed, found = timed_in(practice, lambda item: naive_evaluate(item, later))
        naive.append(elapsed)
        naive_found.append(found)
    naive_queries = count_queries(practices[0], lambda item: naive_evaluate(item, later))
    per_rule = rule_times(practices[0], later)
    _, totals = timed_in(practices[0], lambda _: (Alert.objects.count(),
                                                  Notification.objects.count()))

    first_summary, steady_summary = Summary.of(first), Summary.of(steady)
    naive_summary = Summary.of(naive)
    print(f"practices evaluated: {len(practices)} x {plan.clients} clients, a year of data")
    print(f"first pass  (raises alerts): {first_summary.line()} over {len(first)} practices; "
          f"alerts raised per practice: median {statistics.median(raised):.0f}")
    print(f"steady pass (hourly job)   : {steady_summary.line()}; {queries} queries a practice")
    print(f"naive per-client baseline  : {naive_summary.line()} over {len(naive)} practices; "
          f"{naive_queries} queries a practice; conditions found median "
          f"{statistics.median(naive_found):.0f}")
    print(f"first practice after both passes: {totals[0]} alerts, {totals[1]} notifications")
    print("steady pass by rule (first practice, median of 5): " + ", ".join(
        f"{key} {seconds * 1000:.1f} ms" for key, seconds in per_rule.items()))
    ratio = steady_summary.median / naive_summary.median
    print(f"RESULT engagement per_practice_median={steady_summary.median:.4f} s "
          f"baseline={naive_summary.median:.4f} s ratio={ratio:.3f}", flush=True)
    return 0


def main(argv: list[str]) -> int:
    plan = parse_args(argv)
    sys.path.insert(0, str(PROJECT_ROOT))
    from bench.provisioning import drop_database

    server_url, database = prepare_environment()
    print(f"engagement benchmark in database {database}: {plan.practices} practices, "
          f"{plan.clients} clients each, naive baseline on {plan.baseline_sample}", flush=True)
    try:
        from datetime import UTC

        return measure(plan, datetime.now(UTC))
    finally:
        from django.db import connections

        connections.close_all()
        drop_database(server_url, database)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
