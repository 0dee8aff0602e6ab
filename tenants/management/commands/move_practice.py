"""Move one practice to another database: export here, import there, verify, switch."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from tenants.backup import BackupError, practice_move


class Command(BaseCommand):
    help = "Move a practice to another database (an EXTRA_DATABASE_URLS alias or a URL)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("subdomain")
        parser.add_argument("--to", required=True,
                            help="An alias from EXTRA_DATABASE_URLS, or a postgres:// URL.")
        parser.add_argument("--keep-source", action="store_true",
                            help="Keep the schema and files here after the move.")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            result = practice_move(subdomain=options["subdomain"], to=options["to"],
                                   keep_source=options["keep_source"])
        except BackupError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(self.style.SUCCESS(
            f"Moved {options['subdomain']} to {result['alias']} ({result['schema']}): "
            f"{result['tables']} tables and {result['files']} files verified there."))
