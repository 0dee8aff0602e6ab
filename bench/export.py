"""Whole-practice export benchmark: the time to build the archive and its size, for the demo
practice (`make run`'s) and for a practice with 200 clients and a year of data.

    python bench/export.py [--quick] [--samples N]

The large practice: 200 clients (20 with --quick) of two clinicians, each with a year (90 days
with --quick) of daily mood check-ins and weekly PHQ-9 and GAD-7 (inserted in bulk, scored by
the real scorer), an episode of care, and a 64 KiB stored file each. The archive is built the
way the worker builds it (practice.outcomes.tasks.build_export: every record kind as CSV, the
data dictionary, a FHIR bundle per client, the files), in process, `--samples` times for each
practice (1 with --quick, else 3), each a fresh export row.

It works in a throwaway database on the server DATABASE_URL points at (embedded servers when
DATABASE_URL / REDIS_URL are unset), `<name>_xbench`, dropped at the end, with a temporary
MEDIA_ROOT. The last line printed is the one to read:

    RESULT export median=<large practice's median> s baseline=<demo median> s ratio=<r>
"""

from __future__ import annotations

import argparse
import io
import os
import random
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parent.parent
if str(PROJECT_ROOT) not in sys.path:
    sys.path.insert(0, str(PROJECT_ROOT))

from bench import common  # noqa: E402
from tenants.actor import Actor  # noqa: E402

PASSWORD = "bench-horse-battery-staple-9"
SUBDOMAIN = "bench-export"
TIMEZONE = "America/New_York"


@dataclass(frozen=True)
class Plan:
    clients: int
    days: int
    samples: int


def parse_args(argv: list[str]) -> Plan:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help="20 clients with 90 days of data, one sample per practice")
    parser.add_argument("--samples", type=int, help="exports built per practice")
    args = parser.parse_args(argv)
    plan = Plan(clients=20 if args.quick else 200, days=90 if args.quick else 365,
                samples=args.samples or (1 if args.quick else 3))
    if plan.samples < 1:
        parser.error("--samples must be 1 or more")
    return plan


def _answers(key: str, rng: random.Random) -> dict[str, int | None]:
    if key == "mood":
        return {"mood": rng.randrange(11)}
    items = 9 if key == "phq9" else 7
    answers: dict[str, int | None] = {f"q{n}": rng.randrange(4) for n in range(1, items + 1)}
    if key == "phq9":
        answers["q9"] = 0
    return answers


def build_large(plan: Plan) -> str:
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage
    from django.utils import timezone
    from django_tenants.utils import schema_context

    from practice.demo import scored_response
    from practice.measurement import schedule
    from practice.measurement.models import Assignment, Response
    from practice.models import ClientProfile
    from practice.outcomes.models import Episode
    from tenants.accounts.models import Role, User
    from tenants.models import Practice
    from tenants.services import PracticeSignup, practice_provision

    practice, _owner = practice_provision(
        signup=PracticeSignup(practice_name="Bench Export", subdomain=SUBDOMAIN,
                              owner_name="Bench Owner", owner_email="owner@bench.example.org",
                              owner_password=PASSWORD),
        actor=Actor.SYSTEM)
    Practice.objects.filter(pk=practice.pk).update(instrument_keys=["gad7", "mood", "phq9"])
    now = timezone.now()
    rng = random.Random(200)
    started = time.perf_counter()
    with schema_context(practice.schema_name):
        clinicians = [User.objects.create_user(f"clinician{n}@bench.example.org", PASSWORD,
                                               full_name=f"Clinician {n}", role=Role.CLINICIAN)
                      for n in (1, 2)]
        today = schedule.local_today(now, TIMEZONE)
        first = today - timedelta(days=plan.days)
        rows: list[Any] = []
        for number in range(plan.clients):
            clinician = clinicians[number % 2]
            client = User.objects.create_user(f"client{number}@bench.example.org", PASSWORD,
                                              full_name=f"Client {number}", role=Role.CLIENT)
            ClientProfile.objects.create(user=client, timezone=TIMEZONE).clinicians.add(
                clinician)
            Episode.objects.create(client=client, clinician=clinician,
                                   started_at=now - timedelta(days=plan.days + 1),
                                   instrument_keys=["gad7", "mood", "phq9"])
            for key, frequency in (("phq9", "weekly"), ("gad7", "weekly"), ("mood", "daily")):
                assignment = Assignment.objects.create(client=client, instrument_key=key,
                                                       frequency=frequency, starts_on=first,
                                                       assigned_by=clinician)
                for day in schedule.occurrence_dates(frequency, first,
                                                     today - timedelta(days=1)):
                    moment = datetime(day.year, day.month, day.day, 20, tzinfo=now.tzinfo)
                    rows.append(scored_response(assignment, day, _answers(key, rng),
                                                tz_name=TIMEZONE, submitted_at=moment))
            default_storage.save(f"documents/bench-{number}.bin",
                                 ContentFile(rng.randbytes(64 * 1024)))
            if len(rows) > 20_000:
                Response.objects.bulk_create(rows, batch_size=2000)
                rows = []
        Response.objects.bulk_create(rows, batch_size=2000)
        responses = Response.objects.count()
    print(f"large practice: {plan.clients} clients, {responses} responses, "
          f"{plan.clients} files, built in {time.perf_counter() - started:.1f} s", flush=True)
    return practice.schema_name


def export_once(schema: str) -> tuple[float, int, dict[str, int]]:
    from django_tenants.utils import schema_context

    from practice.outcomes.models import PracticeExport
    from practice.outcomes.tasks import build_export
    from tenants.accounts.models import Role, User

    with schema_context(schema):
        owner = User.objects.filter(role=Role.OWNER).order_by("pk").first()
        # As practice_export_request leaves it, without the worker's message: built here.
        export = PracticeExport.objects.create(requested_by=owner)
        started = time.perf_counter()
        built = build_export(export.pk)
        took = time.perf_counter() - started
        assert built is not None and built.size_bytes is not None, "the export failed"
        return took, built.size_bytes, built.counts


def run(plan: Plan) -> int:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from practice.demo import seed_demo
    from practice.demo_logins import DEMO_SUBDOMAIN
    from tenants.models import Practice

    call_command("migrate_platform", skip_practices=True, verbosity=0, stdout=io.StringIO())
    started = time.perf_counter()
    seed_demo()
    print(f"demo practice seeded in {time.perf_counter() - started:.1f} s", flush=True)
    demo_schema = Practice.objects.get(subdomain=DEMO_SUBDOMAIN).schema_name
    large_schema = build_large(plan)
    connection.set_schema_to_public()
    times: dict[str, list[float]] = {"demo": [], "large": []}
    for _sample in range(plan.samples):
        for label, schema in (("demo", demo_schema), ("large", large_schema)):
            took, size, counts = export_once(schema)
            times[label].append(took)
            rows = sum(value for key, value in counts.items() if key.startswith("records/"))
            print(f"  {label:<5} {took:7.2f} s  {size / 1024 / 1024:7.2f} MiB  "
                  f"{rows} rows, {counts.get('fhir', 0)} FHIR bundles, "
                  f"{counts.get('files', 0)} files", flush=True)
    comparison = common.compare(times["large"], times["demo"])
    print(f"demo:  {comparison.baseline.line('s', 1.0, 2)}")
    print(f"large ({plan.clients} clients, {plan.days} days): "
          f"{comparison.measured.line('s', 1.0, 2)}")
    if not comparison.is_reliable:
        print(comparison.explain("s", 1.0, 2))
    common.print_load("after")
    print(common.result_line("export", "median", f"{comparison.measured.median:.2f}", "s",
                             f"{comparison.baseline.median:.2f}", comparison), flush=True)
    return 0


def main(argv: list[str]) -> int:
    plan = parse_args(argv)
    from bench.common import drop_database

    common.print_load("before")
    media = tempfile.mkdtemp(prefix="tandem-xbench-media-")
    os.environ["MEDIA_ROOT"] = media
    server_url, database = common.prepare_environment("xbench")
    print(f"export benchmark in database {database}: the demo practice against "
          f"{plan.clients} clients with {plan.days} days of data, {plan.samples} sample(s)",
          flush=True)
    try:
        return run(plan)
    finally:
        from django.db import connections

        connections.close_all()
        drop_database(server_url, database)
        shutil.rmtree(media, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
