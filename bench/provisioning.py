"""Provisioning benchmark: a signup that takes a spare schema cloned ahead of time (what a signup
does when the pool is filled: tenants.spares), a signup that clones the migrated template while
it runs (an empty pool), and the same practice provisioned the plain django-tenants way (CREATE
SCHEMA, then `migrate_schemas --schema` for the tenant apps), with many practices present.

    python bench/provisioning.py [--quick] [--present N] [--measure N]

It works in a throwaway database on the server DATABASE_URL points at (embedded servers when
DATABASE_URL / REDIS_URL are unset): `<name>_bench`, or the name itself when it already ends in
`_bench`. That database is created fresh, migrated with `migrate_platform`, filled with the
"present" practices through `practice_provision`, and dropped at the end with every schema in
it. Clone and migrate samples alternate, so both see the same number of schemas. Both run the
whole of `practice_provision` (practice row, domain, schema, owner, audit); only the schema step
differs. Before each spare sample the pool is refilled with one spare, untimed (the job does it
after a signup, in the background); the refill's own time is printed too. The last line
printed is the one to read:

    RESULT provisioning median=<spare median> s baseline=<migrate median> s ratio=<spare/migrate>
"""

from __future__ import annotations

import argparse
import io
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from unittest import mock

PROJECT_ROOT = Path(__file__).resolve().parent.parent
if str(PROJECT_ROOT) not in sys.path:
    sys.path.insert(0, str(PROJECT_ROOT))

from bench.common import (  # noqa: E402
    compare,
    drop_database,
    print_load,
    result_line,
)
from tenants.actor import Actor  # noqa: E402

PASSWORD = "bench-horse-battery-staple-9"


@dataclass(frozen=True)
class Plan:
    present: int
    measure: int


def parse_args(argv: list[str]) -> Plan:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help="20 practices present, 5 measured each way")
    parser.add_argument("--present", type=int, help="practices present before measuring")
    parser.add_argument("--measure", type=int, help="practices provisioned per method")
    args = parser.parse_args(argv)
    present, measure = (20, 5) if args.quick else (200, 20)
    plan = Plan(
        present=present if args.present is None else args.present,
        measure=measure if args.measure is None else args.measure,
    )
    if plan.present < 0 or plan.measure < 1:
        parser.error("--present must be 0 or more and --measure 1 or more")
    return plan


def prepare_environment() -> tuple[str, str]:
    """Point DATABASE_URL at a fresh benchmark database; return (server URL, database name)."""
    from bench.common import prepare_environment as prepare

    return prepare("bench", settings_module="config.settings.local")


# --- provisioning, both ways ----------------------------------------------------------------------

def provision(subdomain: str) -> None:
    from tenants.services import PracticeSignup, practice_provision

    practice_provision(
        signup=PracticeSignup(
            practice_name=f"Bench {subdomain}",
            subdomain=subdomain,
            owner_name="Bench Owner",
            owner_email=f"owner@{subdomain}.example.org",
            owner_password=PASSWORD,
        ),
        actor=Actor.SYSTEM,
    )


def add_present(subdomain: str) -> None:
    """A practice already there: its row, its domain and its schema cloned from the template
    (no owner: hashing a thousand passwords would only make the setup slower)."""
    from django.conf import settings
    from django.db import transaction

    from tenants.cloning import clone_schema
    from tenants.models import Domain, Practice, PracticeState
    from tenants.selectors import practice_host
    from tenants.services import _new_schema_name

    with transaction.atomic():
        practice = Practice.objects.create(schema_name=_new_schema_name(), name=subdomain,
                                           subdomain=subdomain, state=PracticeState.ACTIVE)
        Domain.objects.create(domain=practice_host(subdomain), tenant=practice, is_primary=True)
        clone_schema(settings.TENANT_BASE_SCHEMA, practice.schema_name)


def create_and_migrate(schema_name: str) -> None:
    """What django-tenants does for a new tenant without a template schema."""
    from django.core.management import call_command
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"CREATE SCHEMA {connection.ops.quote_name(schema_name)}")
    call_command("migrate_schemas", tenant=True, schema_name=schema_name, interactive=False,
                 verbosity=0)
    connection.set_schema_to_public()


def provision_by_migrating(subdomain: str) -> None:
    from tenants import services

    with mock.patch.object(services, "_clone_template", create_and_migrate):
        provision(subdomain)


def timed(step: Callable[[str], None], subdomain: str) -> float:
    started = time.perf_counter()
    step(subdomain)
    return time.perf_counter() - started


def practice_count() -> int:
    from tenants.models import Practice

    return Practice.objects.count()


def run(plan: Plan) -> tuple[list[float], list[float], list[float], list[float], int]:
    import django
    from django.conf import settings
    from django.core.management import call_command

    django.setup()
    from tenants.spares import spare_schemas_refill

    # The refill is called here, one spare at a time; no job is asked for after a signup.
    settings.SPARE_SCHEMAS = 0
    call_command("migrate_platform", skip_practices=True, verbosity=0, stdout=io.StringIO())

    started = time.perf_counter()
    for number in range(1, plan.present + 1):
        add_present(f"present-{number:04d}")
        if number % 100 == 0:
            print(f"  {number} present after {time.perf_counter() - started:.0f} s", flush=True)
    print(f"{plan.present} practices present after {time.perf_counter() - started:.1f} s",
          flush=True)

    # One unmeasured round each way: imports, the migration graph and plan caches warm up.
    provision("warmup-clone")
    provision_by_migrating("warmup-migrate")

    spare: list[float] = []
    refill: list[float] = []
    clone: list[float] = []
    migrate: list[float] = []
    for number in range(1, plan.measure + 1):
        started = time.perf_counter()
        if spare_schemas_refill(size=1) != (1, 0):
            raise SystemExit("the spare pool was not refilled with exactly one schema")
        refill.append(time.perf_counter() - started)
        spare.append(timed(provision, f"spare-{number:03d}"))
        clone.append(timed(provision, f"clone-{number:03d}"))  # the pool is empty again
        migrate.append(timed(provision_by_migrating, f"migrate-{number:03d}"))
        print(f"  round {number}: spare {spare[-1]:.3f} s (refill {refill[-1]:.3f} s), "
              f"clone {clone[-1]:.3f} s, migrate {migrate[-1]:.3f} s", flush=True)
    return spare, refill, clone, migrate, practice_count()


def main(argv: list[str]) -> int:
    plan = parse_args(argv)
    print_load("before")
    server_url, database = prepare_environment()
    print(f"provisioning benchmark in database {database}: {plan.present} practices present, "
          f"{plan.measure} provisioned each way", flush=True)
    try:
        spare, refill, clone, migrate, total = run(plan)
    finally:
        from django.db import connections

        connections.close_all()
        # Every schema the run made lives in this database: dropping it removes them all.
        drop_database(server_url, database)
    comparison = compare(spare, migrate)
    cloning = compare(clone, migrate)
    refilling = compare(refill, migrate)
    print(f"practices at the end: {total} (dropped with database {database})")
    for label, summary in (("spare   (pool)    ", comparison.measured),
                           ("clone   (template)", cloning.measured),
                           ("refill  (1 spare) ", refilling.measured),
                           ("migrate (baseline)", comparison.baseline)):
        print(f"{label}: {summary.line('s', 1.0, 3)} p95={summary.p95:.3f} s")
    print(f"clone vs migrate: ratio={cloning.ratio_text()}")
    if not comparison.is_reliable:
        print(comparison.explain("s", 1.0, 3))
    print_load("after")
    print(result_line("provisioning", "median", f"{comparison.measured.median:.3f}", "s",
                      f"{comparison.baseline.median:.3f}", comparison), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
