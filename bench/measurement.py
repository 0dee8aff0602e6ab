"""Measurement benchmark: the client's dashboard and trend page, the clinician's client page and
pre-session review with a long history of daily mood and weekly PHQ-9 and GAD-7, and the
clinician's caseload and alert inbox with a large caseload, over real HTTP from gunicorn.

    python bench/measurement.py [--quick] [--samples N] [--profile]

Two clients of one clinician, alike in everything but the length of their history: one month,
and five years (one year with --quick) of daily mood check-ins and weekly PHQ-9 and GAD-7, each
with an entered-in-error response, an open risk alert and today's questionnaires due. The
history is inserted in bulk, already scored by the real scorer. Both clients have accepted the
portal's current consent, so their pages are the real pages (not the consent redirect). A second
clinician has those two and 200 more clients (30 with --quick), each with four weeks of PHQ-9 and
GAD-7 and an open risk alert: the caseload pages compare the two clinicians. Every client has the
open episode of care that inviting them opens, from before their first answer.

1. Query count (in process, django.test.Client on the practice's host): each page for both
   histories (or both caseloads); the counts must be equal, a page whose queries grow with
   history or caseload fails the run.
2. Latency, over HTTP from gunicorn (infra/gunicorn.conf.py, one gthread worker, on a free
   loopback port): each person signs in through the real sign-in form and keeps their session
   cookie; every page for both sides and a minimal page (signed in, same middleware, nothing
   rendered: bench/urls.py) alternate, round after round, in the same run. Every timed request
   must answer 200, or the run stops with status 1 and says which URL answered what.

With --profile it then profiles, in process, each page of the longer history or larger caseload
(cProfile over a few requests: the functions taking most time, and the time spent in SQL) and
stops there, without the HTTP timing.

Per page it prints the median (and interquartile range) for each side, the ratio larger/smaller
and the ratio page/minimal; a ratio whose baseline wobbles more than the difference it measures
is reported as unreliable (bench/common.py). Pages over 8x the minimal page are flagged.

It works in a throwaway database on the server DATABASE_URL points at (embedded servers when
DATABASE_URL / REDIS_URL are unset), `<name>_mbench`, dropped at the end. The last line printed
is the one to read:

    RESULT measurement median=<slowest page's median> s baseline=<minimal median> s ratio=<r>
"""

from __future__ import annotations

import argparse
import io
import random
import sys
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parent.parent
if str(PROJECT_ROOT) not in sys.path:
    sys.path.insert(0, str(PROJECT_ROOT))

from bench import common  # noqa: E402

PASSWORD = "bench-horse-battery-staple-9"
SUBDOMAIN = "bench-measure"
TIMEZONE = "America/New_York"
MINIMAL_URL = "/bench/minimal/"
# The outcomes issue: no page costs more than this many minimal pages.
PAGE_BUDGET = 8.0


@dataclass(frozen=True)
class Plan:
    long_days: int
    samples: int
    caseload: int  # clients of the second clinician
    profile: bool = False  # profile each page in process instead of timing over HTTP


def parse_args(argv: list[str]) -> Plan:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help="one year of history instead of five, a caseload of 30 instead "
                             "of 200, 7 samples per page")
    parser.add_argument("--samples", type=int, help="timed requests per page and history")
    parser.add_argument("--profile", action="store_true",
                        help="profile each page in process (cProfile, SQL time) instead of "
                             "timing over HTTP")
    args = parser.parse_args(argv)
    plan = Plan(long_days=365 if args.quick else 5 * 365 + 1,
                samples=args.samples or (7 if args.quick else 30),
                caseload=30 if args.quick else 200, profile=args.profile)
    if plan.samples < 1:
        parser.error("--samples must be 1 or more")
    return plan


# --- the data -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class World:
    host: str
    schema: str
    clinician: Any  # the two clients' clinician: a caseload of 2
    clients: dict[str, Any]  # "1 month" / "5 years" -> client
    busy_clinician: Any  # a caseload of `plan.caseload` + 2
    caseloads: dict[str, Any]  # "2 clients" / "32 clients" -> clinician

    @property
    def people(self) -> dict[str, Any]:
        """Everyone who signs in: the clients by history, the clinicians by caseload."""
        return {**self.clients, **self.caseloads}


def _answers(key: str, rng: random.Random) -> dict[str, int | None]:
    if key == "mood":
        return {"mood": rng.randrange(11)}
    items = 9 if key == "phq9" else 7
    answers: dict[str, int | None] = {f"q{n}": rng.randrange(4) for n in range(1, items + 1)}
    if key == "phq9":
        answers["q9"] = 0
    return answers


def _history(client: Any, clinician: Any, days: int, now: datetime) -> None:
    """`days` of daily mood and weekly PHQ-9 and GAD-7 ending yesterday, one PHQ-9 entered in
    error, one open risk alert, and today's occurrences due."""
    from zoneinfo import ZoneInfo

    from practice.demo import scored_response
    from practice.measurement import schedule, services
    from practice.measurement.models import Assignment, Response
    from practice.models import ClientProfile
    from tenants.actor import Actor

    profile = ClientProfile.objects.create(user=client, timezone=TIMEZONE)
    profile.clinicians.add(clinician)
    rng = random.Random(days)
    today = schedule.local_today(now, TIMEZONE)
    first = today - timedelta(days=days)
    _episode(client, clinician, now - timedelta(days=days + 1))
    rows = []
    for key, frequency in (("phq9", "weekly"), ("gad7", "weekly"), ("mood", "daily")):
        assignment = Assignment.objects.create(client=client, instrument_key=key,
                                               frequency=frequency, starts_on=first,
                                               assigned_by=clinician)
        for day in schedule.occurrence_dates(frequency, first, today - timedelta(days=1)):
            evening = datetime(day.year, day.month, day.day, 20, tzinfo=ZoneInfo(TIMEZONE))
            submitted_at = evening + timedelta(minutes=rng.randrange(90))
            rows.append(scored_response(assignment, day, _answers(key, rng), tz_name=TIMEZONE,
                                        submitted_at=submitted_at))
    Response.objects.bulk_create(rows, batch_size=1000)
    services.responses_materialize(client=client, now=now)
    wrong = Response.objects.filter(client=client, instrument_key="phq9",
                                    status="submitted").order_by("-submitted_at").first()
    services.response_mark_entered_in_error(response_id=wrong.pk, reason="Bench",
                                            actor=Actor.of(clinician))
    risk = services.response_start_adhoc(client=client, instrument_key="phq9")
    services.response_submit(client=client, response_id=risk.pk,
                             answers={f"q{n}": 1 for n in range(1, 10)})


def _episode(client: Any, clinician: Any, started_at: datetime) -> None:
    """The open episode of care that inviting a client opens (portal.invitations), from before
    their first answer: every invited client has one, and the staff pages read scores per
    episode."""
    from practice.outcomes.models import Episode

    Episode.objects.create(client=client, clinician=clinician, started_at=started_at,
                           instrument_keys=["gad7", "mood", "phq9"])


def _caseload(clinician: Any, count: int, now: datetime) -> None:
    """`count` more clients on `clinician`'s team, each with four weeks of weekly PHQ-9 and
    GAD-7 and an open risk alert (raised to the clinician by the real submission)."""
    from practice.demo import scored_response
    from practice.measurement import schedule, services
    from practice.measurement.models import Assignment, Response
    from practice.models import ClientProfile
    from tenants.accounts.models import Role, User

    rng = random.Random(count)
    today = schedule.local_today(now, TIMEZONE)
    first = today - timedelta(days=28)
    rows = []
    for number in range(count):
        client = User.objects.create_user(f"caseload-{number}@bench.example.org", PASSWORD,
                                          full_name=f"Caseload {number}", role=Role.CLIENT)
        ClientProfile.objects.create(user=client, timezone=TIMEZONE).clinicians.add(clinician)
        _episode(client, clinician, now - timedelta(days=29))
        for key in ("phq9", "gad7"):
            assignment = Assignment.objects.create(client=client, instrument_key=key,
                                                   frequency="weekly", starts_on=first,
                                                   assigned_by=clinician)
            for day in schedule.occurrence_dates("weekly", first, today - timedelta(days=1)):
                rows.append(scored_response(assignment, day, _answers(key, rng),
                                            tz_name=TIMEZONE,
                                            submitted_at=now - timedelta(days=(today - day).days)))
        risk = services.response_start_adhoc(client=client, instrument_key="phq9")
        services.response_submit(client=client, response_id=risk.pk,
                                 answers={f"q{n}": 1 for n in range(1, 10)})
    Response.objects.bulk_create(rows, batch_size=1000)


def build_world(plan: Plan) -> World:
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone
    from django_tenants.utils import schema_context

    from portal.consent import current_consent
    from portal.invitations import consent_accept
    from tenants.accounts.models import Role, User
    from tenants.actor import Actor
    from tenants.models import Practice
    from tenants.services import PracticeSignup, practice_provision

    call_command("migrate_platform", skip_practices=True, verbosity=0, stdout=io.StringIO())
    practice, _owner = practice_provision(
        signup=PracticeSignup(practice_name="Bench Measurement", subdomain=SUBDOMAIN,
                              owner_name="Bench Owner", owner_email="owner@bench.example.org",
                              owner_password=PASSWORD),
        actor=Actor.SYSTEM)
    Practice.objects.filter(pk=practice.pk).update(instrument_keys=["gad7", "mood", "phq9"])
    now = timezone.now()
    clients = {}
    with schema_context(practice.schema_name):
        clinician = User.objects.create_user("clinician@bench.example.org", PASSWORD,
                                             full_name="Bench Clinician", role=Role.CLINICIAN)
        for label, days in (("1 month", 30), (_years(plan.long_days), plan.long_days)):
            started = time.perf_counter()
            client = User.objects.create_user(f"client-{days}@bench.example.org", PASSWORD,
                                              full_name=f"Client {label}", role=Role.CLIENT)
            _history(client, clinician, days, now)
            # As accepting the invitation does: without it every portal page is the consent
            # redirect, which is what this bench used to time by mistake.
            consent_accept(user=client, version=current_consent().version)
            count = client.responses.count()
            print(f"history {label}: {count} responses in "
                  f"{time.perf_counter() - started:.1f} s", flush=True)
            clients[label] = client
        started = time.perf_counter()
        busy = User.objects.create_user("busy-clinician@bench.example.org", PASSWORD,
                                        full_name="Busy Clinician", role=Role.CLINICIAN)
        for client in clients.values():
            client.client_profile.clinicians.add(busy)
        _caseload(busy, plan.caseload, now)
        print(f"caseload of {plan.caseload + 2} clients in "
              f"{time.perf_counter() - started:.1f} s", flush=True)
    connection.set_schema_to_public()
    # The planner's statistics, as autovacuum keeps them on a live database: timed before its
    # first pass over freshly loaded tables, a run measures the planner's guesses instead.
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    caseloads = {"2 clients": clinician, f"{plan.caseload + 2} clients": busy}
    return World(f"{SUBDOMAIN}.{settings.PLATFORM_DOMAIN}", practice.schema_name, clinician,
                 clients, busy, caseloads)


def _years(days: int) -> str:
    years = round(days / 365)
    return f"{years} year" + ("s" if years != 1 else "")


# --- the pages ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Page:
    """A page measured twice: for the short and the long history (`by="history"`: the client's
    own page, or the clinician's page about that client), or for the small and the large
    caseload (`by="caseload"`: the clinician's own list)."""

    name: str
    url: str  # formatted with the client's id
    as_client: bool = False
    by: str = "history"

    def variants(self, world: World) -> list[tuple[str, Any, str]]:
        """(label, person signing in, path) for the smaller and the larger side."""
        if self.by == "caseload":
            return [(label, clinician, self.url) for label, clinician in world.caseloads.items()]
        return [(label, client if self.as_client else world.clinician,
                 self.url.format(client=client.pk)) for label, client in world.clients.items()]


PAGES = (
    Page("dashboard", "/portal/", as_client=True),
    Page("trend", "/portal/assessments/progress/", as_client=True),
    Page("client", "/clinic/clients/{client}/"),
    Page("review", "/clinic/clients/{client}/review/"),
    Page("progress", "/outcomes/clients/{client}/progress/"),
    Page("today", "/", by="caseload"),
    Page("caseload", "/clinic/clients/", by="caseload"),
    Page("alerts", "/clinic/alerts/", by="caseload"),
    Page("reports", "/outcomes/reports/", by="caseload"),
)


# --- query counts, in process -------------------------------------------------------------------

def _test_client(world: World, user: Any) -> Any:
    from django.test import Client
    from django_tenants.utils import schema_context

    http = Client(HTTP_HOST=world.host)
    with schema_context(world.schema):
        http.force_login(user)
    return http


def query_count(http: Any, url: str) -> int:
    """Queries of one request, after a first one (first-use caches are not the page's cost).
    The page must answer 200 both times."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for attempt in range(2):
        with CaptureQueriesContext(connection) as captured:
            answer = http.get(url)
        if answer.status_code != 200:
            where = f" -> {answer['Location']}" if answer.has_header("Location") else ""
            raise common.PageFailed(f"FAIL: {url} answered {answer.status_code}{where} "
                                    f"(in process, request {attempt + 1})")
    return len(captured.captured_queries)


def check_query_counts(world: World) -> bool:
    """Queries per page, for both histories or caseloads; False (after saying which) when a
    page's count grows with them."""
    growing = []
    print("queries per request (must not depend on history or caseload):", flush=True)
    for page in PAGES:
        counts = {}
        for label, person, path in page.variants(world):
            counts[label] = query_count(_test_client(world, person), path)
        print(f"  {page.name:<9} " + " ".join(f"{label}={count:<4}"
                                               for label, count in counts.items())
              + f" {page.url}", flush=True)
        if len(set(counts.values())) != 1:
            growing.append(page.name)
    minimal = query_count(_test_client(world, world.clinician), MINIMAL_URL)
    print(f"  {'minimal':<9} {minimal} ({MINIMAL_URL}: same middleware, nothing rendered)")
    if growing:
        print(f"FAIL: query count grows with history or caseload on: {', '.join(growing)}",
              flush=True)
        return False
    return True


# --- where the time goes, in process ------------------------------------------------------------

PROFILE_REQUESTS = 5


def profile_pages(world: World) -> None:
    """Each page of the longer history or larger caseload, PROFILE_REQUESTS requests under
    cProfile: the wall time per request, the part of it in SQL, and the functions that take most
    of the rest."""
    import cProfile
    import pstats

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for page in PAGES:
        label, person, path = page.variants(world)[-1]
        http = _test_client(world, person)
        query_count(http, path)  # warm: templates compiled, caches filled
        profiler = cProfile.Profile()
        sql = 0.0
        started = time.perf_counter()
        for _ in range(PROFILE_REQUESTS):
            with CaptureQueriesContext(connection) as captured:
                profiler.enable()
                answer = http.get(path)
                profiler.disable()
            if answer.status_code != 200:
                raise common.PageFailed(f"FAIL: {path} answered {answer.status_code} "
                                        "(in process, profiling)")
            sql += sum(float(query["time"]) for query in captured.captured_queries)
        wall = (time.perf_counter() - started) / PROFILE_REQUESTS * 1000
        print(f"\n=== {page.name} ({label}): {wall:.1f} ms a request under the profiler, "
              f"SQL {sql / PROFILE_REQUESTS * 1000:.1f} ms, "
              f"{len(captured.captured_queries)} queries; the slowest of the last request:",
              flush=True)
        for query in sorted(captured.captured_queries, key=lambda query: -float(query["time"]))[:4]:
            print(f"  {float(query['time']) * 1000:6.1f} ms  {query['sql'][:150]}")
        out = io.StringIO()
        stats = pstats.Stats(profiler, stream=out)
        stats.sort_stats("tottime").print_stats(18)
        stats.sort_stats("cumulative").print_stats(r"practice|portal|tenants|template", 30)
        print("\n".join(line for line in out.getvalue().splitlines()
                        if line.strip() and not line.startswith(("   Ordered", "   List"))),
              flush=True)


# --- latency, over HTTP -------------------------------------------------------------------------

def measure_http(world: World, plan: Plan, port: int) -> dict[tuple[str, str], list[float]]:
    """Every page for both histories and the minimal page, alternating, `samples` rounds."""
    from bench.common import Browser

    browsers: dict[int, Browser] = {}
    for person in world.people.values():
        browsers[person.pk] = Browser(port, world.host)
        browsers[person.pk].sign_in(person.email, PASSWORD)
    steps: list[tuple[tuple[str, str], Any, str]] = []
    for page in PAGES:
        for label, person, path in page.variants(world):
            steps.append(((page.name, label), browsers[person.pk], path))
    steps.append((("minimal", ""), browsers[world.clinician.pk], MINIMAL_URL))
    for _key, browser, url in steps:  # warm up: templates compiled, caches filled
        browser.get_ok(url)
        browser.get_ok(url)
    samples: dict[tuple[str, str], list[float]] = {key: [] for key, _b, _u in steps}
    for round_number in range(plan.samples):
        # Each round in a different order, so no page always follows the same one.
        order = steps[round_number % len(steps):] + steps[:round_number % len(steps)]
        for key, browser, url in order:
            started = time.perf_counter()
            browser.get_ok(url)
            samples[key].append(time.perf_counter() - started)
    for browser in browsers.values():
        browser.close()
    return samples


def report(world: World, samples: dict[tuple[str, str], list[float]]) -> str:
    """Per page: medians, larger/smaller and page/minimal; returns the RESULT line."""
    minimal = samples[("minimal", "")]
    print(f"latency over HTTP, {len(minimal)} samples each (medians and IQR in ms):")
    print(f"  {'minimal':<9} {common.Summary.of(minimal).line()}")
    slowest: tuple[float, str, common.Comparison] | None = None
    for page in PAGES:
        short_label, long_label = (label for label, _person, _path in page.variants(world))
        short, long = samples[(page.name, short_label)], samples[(page.name, long_label)]
        growth = common.compare(long, short)
        against_minimal = common.compare(long, minimal)
        print(f"  {page.name:<9} {short_label}: {common.Summary.of(short).line()}")
        print(f"  {'':<9} {long_label}: {common.Summary.of(long).line()}")
        print(f"  {'':<9} ratio {long_label}/{short_label}={growth.ratio_text()}"
              f"{growth.note()}")
        ratio = against_minimal.ratio
        over = ratio is not None and ratio > PAGE_BUDGET
        print(f"  {'':<9} ratio page/minimal={against_minimal.ratio_text()}"
              f"{f'  OVER the {PAGE_BUDGET:g}x budget' if over else ''}{against_minimal.note()}")
        median = against_minimal.measured.median
        if slowest is None or median > slowest[0]:
            slowest = (median, page.name, against_minimal)
    assert slowest is not None
    median, name, comparison = slowest
    print(f"slowest page (longer history or larger caseload): {name}")
    if not comparison.is_reliable:
        print(comparison.explain())
    return common.result_line("measurement", "median", f"{median:.4f}", "s",
                              f"{comparison.baseline.median:.4f}", comparison)


def run(plan: Plan) -> int:
    import django

    django.setup()
    world = build_world(plan)
    if not check_query_counts(world):
        return 1
    if plan.profile:
        profile_pages(world)
        return 0
    from django.db import connections

    connections.close_all()  # gunicorn's worker has the database to itself while timing
    log = PROJECT_ROOT / ".tandem" / "bench-measurement-gunicorn.log"
    with common.Gunicorn(workers=1, threads=4, log=log) as server:
        server.wait_ready()
        print(f"gunicorn on 127.0.0.1:{server.port} (infra/gunicorn.conf.py, 1 worker x 4 "
              f"threads), log in {log.relative_to(PROJECT_ROOT)}", flush=True)
        samples = measure_http(world, plan, server.port)
    line = report(world, samples)
    common.print_load("after")
    print(line, flush=True)
    return 0


def main(argv: list[str]) -> int:
    plan = parse_args(argv)
    from bench.common import drop_database

    common.print_load("before")
    server_url, database = common.prepare_environment("mbench")
    print(f"measurement benchmark in database {database}: 1 month against "
          f"{_years(plan.long_days)} of history, {plan.samples} samples per page", flush=True)
    try:
        return run(plan)
    except common.PageFailed as failure:
        print(failure.code, flush=True)
        return 1
    finally:
        from django.db import connections

        connections.close_all()
        drop_database(server_url, database)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
