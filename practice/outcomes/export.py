"""The whole-practice archive: one zip with a CSV per kind of record (every table of the practice's
schema, found from the installed models so a new app is covered without naming it here), a data
dictionary, a FHIR R4 Bundle per client (the existing per-client export) and the practice's
stored files. Built into a temporary file private to the worker, then saved into the practice's
own storage; nothing is written to a shared place.

Left out on purpose, and said so in the README inside: secrets (password hashes, one-time-code
devices, token hashes), sessions and lockouts, Django's own bookkeeping tables, and earlier
exports."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import IO, Any

from django.apps import apps
from django.conf import settings
from django.core.files.storage import default_storage
from django.db import models

from practice.disclosure.selectors import PART2_TABLES, is_part2_program, part2_records
from practice.measurement.fhir import client_results_bundle
from tenants.accounts.models import Role, User

EXPORTS_DIR = "exports/"
LEFT_OUT_APPS = frozenset({"contenttypes", "sessions", "axes", "otp_totp", "otp_static",
                           "auth", "django_otp"})
LEFT_OUT_MODELS = frozenset({"outcomes.practiceexport"})
SECRET_WORDS = ("password", "token", "secret", "otp", "key_hash", "recovery", "p256dh")
SECRET_NAMES = frozenset({"auth", "endpoint"})  # a push subscription's keys
Progress = Callable[[int, str], None]


@dataclass(frozen=True)
class Kind:
    """One kind of record: its model, file name and exported columns."""

    model: type[models.Model]
    filename: str
    columns: list[models.Field]


def _is_secret(field: models.Field) -> bool:
    name = field.name.lower()
    return name in SECRET_NAMES or any(word in name for word in SECRET_WORDS)


def record_kinds() -> list[Kind]:
    """Every model whose table lives in a practice's schema, minus what is left out."""
    kinds = []
    tenant_apps = set(settings.TENANT_APPS)
    for config in apps.get_app_configs():
        if config.name not in tenant_apps or config.label in LEFT_OUT_APPS:
            continue
        for model in config.get_models(include_auto_created=True):
            meta = model._meta
            if meta.proxy or not meta.managed or meta.label_lower in LEFT_OUT_MODELS:
                continue
            columns = [field for field in meta.concrete_fields if not _is_secret(field)]
            kinds.append(Kind(model=model, filename=f"records/{meta.db_table}.csv",
                              columns=columns))
    return sorted(kinds, key=lambda kind: kind.filename)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return f"{value:f}"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _rows_csv(kind: Kind) -> tuple[bytes, int]:
    out = io.StringIO()
    writer = csv.writer(out)
    names = [field.attname for field in kind.columns]
    writer.writerow(names)
    count = 0
    for row in kind.model._default_manager.order_by("pk").values_list(*names).iterator(
            chunk_size=2000):
        writer.writerow([_cell(value) for value in row])
        count += 1
    return out.getvalue().encode("utf-8"), count


def data_dictionary(kinds: list[Kind], part2_tables: frozenset[str] = frozenset()) -> bytes:
    """Every column; `part_2` says "some" for a table that holds 42 CFR Part 2 records (which
    rows: part2-records.csv), "none" otherwise."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["file", "record_kind", "column", "type", "meaning", "part_2"])
    for kind in kinds:
        meta = kind.model._meta
        part2 = "some" if meta.db_table in part2_tables else "none"
        for field in kind.columns:
            meaning = str(field.help_text or field.verbose_name)
            if field.is_relation and field.related_model is not None:
                meaning += f" (id in records/{field.related_model._meta.db_table}.csv)"
            choices = getattr(field, "choices", None)
            if choices:
                meaning += "; one of: " + ", ".join(str(key) for key, _ in choices)
            writer.writerow([kind.filename, str(meta.verbose_name), field.attname,
                             field.get_internal_type(), meaning, part2])
    return out.getvalue().encode("utf-8")


README = """Whole-practice export of {practice}
Generated {generated} for {requested_by}.

records/             one CSV per kind of record (a table of the practice's database), UTF-8,
                     first row the column names; JSON values are written as JSON text.
data-dictionary.csv  every column of every CSV: its type and meaning, and which file an id
                     points into.
fhir/client-<id>.json  each client's questionnaires, answers and scores as a FHIR R4 Bundle.
files/               the practice's stored files (documents, resources, logos), by storage path.
counts.json          rows per file, to check the archive is complete.
part2-records.csv    (a 42 CFR Part 2 program only) every Part 2 record: its file and id. The
                     data dictionary's part_2 column says which files hold some. 42 CFR part 2
                     prohibits unauthorized use or disclosure of these records.

Left out on purpose: password hashes, one-time-code devices and other secrets, sessions and
sign-in lockouts, Django's own bookkeeping tables, and earlier exports.
Confidential health information: keep it as safely as the practice's records themselves.
"""


def part2_record_rows(clients: list[User]) -> list[tuple[str, int, int]]:
    """(table, id, client id) of every 42 CFR Part 2 record (none unless the practice is a
    Part 2 program: practice.disclosure.selectors.part2_records)."""
    if not is_part2_program():
        return []
    rows = []
    for client in clients:
        for kind, object_id in sorted(part2_records(client)):
            rows.append((PART2_TABLES[kind]._meta.db_table, object_id, client.pk))
    return sorted(rows)


def _part2_csv(rows: list[tuple[str, int, int]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["file", "id", "client_id"])
    for table, object_id, client_id in rows:
        writer.writerow([f"records/{table}.csv", object_id, client_id])
    return out.getvalue().encode("utf-8")


def _practice_files() -> Iterator[str]:
    def walk(directory: str) -> Iterator[str]:
        directories, files = default_storage.listdir(directory)
        for name in sorted(files):
            yield f"{directory}{name}"
        for name in sorted(directories):
            path = f"{directory}{name}/"
            if path != EXPORTS_DIR:
                yield from walk(path)

    try:
        yield from walk("")
    except FileNotFoundError:  # no file stored yet
        return


def write_archive(target: IO[bytes], *, practice_name: str, base_url: str,
                  requested_by: str, now: datetime, progress: Progress) -> dict[str, int]:
    """Write the archive into ``target``; return the rows per file (and files and bundles)."""
    kinds = record_kinds()
    counts: dict[str, int] = {}
    clients = list(User.objects.filter(role=Role.CLIENT).order_by("pk"))
    paths = list(_practice_files())
    steps = len(kinds) + len(clients) + len(paths) + 1
    done = 0

    def advance(step: str) -> None:
        nonlocal done
        done += 1
        progress(min(99, done * 100 // steps), step)

    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for kind in kinds:
            data, count = _rows_csv(kind)
            archive.writestr(kind.filename, data)
            counts[kind.filename] = count
            advance("Writing records")
        part2 = part2_record_rows(clients)
        archive.writestr("data-dictionary.csv", data_dictionary(
            kinds, frozenset(table for table, _id, _client in part2)))
        if part2:
            archive.writestr("part2-records.csv", _part2_csv(part2))
            counts["part2-records.csv"] = len(part2)
        for client in clients:
            archive.writestr(f"fhir/client-{client.pk}.json",
                             client_results_bundle(client=client, base_url=base_url, now=now,
                                                   validate=False))
            advance("Writing FHIR bundles")
        counts["fhir"] = len(clients)
        for path in paths:
            with default_storage.open(path, "rb") as stream, \
                    archive.open(f"files/{path}", "w", force_zip64=True) as member:
                for chunk in iter(lambda: stream.read(1024 * 1024), b""):  # noqa: B023
                    member.write(chunk)
            advance("Copying files")
        counts["files"] = len(paths)
        archive.writestr("counts.json", json.dumps(counts, indent=2, sort_keys=True))
        archive.writestr("README.txt", README.format(
            practice=practice_name, generated=now.isoformat(), requested_by=requested_by))
    progress(100, "Done")
    return counts
