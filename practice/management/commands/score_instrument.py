import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django_tenants.utils import schema_context

from practice.measurement.definitions import SEXES, DefinitionError
from practice.measurement.library import UnknownInstrument, get_definition
from practice.measurement.scoring import (
    IncompleteResponse,
    InvalidAnswers,
    answers_from_positions,
    score,
)
from practice.measurement.selectors import instrument_definition_for_preview
from tenants.selectors import practice_by_subdomain


class Command(BaseCommand):
    help = ("Score sample answers with an instrument and print the result as JSON. Answers "
            "are the 0-based positions of the chosen options, comma-separated, '-' for a "
            "skipped item, e.g. score_instrument phq9 1,2,0,3,1,0,0,2,-. A practice-defined "
            "instrument (draft or published) needs --practice SUBDOMAIN.")

    def run_from_argv(self, argv: list[str]) -> None:
        # Answers may begin with a skipped item ("-,1,2"), which argparse would take for an
        # option; a leading space keeps them positional. (From call_command, put "--" first.)
        super().run_from_argv([f" {arg}" if arg.startswith("-,") else arg for arg in argv])

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("key", help="instrument key, e.g. phq9")
        parser.add_argument("answers", help="comma-separated option positions, '-' if skipped")
        parser.add_argument("--sex", choices=SEXES, help="for sex-specific cut-offs (AUDIT-C)")
        parser.add_argument("--practice", metavar="SUBDOMAIN",
                            help="the practice whose own instruments to look in")
        parser.add_argument("--definition-version", type=int, dest="definition_version",
                            help="a pinned definition version")

    def handle(self, *args: Any, **options: Any) -> None:
        definition = self._definition(options["key"].strip(), options["practice"],
                                      options["definition_version"])
        try:
            positions = [None if part.strip() == "-" else int(part)
                         for part in options["answers"].split(",")]
        except ValueError as error:
            raise CommandError("answers must be whole numbers or '-', comma-separated") from error
        try:
            answers = answers_from_positions(definition, positions)
            result = score(definition, answers, sex=options["sex"])
        except InvalidAnswers as error:
            raise CommandError(str(error)) from error
        except IncompleteResponse as incomplete:
            # The flags of an unscorable response still matter: print them before failing.
            self.stdout.write(json.dumps(incomplete.to_dict(), indent=2, ensure_ascii=False))
            raise CommandError(str(incomplete)) from incomplete
        self.stdout.write(json.dumps(result.to_dict(), indent=2, ensure_ascii=False))

    @staticmethod
    def _definition(key: str, subdomain: str | None, version: int | None) -> Any:
        if subdomain is None:
            try:
                return get_definition(key, version)
            except UnknownInstrument as error:
                raise CommandError(f"{error}; a practice-defined instrument needs "
                                   "--practice SUBDOMAIN") from error
        practice = practice_by_subdomain(subdomain)
        if practice is None:
            raise CommandError(f"no practice with the subdomain {subdomain!r}")
        with schema_context(practice.schema_name):
            try:
                return instrument_definition_for_preview(key, version)
            except UnknownInstrument as error:
                raise CommandError(str(error)) from error
            except DefinitionError as error:
                raise CommandError("; ".join(error.messages)) from error
