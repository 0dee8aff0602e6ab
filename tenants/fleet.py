"""The operator's view of the fleet, and the "migrate all" job.

Reads only the platform's own rows (practices, domains, migration runs), each practice's people
table for counts and sign-in times, its django_migrations, and PostgreSQL's catalogs (sizes and
the planner's row counts, `pg_class.reltuples`, kept by ANALYZE and autovacuum). Never a clinical
table: tests/tenants/test_fleet.py captures every statement of every operator page to prove it.
The number of queries does not grow with the number of practices on a page.
"""

from __future__ import annotations

import io
import logging
from dataclasses import dataclass, field
from datetime import datetime

from django.core.management import call_command
from django.db import IntegrityError, transaction
from django.db.backends.utils import CursorWrapper
from django.db.models import Count
from django.utils import timezone

from tenants.actor import Actor
from tenants.audit.services import audit_record
from tenants.db import connection
from tenants.error_counts import ErrorCount, error_counts
from tenants.models import Domain, MigrationRun, Practice
from tenants.spares import spare_counts

logger = logging.getLogger(__name__)
CLIENT_ROLE = "client"
LARGEST_TABLES = 5


@dataclass(frozen=True)
class TableSize:
    name: str
    rows: int | None  # None: never analysed yet
    bytes: int


@dataclass
class PracticeHealth:
    practice: Practice
    staff: int = 0
    clients: int = 0
    last_staff_sign_in: datetime | None = None
    last_client_sign_in: datetime | None = None
    size_bytes: int = 0
    largest_tables: list[TableSize] = field(default_factory=list)
    migrations_pending: bool | None = None  # None: its schema is in another database
    errors: ErrorCount | None = None
    domain: Domain | None = None

    @property
    def last_activity(self) -> datetime | None:
        moments = [m for m in (self.last_staff_sign_in, self.last_client_sign_in) if m]
        return max(moments) if moments else None


@dataclass(frozen=True)
class FleetTotals:
    practices: int
    by_state: dict[str, int]
    by_billing_state: dict[str, int]
    by_plan: dict[str, int]
    staff: int
    clients: int
    size_bytes: int
    largest: list[PracticeHealth]
    # Practice schemas cloned ahead of signups (tenants.spares): ready, and of an older template.
    spares_ready: int = 0
    spares_stale: int = 0


def _people(cursor: CursorWrapper, practices: list[Practice],
            health: dict[int, PracticeHealth]) -> None:
    parts, params = [], []
    for practice in practices:
        schema = connection.ops.quote_name(practice.schema_name)
        parts.append(
            "SELECT %s, count(*) FILTER (WHERE role <> %s AND is_active),"
            " count(*) FILTER (WHERE role = %s AND is_active),"
            " max(last_login) FILTER (WHERE role <> %s),"
            " max(last_login) FILTER (WHERE role = %s)"
            f" FROM {schema}.accounts_user")
        params += [practice.pk, CLIENT_ROLE, CLIENT_ROLE, CLIENT_ROLE, CLIENT_ROLE]
    cursor.execute(" UNION ALL ".join(parts), params)
    for pk, staff, clients, last_staff, last_client in cursor.fetchall():
        row = health[pk]
        row.staff, row.clients = staff, clients
        row.last_staff_sign_in, row.last_client_sign_in = last_staff, last_client


def _sizes(cursor: CursorWrapper, practices: list[Practice],
           health: dict[int, PracticeHealth]) -> None:
    """Schema sizes on disk (tables with their indexes and TOAST) and the largest tables."""
    by_schema = {practice.schema_name: health[practice.pk] for practice in practices}
    cursor.execute(
        "SELECT n.nspname, c.relname, c.reltuples::bigint, pg_total_relation_size(c.oid)"
        " FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
        " WHERE n.nspname = ANY(%s) AND c.relkind IN ('r', 'p')"
        " ORDER BY n.nspname, c.reltuples DESC, pg_total_relation_size(c.oid) DESC, c.relname",
        [list(by_schema)])
    for schema, table, rows, size in cursor.fetchall():
        row = by_schema[schema]
        row.size_bytes += size
        if len(row.largest_tables) < LARGEST_TABLES:
            row.largest_tables.append(TableSize(table, rows if rows >= 0 else None, size))


def _migration_state(practices: list[Practice], health: dict[int, PracticeHealth]) -> None:
    from tenants.management.commands.migrate_platform import schemas_needing_migrations

    local = [p.schema_name for p in practices if p.database_alias == connection.alias]
    pending = set(schemas_needing_migrations(local))
    for practice in practices:
        if practice.schema_name in local:
            health[practice.pk].migrations_pending = practice.schema_name in pending


def fleet_health(practices: list[Practice]) -> list[PracticeHealth]:
    """Each practice's figures, for a page of practices: a fixed number of queries."""
    health = {practice.pk: PracticeHealth(practice) for practice in practices}
    here = [p for p in practices if p.database_alias == connection.alias and p.state != "moved"]
    if here:
        connection.set_schema_to_public()
        with connection.cursor() as cursor:
            _people(cursor, here, health)
            _sizes(cursor, here, health)
        _migration_state(here, health)
    for domain in Domain.objects.filter(tenant__in=practices, is_custom=True):
        health[domain.tenant_id].domain = domain
    counts = error_counts(p.schema_name for p in practices)
    for practice in practices:
        health[practice.pk].errors = counts.get(practice.schema_name)
    return [health[practice.pk] for practice in practices]


def fleet_totals(largest: int = 5) -> FleetTotals:
    """Across the fleet: counts by state, billing state and plan, people, size, the largest."""
    practices = list(Practice.objects.order_by("name"))
    rows = fleet_health(practices)

    def grouped(name: str) -> dict[str, int]:
        return {key or "-": count for key, count in
                Practice.objects.values_list(name).annotate(n=Count("pk")).order_by(name)}

    spares_ready, spares_stale = spare_counts()
    return FleetTotals(
        spares_ready=spares_ready, spares_stale=spares_stale,
        practices=len(practices), by_state=grouped("state"),
        by_billing_state=grouped("billing_state"), by_plan=grouped("plan_key"),
        staff=sum(row.staff for row in rows), clients=sum(row.clients for row in rows),
        size_bytes=sum(row.size_bytes for row in rows),
        largest=sorted(rows, key=lambda row: (-row.size_bytes, row.practice.name))[:largest],
    )


# --- "migrate all" --------------------------------------------------------------------------

class MigrationRunError(Exception):
    """Refused; the message is fit to show the operator."""


ALREADY_RUNNING = "A migration run is already in progress. Wait for it to finish."


def migration_run_latest() -> MigrationRun | None:
    return MigrationRun.objects.first()


def migration_run_start(*, actor: Actor, retry_of: int | None = None) -> MigrationRun:
    """Start the job (never two at once); a retry re-runs only the failures of `retry_of`."""
    only: list[str] = []
    if retry_of is not None:
        previous = MigrationRun.objects.filter(pk=retry_of).first()
        if previous is None or not previous.failures:
            raise MigrationRunError("That run has no failures to retry.")
        only = sorted(previous.failures)
    try:
        with transaction.atomic():
            run = MigrationRun.objects.create(started_by_id=actor.person.pk, only_schemas=only)
            audit_record(action="platform.migrate_all_started", actor=actor,
                         object_type="migration_run", object_id=run.pk,
                         detail={"retry_of": retry_of} if retry_of else {})

            def enqueue() -> None:
                from tenants.tasks import migrate_all_practices

                migrate_all_practices.send(run.pk)

            transaction.on_commit(enqueue)
    except IntegrityError as error:
        raise MigrationRunError(ALREADY_RUNNING) from error
    return run


def _first_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0][:200] if text else ''}".strip()


def migration_run_execute(*, run_id: int) -> MigrationRun:
    """The job: migrate the public and template schemas (unless a retry), then each practice in
    turn (`migrate` in a schema already up to date applies nothing), recording progress after
    each; a practice that fails is listed and the run goes on."""
    from tenants.management.commands import migrate_platform as command

    run = MigrationRun.objects.get(pk=run_id)
    if run.status != MigrationRun.Status.RUNNING:
        return run
    schemas = run.only_schemas or command.practice_schemas()
    MigrationRun.objects.filter(pk=run.pk).update(total=len(schemas), done=0)
    failures: dict[str, dict[str, object]] = {}
    practice_ids = dict(Practice.objects.filter(schema_name__in=schemas)
                        .values_list("schema_name", "pk"))
    options = command._migrate_options(0)  # noqa: SLF001 - the command's own options
    try:
        if not run.only_schemas:
            # The public and template schemas first, as migrate_platform does.
            call_command("migrate_platform", skip_practices=True, verbosity=0,
                         stdout=io.StringIO())
        for index, schema in enumerate(schemas):
            try:
                command.run_migrations((), options, "standard", schema, idx=index,
                                       count=len(schemas))
            except Exception as error:  # noqa: BLE001 - listed, and the run goes on
                logger.exception("migrating %s failed", schema)
                failures[schema] = {"practice_id": practice_ids.get(schema),
                                    "error": _first_line(error)}
            finally:
                connection.set_schema_to_public()
            MigrationRun.objects.filter(pk=run.pk).update(done=index + 1, failures=failures)
    finally:
        connection.set_schema_to_public()
        MigrationRun.objects.filter(pk=run.pk).update(
            status=MigrationRun.Status.FAILED if failures else MigrationRun.Status.SUCCEEDED,
            finished_at=timezone.now(), failures=failures)
    run.refresh_from_db()
    return run
