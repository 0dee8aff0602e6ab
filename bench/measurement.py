"""Measurement benchmark: the client's trend page and the clinician's client page and
pre-session review with years of daily mood and weekly PHQ-9 and GAD-7.

    python bench/measurement.py [--quick] [--samples N]

Two clients of one clinician, alike in everything but the length of their history: one month,
and five years (one year with --quick) of daily mood check-ins and weekly PHQ-9 and GAD-7, each
with an entered-in-error response, an open risk alert and today's questionnaires due. The
history is inserted in bulk, already scored by the real scorer.

1. Query count: each page is requested once for each client; the counts must be equal (a page
   whose queries grow with history fails the run, loudly, with exit status 1).
2. Latency: each page for the long-history client, against a minimal page (signed in, nothing
   rendered) served through the same middleware, alternating, in the same run.

Pages are requested through django.test.Client on the practice's host:
    /portal/assessments/progress/      (the client's trends)
    /clinic/clients/<id>/              (the clinician's view of the client)
    /clinic/clients/<id>/review/       (the 60-second pre-session review)
A page that does not answer 200 is replaced by the selectors it is built on, and the output
says so.

It works in a throwaway database on the server DATABASE_URL points at (embedded servers when
DATABASE_URL / REDIS_URL are unset), `<name>_mbench`, dropped at the end. The last line printed
is the one to read:

    RESULT measurement median=<slowest page's median> s baseline=<minimal median> s ratio=<r>
"""

from __future__ import annotations

import argparse
import io
import os
import random
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from django.http import HttpRequest, HttpResponse
from django.urls import include, path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "bench-horse-battery-staple-9"
SUBDOMAIN = "bench-measure"
TIMEZONE = "America/New_York"


# --- the minimal page: the same middleware, nothing rendered ------------------------------------

def minimal(request: HttpRequest) -> HttpResponse:
    """Signed-in check only (session and user are loaded, as for the real pages)."""
    return HttpResponse("ok" if request.user.is_authenticated else "no")


def __getattr__(name: str) -> Any:
    """While the benchmark runs, practice hosts use this module as URLconf: the practice's own
    URLs plus the minimal page (built on first use, once Django is set up)."""
    if name == "urlpatterns":
        return [path("bench/minimal/", minimal), path("", include("controlplane.urls_tenant"))]
    raise AttributeError(name)


@dataclass(frozen=True)
class Plan:
    long_days: int
    samples: int


def parse_args(argv: list[str]) -> Plan:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help="one year of history instead of five, 5 samples per page")
    parser.add_argument("--samples", type=int, help="timed requests per page")
    args = parser.parse_args(argv)
    plan = Plan(long_days=365 if args.quick else 5 * 365 + 1,
                samples=args.samples or (5 if args.quick else 30))
    if plan.samples < 1:
        parser.error("--samples must be 1 or more")
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
    database = name if name.endswith("_mbench") else f"{name}_mbench"
    recreate_database(server_url, database)
    os.environ["DATABASE_URL"] = _url_for(server_url, database)
    return server_url, database


# --- the data -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class World:
    host: str
    schema: str
    clinician: Any
    clients: dict[str, Any]  # "1 month" / "5 years" -> client


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
    from practice.models import Assignment, ClientProfile, Response

    profile = ClientProfile.objects.create(user=client, timezone=TIMEZONE)
    profile.clinicians.add(clinician)
    rng = random.Random(days)
    today = schedule.local_today(now, TIMEZONE)
    first = today - timedelta(days=days)
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
                                            acting_user=clinician)
    risk = services.response_start_adhoc(client=client, instrument_key="phq9")
    services.response_submit(client=client, response_id=risk.pk,
                             answers={f"q{n}": 1 for n in range(1, 10)})


def build_world(plan: Plan) -> World:
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone
    from django_tenants.utils import schema_context

    from tenants.accounts.models import Role, User
    from tenants.models import Practice
    from tenants.services import PracticeSignup, practice_provision

    call_command("migrate_platform", skip_practices=True, verbosity=0, stdout=io.StringIO())
    practice, _owner = practice_provision(
        signup=PracticeSignup(practice_name="Bench Measurement", subdomain=SUBDOMAIN,
                              owner_name="Bench Owner", owner_email="owner@bench.example.org",
                              owner_password=PASSWORD),
        acting_user=None)
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
            count = client.responses.count()
            print(f"history {label}: {count} responses in "
                  f"{time.perf_counter() - started:.1f} s", flush=True)
            clients[label] = client
    connection.set_schema_to_public()
    return World(f"{SUBDOMAIN}.{settings.PLATFORM_DOMAIN}", practice.schema_name, clinician,
                 clients)


def _years(days: int) -> str:
    years = round(days / 365)
    return f"{years} year" + ("s" if years != 1 else "")


# --- measuring ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Page:
    name: str
    url: str  # formatted with the client's id
    as_client: bool


PAGES = (
    Page("trend", "/portal/assessments/progress/", as_client=True),
    Page("client", "/clinic/clients/{client}/", as_client=False),
    Page("review", "/clinic/clients/{client}/review/", as_client=False),
)


def _http(world: World, user: Any) -> Any:
    from django.test import Client
    from django_tenants.utils import schema_context

    http = Client(HTTP_HOST=world.host)
    with schema_context(world.schema):
        http.force_login(user)
    return http


def _selectors_of(world: World, page: Page, client: Any) -> Callable[[], None]:
    """What a missing page is built on, run in the practice's schema."""
    from django.utils import timezone
    from django_tenants.utils import schema_context

    from practice.measurement import selectors

    def run() -> None:
        with schema_context(world.schema):
            if page.name == "review":
                now = timezone.now()
                selectors.pre_session_review(client, since=now - timedelta(days=7), now=now)
            else:
                selectors.client_record(client)

    return run


def request_maker(world: World, page: Page, client: Any) -> tuple[Callable[[], Any], str]:
    """A callable doing one request (or, when the page is missing, its selectors) and a note."""
    http = _http(world, client if page.as_client else world.clinician)
    url = page.url.format(client=client.pk)
    if http.get(url).status_code == 200:
        return (lambda: _ok(http.get(url), url)), page.url
    return _selectors_of(world, page, client), f"{page.url} missing: its selectors measured"


def _ok(answer: Any, url: str) -> Any:
    if answer.status_code != 200:
        raise SystemExit(f"FAIL: {url} answered {answer.status_code}")
    return answer


def query_count(step: Callable[[], Any]) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    step()  # warm: first-use caches are not the page's cost
    with CaptureQueriesContext(connection) as captured:
        step()
    return len(captured.captured_queries)


def median_and_p95(samples: list[float]) -> tuple[float, float]:
    if len(samples) == 1:
        return samples[0], samples[0]
    return (statistics.median(samples),
            statistics.quantiles(samples, n=20, method="inclusive")[18])


def run(plan: Plan) -> int:
    import django
    from django.conf import settings

    django.setup()
    settings.ROOT_URLCONF = "bench.measurement"  # the practice's URLs plus the minimal page
    world = build_world(plan)
    short_label, long_label = list(world.clients)

    makers: dict[str, dict[str, Callable[[], Any]]] = {}
    differing = []
    print("queries per request (must not depend on history):", flush=True)
    for page in PAGES:
        makers[page.name] = {}
        counts = {}
        for label, client in world.clients.items():
            step, note = request_maker(world, page, client)
            makers[page.name][label] = step
            counts[label] = query_count(step)
        print(f"  {page.name:<7} {short_label}={counts[short_label]:<4} "
              f"{long_label}={counts[long_label]:<4} ({note})", flush=True)
        if counts[short_label] != counts[long_label]:
            differing.append(page.name)
    if differing:
        print(f"FAIL: query count grows with history on: {', '.join(differing)}", flush=True)
        return 1

    baseline_http = _http(world, world.clinician)

    def baseline() -> Any:
        return _ok(baseline_http.get("/bench/minimal/"), "/bench/minimal/")

    minimal_queries = query_count(baseline)
    print(f"  minimal {minimal_queries} (/bench/minimal/, same middleware)", flush=True)

    # Alternating, so load on the machine falls on every page alike.
    samples: dict[tuple[str, str], list[float]] = {}
    for _ in range(plan.samples):
        for name, by_label in makers.items():
            for label, step in by_label.items():
                samples.setdefault((name, label), []).append(_timed(step))
        samples.setdefault(("minimal", ""), []).append(_timed(baseline))
    summaries = {key: median_and_p95(values) for key, values in samples.items()}
    print(f"latency, {plan.samples} samples each:")
    for (name, label), (median, p95) in summaries.items():
        print(f"  {name:<7} {label:<8} median={median * 1000:.1f} ms p95={p95 * 1000:.1f} ms")
    page_medians = {name: summaries[(name, long_label)][0] for name in makers}
    slowest = max(page_medians, key=page_medians.__getitem__)
    page_median, minimal_median = page_medians[slowest], summaries[("minimal", "")][0]
    print(f"slowest page with {long_label} of history: {slowest}")
    print(f"RESULT measurement median={page_median:.4f} s baseline={minimal_median:.4f} s "
          f"ratio={page_median / minimal_median:.2f}", flush=True)
    return 0


def _timed(step: Callable[[], Any]) -> float:
    started = time.perf_counter()
    step()
    return time.perf_counter() - started


def main(argv: list[str]) -> int:
    plan = parse_args(argv)
    sys.path.insert(0, str(PROJECT_ROOT))
    from bench.provisioning import drop_database

    server_url, database = prepare_environment()
    print(f"measurement benchmark in database {database}: 1 month against "
          f"{_years(plan.long_days)} of history, {plan.samples} samples per page", flush=True)
    try:
        return run(plan)
    finally:
        from django.db import connections

        connections.close_all()
        drop_database(server_url, database)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
