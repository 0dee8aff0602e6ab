"""Write one practice (schema, public rows, files, manifest) to a tar.gz archive."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from tenants.backup import BackupError, practice_export


class Command(BaseCommand):
    help = "Export one practice's schema, rows and files to an archive."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("subdomain")
        parser.add_argument("--output", type=Path,
                            help="Archive path (default: <subdomain>-<time>.tar.gz here).")

    def handle(self, *args: Any, **options: Any) -> None:
        output = options["output"]
        try:
            manifest = practice_export(subdomain=options["subdomain"], output=output)
        except BackupError as error:
            raise CommandError(str(error)) from error
        rows = sum(table["rows"] for table in manifest.tables.values())
        self.stdout.write(self.style.SUCCESS(
            f"Exported {manifest.subdomain} ({manifest.schema}): {len(manifest.tables)} tables, "
            f"{rows} rows, {len(manifest.files)} files."))
