"""Migrate everything a deployment needs: the public schema, the practice template schema
(not a tenant, so `migrate_schemas` would skip it) and every practice schema."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import connection
from django_tenants.utils import schema_exists


class Command(BaseCommand):
    help = "Migrate the public schema, the practice template and all practices."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--skip-practices", action="store_true",
                            help="Migrate only the public and template schemas.")

    def handle(self, *args: Any, **options: Any) -> None:
        verbosity = options["verbosity"]
        call_command("migrate_schemas", shared=True, interactive=False, verbosity=verbosity)
        template = settings.TENANT_BASE_SCHEMA
        connection.set_schema_to_public()
        if not schema_exists(template):
            with connection.cursor() as cursor:
                cursor.execute(f"CREATE SCHEMA {connection.ops.quote_name(template)}")
        call_command("migrate_schemas", schema_name=template, interactive=False,
                     verbosity=verbosity)
        if not options["skip_practices"]:
            call_command("migrate_schemas", tenant=True, interactive=False, verbosity=verbosity)
        self.stdout.write(self.style.SUCCESS("Public, template and practice schemas migrated."))
