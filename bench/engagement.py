"""Engagement benchmark: every alert rule over practices of 200 and of 2,000 clients, each with a
year of data, against a naive client-by-client evaluation, interleaved.

    python bench/engagement.py [--quick] [--clients 200,2000] [--practices N] [--sample N]

For each practice size, one practice is populated with set-based SQL (a year of weekly PHQ-9 and
GAD-7 for every client, daily mood check-ins for half of them, journals for a third, weekly
homework, sign-ins spread over the last weeks, some clients drifting or worsening), then cloned
schema by schema (tenants.cloning, the way provisioning copies its template), each clone
provisioned through `practice_provision` and analysed.

Measured through `engagement_evaluate` (the periodic job's service), practice by practice:
1. first evaluation of a practice with a year of history, on the sample (the seed and fresh
   clones of it): every rule, raising the alerts (recipients, outbox rows, audit) it calls for;
2. hourly pass, on the same practices an hour later (nearly every condition found already has
   its alert; a few are new in the hour, as for the real job), INTERLEAVED with the naive
   baseline on the same practice (hourly, naive, hourly, naive...): the same rules client by
   client with their own queries (detection only, nothing raised);
3. queries per practice of each (an hourly pass raising nothing must not grow with clients);
4. the hourly pass over the whole fleet of the first size (1,000 practices; --quick 3), cloned
   from the seed after its first evaluation.

Rates are clients evaluated per second per core: clients / CPU seconds, where the CPU seconds are
this process's plus its PostgreSQL backend's (read from /proc; both are on this machine with the
embedded server). The evaluation is one connection, Python and PostgreSQL taking turns, so it
keeps at most one core busy; CPU time is also what a busy shared machine distorts least. When the
backend's CPU cannot be read (a remote server), wall time stands in, and the output says so.

It works in a throwaway database on the server DATABASE_URL points at (embedded servers when
DATABASE_URL / REDIS_URL are unset), `<name>_ebench`, dropped at the end (1,000 practices of 200
clients take about 20 GB while it runs). The last line printed is the one to read (first size):

    RESULT engagement clients_per_core_s=<hourly pass> clients/s baseline=<naive> clients/s
        ratio=<hourly/naive, or unreliable>
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from unittest import mock

PROJECT_ROOT = Path(__file__).resolve().parent.parent
if str(PROJECT_ROOT) not in sys.path:
    sys.path.insert(0, str(PROJECT_ROOT))

from bench import common  # noqa: E402
from tenants.actor import Actor  # noqa: E402

PASSWORD = "bench-horse-battery-staple-9"
CLINICIANS = 5
ZONES = ("America/New_York", "America/Chicago", "America/Los_Angeles", "Europe/London")


@dataclass(frozen=True)
class Plan:
    sizes: tuple[int, ...]  # clients per practice
    practices: int  # the fleet, at the first size
    sample: int  # practices per size evaluated both ways


def _sizes(text: str) -> tuple[int, ...]:
    try:
        sizes = tuple(int(part) for part in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError("a comma-separated list of client counts") from None
    if not sizes or min(sizes) < 1:
        raise argparse.ArgumentTypeError("client counts must be 1 or more")
    return sizes


def parse_args(argv: list[str]) -> Plan:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help="a fleet of 3 practices instead of 1,000, 2 sampled per size")
    parser.add_argument("--clients", type=_sizes, default=(200, 2000),
                        help="clients per practice, comma-separated (default 200,2000)")
    parser.add_argument("--practices", type=int,
                        help="practices in the fleet at the first size (default 1,000)")
    parser.add_argument("--sample", type=int,
                        help="practices per size evaluated both ways (default 20; --quick 2)")
    args = parser.parse_args(argv)
    sample = args.sample or (2 if args.quick else 20)
    practices = args.practices or (3 if args.quick else 1000)
    if practices < 1 or sample < 1:
        parser.error("--practices and --sample must be 1 or more")
    return Plan(sizes=args.clients, practices=max(practices, sample), sample=sample)


# --- one practice populated, set-based -----------------------------------------------------------

def _table(model: Any) -> str:
    from django.db import connection

    return connection.ops.quote_name(model._meta.db_table)


_RESPONSE_COLUMNS = (
    "client_id, assignment_id, instrument_key, definition_version, occurrence_date, due_at, "
    "status, answers, note, created_at, started_at, submitted_at, scorer, scorer_version, "
    "is_scored, total, band_key, band_label, subscales, subscale_bands, flags, missing_items, "
    "prorated, entered_in_error_reason, advisories")

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
           '', '', '{{}}'::jsonb, '{{}}'::jsonb, '[]'::jsonb, '[]'::jsonb, false, '', '[]'::jsonb
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
           '', '', '{{}}'::jsonb, '{{}}'::jsonb, '[]'::jsonb, '[]'::jsonb, false, '', '[]'::jsonb
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
    from practice.appointments.models import Appointment, AppointmentType
    from practice.care.models import Homework, HomeworkCompletion, JournalEntry
    from practice.engagement.models import JournalingAssignment
    from practice.measurement.models import Assignment, Response
    from practice.models import ClientProfile
    from practice.outcomes.models import Episode
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
    # An open episode of care for each client, begun 16 weeks ago: the not-on-track rule reads
    # its scores against the expected path from the episode's baseline.
    Episode.objects.bulk_create([
        Episode(client=person, clinician=clinicians[index % CLINICIANS],
                started_at=now - timedelta(weeks=16), instrument_keys=["phq9", "gad7"])
        for index, person in enumerate(people)])
    # Half the clients hold weekly sessions in their episode (one in ten a no-show): their
    # expected path runs on sessions held since the baseline, the others' on weeks.
    kind = AppointmentType.objects.create(name="Bench session", duration_minutes=10)
    appointments = []
    for index, person in enumerate(people):
        if index % 2 == 0:
            continue
        slot = timedelta(minutes=15 * (index // CLINICIANS))
        for week in range(16):
            starts_at = now - timedelta(weeks=16) + timedelta(hours=2, weeks=week) + slot
            if starts_at >= now:
                break
            appointments.append(Appointment(
                client=person, clinician=clinicians[index % CLINICIANS], appointment_type=kind,
                starts_at=starts_at, ends_at=starts_at + timedelta(minutes=10), mode="in_person",
                status="no_show" if rng.random() < 0.1 else "completed", booked_by=owner))
    Appointment.objects.bulk_create(appointments)
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
            "homework completions": HomeworkCompletion.objects.count(),
            "appointments": Appointment.objects.count()}


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
        practice, _ = practice_provision(signup=signup, actor=Actor.SYSTEM)
        return practice
    with mock.patch.object(services, "_clone_template",
                           lambda schema: clone_schema(seed_schema, schema)):
        practice, _ = practice_provision(signup=signup, actor=Actor.SYSTEM)
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


def build_seed(clients: int, now: datetime) -> Any:
    from django.db import connection, transaction
    from django_tenants.utils import schema_context

    started = time.perf_counter()
    seed = provision(subdomain_for(clients, 0), None)
    with schema_context(seed.schema_name), transaction.atomic():
        counts = populate(clients, now)
    connection.set_schema_to_public()
    analyse(seed.schema_name)
    print(f"seed practice populated in {time.perf_counter() - started:.1f} s: "
          + ", ".join(f"{value} {key}" for key, value in counts.items())
          + f"; {schema_megabytes(seed.schema_name):.0f} MB", flush=True)
    return seed


def subdomain_for(clients: int, number: int) -> str:
    return f"bench-engage-{clients}-{number:04d}"


def clone_many(seed: Any, clients: int, first_number: int, count: int, what: str) -> list[Any]:
    practices = []
    started = time.perf_counter()
    for offset in range(count):
        practice = provision(subdomain_for(clients, first_number + offset), seed.schema_name)
        analyse(practice.schema_name)
        practices.append(practice)
        if (offset + 1) % 100 == 0 or offset + 1 == count:
            elapsed = time.perf_counter() - started
            print(f"  {offset + 1} {what} ({elapsed:.0f} s cloning, "
                  f"{elapsed / (offset + 1):.2f} s each)", flush=True)
    return practices


# --- measuring ----------------------------------------------------------------------------------

_TICKS = os.sysconf("SC_CLK_TCK")


def _backend_cpu() -> float | None:
    """CPU seconds used so far by this connection's PostgreSQL backend, when it runs here."""
    from django.db import connection

    connection.ensure_connection()
    pid = connection.connection.info.backend_pid
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / _TICKS  # utime, stime


@dataclass(frozen=True)
class Timing:
    wall: float
    cpu: float | None  # this process + its backend; None when the backend is elsewhere

    @property
    def seconds(self) -> float:
        return self.wall if self.cpu is None else self.cpu


def timed_in(practice: Any, step: Callable[[Any], Any]) -> tuple[Timing, Any]:
    from django.db import connection
    from django_tenants.utils import schema_context

    with schema_context(practice.schema_name):
        backend_before = _backend_cpu()
        cpu_before = time.process_time()
        started = time.perf_counter()
        result = step(practice)
        wall = time.perf_counter() - started
        cpu = time.process_time() - cpu_before
        backend_after = _backend_cpu()
    connection.set_schema_to_public()
    if backend_before is None or backend_after is None:
        return Timing(wall, None), result
    return Timing(wall, cpu + backend_after - backend_before), result


def naive_evaluate(practice: Any, now: datetime) -> int:
    """The same rules, the way one would write them client by client: each client's own
    queries for each rule. Detection only. Returns how many conditions it found."""
    from practice.appointments.models import Appointment
    from practice.care.models import Homework, HomeworkCompletion, JournalEntry
    from practice.engagement import rules, selectors, timing
    from practice.engagement.models import JournalingAssignment
    from practice.expected import policies as paths
    from practice.expected import selectors as path_selectors
    from practice.measurement.models import Assignment, Response
    from practice.measurement.scoring import ReliableChange, reliable_change
    from practice.outcomes.models import Episode

    states = rules.rule_states()
    instruments = selectors.deterioration_instruments(practice)
    models = path_selectors.path_model_sets()
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
        episode = Episode.objects.filter(client=client, ended_at=None).first()
        in_a_row = states["not_on_track"].threshold
        held = (list(Appointment.objects.filter(client=client, status="completed",
                                                starts_at__gte=episode.started_at)
                     .values_list("starts_at", flat=True)) if episode else [])
        for key in (models[paths.TimeScale.WEEKS] if episode else ()):
            scores = Response.objects.filter(client=client, instrument_key=key,
                                             status="submitted", is_scored=True,
                                             total__isnull=False, entered_in_error_at=None,
                                             submitted_at__gte=episode.started_at)
            first = scores.order_by("submitted_at").values_list("total", "submitted_at").first()
            if first is None:
                continue
            later = list(scores.filter(submitted_at__gt=first[1]).order_by("-submitted_at")
                         .values_list("total", "submitted_at")[:in_a_row])
            later.reverse()
            weeks = [path_selectors.weeks_between(first[1], at) for _total, at in later]
            scale = (path_selectors.scale_for(
                sum(moment < later[-1][1] for moment in held),
                sum(first[1] <= moment < later[-1][1] for moment in held), weeks[-1])
                if later else paths.TimeScale.WEEKS)
            on_sessions = scale is paths.TimeScale.SESSIONS
            model = models[scale][key]
            times = ([sum(first[1] <= moment < at for moment in held) for _total, at in later]
                     if on_sessions else weeks)
            points = [(float(time), float(total))
                      for time, (total, _at) in zip(times, later, strict=True)]
            reading = paths.read_path(model, float(first[0]), points, in_a_row, weeks=weeks)
            found += reading.status is paths.PathStatus.NOT_ON_TRACK
    return int(found)


def count_queries(practice: Any, step: Callable[[Any], Any]) -> tuple[int, Any]:
    from django.db import connection

    executed = []

    def counter(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        executed.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(counter):
        _, result = timed_in(practice, step)
    return len(executed), result


@dataclass
class SizeResult:
    clients: int
    first: list[Timing] = field(default_factory=list)
    raised: list[int] = field(default_factory=list)
    hourly: list[Timing] = field(default_factory=list)
    hourly_raised: list[int] = field(default_factory=list)
    naive: list[Timing] = field(default_factory=list)
    naive_found: list[int] = field(default_factory=list)
    queries: int = 0
    naive_queries: int = 0
    fleet: list[Timing] = field(default_factory=list)

    def rates(self, timings: list[Timing]) -> list[float]:
        return [self.clients / timing.seconds for timing in timings]

    def comparison(self) -> common.Comparison:
        return common.compare(self.rates(self.hourly), self.rates(self.naive))


def measure_size(plan: Plan, clients: int, now: datetime, fleet: bool) -> SizeResult:
    """One practice size: seed, sample, first evaluations, interleaved hourly and naive passes,
    and (for the fleet's size) the hourly pass over every practice."""
    from practice.engagement.services import engagement_evaluate

    def evaluate(at: datetime) -> Callable[[Any], Any]:
        return lambda practice: engagement_evaluate(practice=practice, now=at)

    def naive(at: datetime) -> Callable[[Any], Any]:
        return lambda practice: naive_evaluate(practice, at)

    print(f"{clients} clients per practice:", flush=True)
    result = SizeResult(clients)
    later = now + timedelta(hours=1)
    seed = build_seed(clients, now)
    fresh = clone_many(seed, clients, 1, plan.sample, "fresh practices (one to warm up)")
    # Warm up on a practice that is not measured: imports, plans, the naive code's paths; the
    # queries of each way are counted here, on an hourly pass that raises nothing (each alert
    # raised adds its outbox rows and audit event, whatever the practice's size).
    warm_up, sample = fresh[-1], [seed, *fresh[:-1]]
    timed_in(warm_up, evaluate(now))
    timed_in(warm_up, evaluate(later))
    result.queries, outcome = count_queries(warm_up, evaluate(later))
    assert sum(outcome.raised.values()) == 0, "the same hour again raised alerts"
    result.naive_queries, _ = count_queries(warm_up, naive(later))
    for practice in sample:
        timing, outcome = timed_in(practice, evaluate(now))
        result.first.append(timing)
        result.raised.append(sum(outcome.raised.values()))
    # Hourly and naive alternate on each practice, so the machine's load falls on both alike.
    for practice in sample:
        timing, outcome = timed_in(practice, evaluate(later))
        result.hourly.append(timing)
        result.hourly_raised.append(sum(outcome.raised.values()))
        timing, found = timed_in(practice, naive(later))
        result.naive.append(timing)
        result.naive_found.append(found)
    if fleet:
        practices = sample + clone_many(seed, clients, plan.sample + 1,
                                        plan.practices - len(sample),
                                        "practices cloned after the first evaluation")
        for practice in practices:
            timing, _outcome = timed_in(practice, evaluate(later))
            result.fleet.append(timing)
    print_size(result)
    return result


def _rate_line(result: SizeResult, timings: list[Timing]) -> str:
    rates = common.Summary.of(result.rates(timings))
    walls = common.Summary.of([timing.wall for timing in timings])
    return (f"{rates.median:.0f} clients/s per core ({rates.spread_name} "
            f"{rates.low:.0f}-{rates.high:.0f}); wall {walls.line()}")


def print_size(result: SizeResult) -> None:
    clients = result.clients
    print(f"  first evaluation, a year of history: {_rate_line(result, result.first)}; "
          f"alerts raised median {statistics.median(result.raised):.0f}")
    print(f"  hourly pass : {_rate_line(result, result.hourly)}; "
          f"{result.queries} queries a practice (raising none); alerts raised median "
          f"{statistics.median(result.hourly_raised):.0f} (conditions new in the hour)")
    print(f"  naive       : {_rate_line(result, result.naive)}; "
          f"{result.naive_queries} queries a practice; conditions found median "
          f"{statistics.median(result.naive_found):.0f}")
    comparison = result.comparison()
    print(f"  hourly/naive (clients/s per core) at {clients} clients: "
          f"{comparison.ratio_text()}{comparison.note('clients/s', 1.0, 0)}")
    if result.fleet:
        print(f"  fleet: hourly pass over {len(result.fleet)} practices in "
              f"{sum(timing.wall for timing in result.fleet):.1f} s wall; per practice "
              f"{_rate_line(result, result.fleet)}", flush=True)


def measure(plan: Plan, now: datetime) -> int:
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    # Owners of many practices are not what is measured: a cheap hash for them.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    call_command("migrate_platform", skip_practices=True, verbosity=0, stdout=io.StringIO())
    results = [measure_size(plan, clients, now, fleet=index == 0)
               for index, clients in enumerate(plan.sizes)]
    if any(timing.cpu is None for result in results for timing in result.hourly):
        print("note: the database's CPU could not be read (not on this machine): wall time "
              "stands in for CPU time in the rates")
    queries = {result.clients: result.queries for result in results}
    print("queries a practice, hourly pass raising nothing: " + ", ".join(
        f"{count} at {clients} clients" for clients, count in queries.items())
        + ("" if len(set(queries.values())) == 1 else "  (GROWS with clients)"))
    first = results[0]
    comparison = first.comparison()
    if not comparison.is_reliable:
        print(comparison.explain(unit="clients/s", scale=1.0, digits=0))
    common.print_load("after")
    print(common.result_line(
        "engagement", "clients_per_core_s", f"{comparison.measured.median:.0f}", "clients/s",
        f"{comparison.baseline.median:.0f}", comparison), flush=True)
    return 0


def main(argv: list[str]) -> int:
    plan = parse_args(argv)
    from bench.common import drop_database

    common.print_load("before")
    server_url, database = common.prepare_environment("ebench")
    print(f"engagement benchmark in database {database}: "
          f"{', '.join(str(size) for size in plan.sizes)} clients per practice, "
          f"{plan.sample} practices each evaluated both ways, a fleet of {plan.practices}",
          flush=True)
    try:
        from datetime import UTC

        return measure(plan, datetime.now(UTC))
    finally:
        from django.db import connections

        connections.close_all()
        drop_database(server_url, database)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
