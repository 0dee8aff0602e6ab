"""Migrate everything a deployment needs: the public schema, the practice template schema
(not a tenant, so `migrate_schemas` would skip it) and every practice schema.

With thousands of practices most deployments change nothing in most schemas, so a schema whose
`django_migrations` already holds every leaf of the migration graph is skipped without
starting a migrate run in it (one catalog query per batch of schemas instead of one migrate per
schema). The practices that do need migrating run `--parallel N` at a time, in forked worker
processes, the way django-tenants' multiprocessing executor does.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Iterable, Sequence
from functools import partial
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connections
from django.db.migrations.loader import MigrationLoader
from django_tenants.management.commands.migrate_schemas import Command as MigrateSchemasCommand
from django_tenants.migration_executors.base import run_migrations
from django_tenants.utils import get_public_schema_name, get_tenant_model, schema_exists

from tenants.db import connection

# Schemas checked per catalog query: keeps each UNION ALL statement a reasonable size.
CHECK_BATCH_SIZE = 200


def leaf_migrations() -> set[tuple[str, str]]:
    """Every leaf of the project's migration graph. Django records each migration in every
    schema it migrates (apps the router keeps out of a schema are recorded as no-ops), so a
    schema holding all leaves has nothing to apply."""
    loader = MigrationLoader(None, ignore_no_migrations=True, load=True)
    return set(loader.graph.leaf_nodes())


def schemas_needing_migrations(schemas: Sequence[str],
                               leaves: set[tuple[str, str]] | None = None) -> list[str]:
    """The schemas (in the order given) missing at least one leaf migration, or without a
    django_migrations table at all."""
    leaves = leaf_migrations() if leaves is None else leaves
    if not schemas or not leaves:
        return []
    connection.set_schema_to_public()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT schemaname FROM pg_catalog.pg_tables "
            "WHERE tablename = 'django_migrations' AND schemaname = ANY(%s)",
            [list(schemas)],
        )
        with_table = {row[0] for row in cursor.fetchall()}
        complete: set[str] = set()
        checked = [schema for schema in schemas if schema in with_table]
        leaf_values = ", ".join(["(%s, %s)"] * len(leaves))
        leaf_params = [part for leaf in sorted(leaves) for part in leaf]
        for start in range(0, len(checked), CHECK_BATCH_SIZE):
            batch = checked[start:start + CHECK_BATCH_SIZE]
            selects = [
                f"SELECT %s, count(DISTINCT (app, name)) "
                f"FROM {connection.ops.quote_name(schema)}.django_migrations "
                f"WHERE (app, name) IN ({leaf_values})"
                for schema in batch
            ]
            params: list[Any] = []
            for schema in batch:
                params += [schema, *leaf_params]
            cursor.execute(" UNION ALL ".join(selects), params)
            complete |= {schema for schema, count in cursor.fetchall() if count == len(leaves)}
    return [schema for schema in schemas if schema not in complete]


def _migrate_options(verbosity: int) -> dict[str, Any]:
    """The options `migrate_schemas --tenant --noinput` would hand to each schema's migrate."""
    parser = MigrateSchemasCommand().create_parser("manage.py", "migrate_schemas")
    options = vars(parser.parse_args(["--tenant", "--noinput", "-v", str(verbosity)]))
    options["skip_checks"] = True  # checked once by this command, not once per schema
    return options


def _migrate_one(options: dict[str, Any], count: int, indexed_schema: tuple[int, str]) -> str:
    index, schema = indexed_schema
    run_migrations((), options, "parallel", schema, allow_atomic=False, idx=index, count=count)
    return schema


def migrate_schemas_in_parallel(schemas: Sequence[str], *, parallel: int,
                                verbosity: int) -> None:
    """Run migrate in each schema, `parallel` schemas at a time. Workers are forked so they
    inherit the loaded app registry; the parent's connection is closed first so no worker
    shares its socket. A failure in any schema fails the whole run."""
    options = _migrate_options(verbosity)
    if parallel <= 1 or len(schemas) <= 1:
        for index, schema in enumerate(schemas):
            run_migrations((), options, "standard", schema, idx=index, count=len(schemas))
        return
    connections.close_all()
    context = multiprocessing.get_context("fork")
    work = partial(_migrate_one, options, len(schemas))
    with context.Pool(processes=min(parallel, len(schemas)), maxtasksperchild=50) as pool:
        pool.map(work, enumerate(schemas), chunksize=1)
        pool.close()
        pool.join()


def practice_schemas() -> list[str]:
    """The schema of every practice held in this database, oldest first. A practice moved to
    another database keeps its catalog row here (database_alias names where it went); that
    database's own migrate_platform migrates it."""
    connection.set_schema_to_public()
    model = get_tenant_model()
    practices = model.objects.exclude(schema_name=get_public_schema_name())
    if any(field.name == "database_alias" for field in model._meta.get_fields()):
        practices = practices.filter(database_alias=connection.alias)
    return list(practices.order_by("pk").values_list("schema_name", flat=True))


class Command(BaseCommand):
    help = "Migrate the public schema, the practice template and all practices."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--skip-practices", action="store_true",
                            help="Migrate only the public and template schemas.")
        parser.add_argument(
            "--parallel", type=int, metavar="N",
            default=getattr(settings, "TENANT_MULTIPROCESSING_MAX_PROCESSES", 1),
            help="Migrate up to N practice schemas at once (forked workers, each holding one "
                 "database connection). Default: TENANT_MULTIPROCESSING_MAX_PROCESSES or 1.",
        )
        parser.add_argument("--all", action="store_true", dest="migrate_all",
                            help="Run migrate in every schema, even those already up to date.")

    def handle(self, *args: Any, **options: Any) -> None:
        verbosity = options["verbosity"]
        parallel = options["parallel"]
        if parallel < 1:
            raise CommandError("--parallel must be 1 or more.")
        call_command("migrate_schemas", shared=True, interactive=False, verbosity=verbosity)
        template = settings.TENANT_BASE_SCHEMA
        connection.set_schema_to_public()
        if not schema_exists(template):
            with connection.cursor() as cursor:
                cursor.execute(f"CREATE SCHEMA {connection.ops.quote_name(template)}")
        leaves = leaf_migrations()
        if options["migrate_all"] or schemas_needing_migrations([template], leaves):
            migrate_schemas_in_parallel([template], parallel=1, verbosity=verbosity)
        if options["skip_practices"]:
            self.stdout.write(self.style.SUCCESS("Public and template schemas migrated."))
            return
        self.migrate_practices(leaves, parallel=parallel, verbosity=verbosity,
                               migrate_all=options["migrate_all"])

    def migrate_practices(self, leaves: set[tuple[str, str]], *, parallel: int,
                          verbosity: int, migrate_all: bool) -> None:
        schemas = practice_schemas()
        present = self.existing(schemas)
        pending = present if migrate_all else schemas_needing_migrations(present, leaves)
        migrate_schemas_in_parallel(pending, parallel=parallel, verbosity=verbosity)
        connection.set_schema_to_public()
        self.stdout.write(self.style.SUCCESS(
            f"Public, template and practice schemas migrated: {len(pending)} practice(s) "
            f"migrated, {len(present) - len(pending)} already up to date "
            f"(parallel {parallel})."
        ))

    def existing(self, schemas: Iterable[str]) -> list[str]:
        """Practices whose schema is gone (a deletion mid-way) are reported, never recreated by
        a migrate run in a schema that does not exist."""
        schemas = list(schemas)
        with connection.cursor() as cursor:
            cursor.execute("SELECT nspname FROM pg_catalog.pg_namespace WHERE nspname = ANY(%s)",
                           [schemas])
            found = {row[0] for row in cursor.fetchall()}
        for schema in schemas:
            if schema not in found:
                self.stderr.write(f"practice schema {schema} does not exist; skipped")
        return [schema for schema in schemas if schema in found]
