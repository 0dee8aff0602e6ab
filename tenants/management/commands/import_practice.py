"""Restore a practice archive as a new practice on this deployment (same version only)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from tenants.backup import BackupError, practice_import


class Command(BaseCommand):
    help = "Import a practice archive under its own or a new subdomain; verified, all or nothing."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("archive", type=Path)
        parser.add_argument("--subdomain", help="Import under this subdomain instead.")
        parser.add_argument("--json", action="store_true",
                            help="Print the result as one JSON line (for move_practice).")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            result = practice_import(archive=options["archive"],
                                     subdomain=options["subdomain"])
        except BackupError as error:
            raise CommandError(str(error)) from error
        practice = result.practice
        if options["json"]:
            self.stdout.write(json.dumps({"subdomain": practice.subdomain,
                                          "schema": practice.schema_name,
                                          "tables": len(result.tables),
                                          "files": len(result.files)}))
            return
        self.stdout.write(self.style.SUCCESS(
            f"Imported {result.manifest.subdomain} as {practice.subdomain} "
            f"({practice.schema_name}): {len(result.tables)} tables and {len(result.files)} "
            "files match the archive."))
        for label, count in sorted(result.left_out.items()):
            self.stdout.write(f"Left out {count} {label} row(s) whose values are already taken "
                              "here (or an old subdomain's redirect).")
