"""Export one practice to an archive, import an archive (same or new subdomain, always a new
schema), and move a practice to another database (export here, import there, switch the
catalog). Import is all or nothing: the schema, public rows and files appear together, after
every table and file has been checked against the manifest, or not at all."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import DatabaseError, models, transaction
from django.utils import timezone

from tenants.actor import Actor
from tenants.audit.actions import Action
from tenants.audit.services import audit_record
from tenants.backup import media
from tenants.backup.archive import (
    FILES,
    MANIFEST,
    PUBLIC_ROWS,
    SCHEMA_DUMP,
    ArchiveReader,
    ArchiveWriter,
    Manifest,
    migration_leaves,
    safe_member_path,
    version_difference,
)
from tenants.backup.postgres import (
    BackupError,
    ServerAddress,
    client_tool,
    quote_ident,
    replay_restore_script,
    restore_script_lines,
    run_tool,
    server_major,
    table_checksums,
)
from tenants.backup.rows import clashes_here, export_rows, import_rows
from tenants.db import connection
from tenants.models import LOCAL_DATABASE, Domain, Practice, PracticeState
from tenants.selectors import practice_host, subdomain_is_taken
from tenants.subdomains import subdomain_problem


@dataclass(frozen=True)
class ImportResult:
    practice: Practice
    manifest: Manifest
    tables: dict[str, dict[str, Any]]
    files: list[str] = field(default_factory=list)
    # Public rows not recreated: {model label: count} (see rows.clashes_here and old domains).
    left_out: dict[str, int] = field(default_factory=dict)


def _practice(subdomain: str) -> Practice:
    practice = Practice.objects.filter(subdomain=subdomain).first()
    if practice is None:
        raise BackupError(f"No practice has the subdomain {subdomain!r} here.")
    return practice


# --- export ----------------------------------------------------------------------------------

def _dump_schema(schema: str, dump_path: Path) -> tuple[dict[str, dict[str, Any]], str]:
    """pg_dump the schema and checksum its tables from one snapshot, so both describe the same
    moment even while the practice is in use."""
    address = ServerAddress.from_connection(connection)
    with address.connect(autocommit=True) as conn:
        pg_dump = client_tool("pg_dump", server_major(conn))
        conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        row = conn.execute("SELECT pg_export_snapshot(), current_setting('server_version')")
        snapshot, version = row.fetchone()  # type: ignore[misc]  # a SELECT of values: one row
        with conn.cursor() as cursor:
            tables = table_checksums(cursor, schema)
        run_tool([str(pg_dump), "--format=custom", f"--schema={quote_ident(schema)}",
                  f"--snapshot={snapshot}", "--no-owner", "--no-privileges",
                  f"--file={dump_path}"], address, "pg_dump")
        conn.execute("COMMIT")
    if not tables:
        raise BackupError(f"The schema {schema} has no tables.")
    return tables, str(version)


def practice_export(*, subdomain: str, output: Path | None = None,
                    actor: Actor = Actor.SYSTEM, _state: str | None = None) -> Manifest:
    """Write the practice's schema, public rows and files to a tar.gz at `output`."""
    practice = _practice(subdomain)
    if practice.state == PracticeState.MOVED and _state is None:
        raise BackupError(f"{subdomain} has moved to the database {practice.database_alias!r}; "
                          "export it there.")
    output = output or Path(f"{subdomain}-{timezone.now():%Y%m%dT%H%M%SZ}.tar.gz")
    output.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="tandem-export-") as work:
        dump_path = Path(work) / SCHEMA_DUMP
        tables, version = _dump_schema(practice.schema_name, dump_path)
        rows, row_counts = export_rows(practice)
        files = media.practice_files(practice.schema_name)
        manifest = Manifest(
            schema=practice.schema_name, subdomain=practice.subdomain,
            practice_name=practice.name, practice_state=_state or practice.state,
            created_at=timezone.now().isoformat(), server_version=version,
            migrations=migration_leaves(), tables=tables,
            files={path: {"bytes": size, "sha256": digest} for path, size, digest in files},
            public_rows=row_counts)
        partial = output.with_name(output.name + ".partial")
        writer = ArchiveWriter(partial)
        try:
            writer.add_bytes(MANIFEST, manifest.to_json())
            writer.add_bytes(PUBLIC_ROWS, rows)
            with dump_path.open("rb") as dump:
                writer.add_stream(SCHEMA_DUMP, dump, dump_path.stat().st_size)
            for path, size, _digest in files:
                with media.open_file(practice.schema_name, path) as stream:
                    writer.add_stream(FILES + path, stream, size)
            writer.close()
        except BaseException:
            writer.close()
            partial.unlink(missing_ok=True)
            raise
        partial.replace(output)
    audit_record(action=Action.PRACTICE_EXPORTED, actor=actor.user,
                 actor_role=None if actor.user else "system", object_type="practice",
                 object_id=practice.pk,
                 detail={"tables": len(tables), "files": len(files)})
    return manifest


# --- import ----------------------------------------------------------------------------------

def _check_importable(manifest: Manifest, subdomain: str) -> None:
    differences = version_difference(manifest.migrations, migration_leaves())
    if differences:
        raise BackupError(
            "This archive was made by a different version of Tandem (migrations differ: "
            + "; ".join(differences) + "). Import it on a deployment of the same version.")
    problem = subdomain_problem(subdomain)
    if problem:
        raise BackupError(f"{subdomain!r}: {problem}")
    if subdomain_is_taken(subdomain):
        raise BackupError(f"The subdomain {subdomain!r} is already taken here. Choose another "
                          "with --subdomain, or remove the practice that holds it first.")


def _restore_schema(reader: ArchiveReader, source: str, target: str) -> None:
    """Replay the dump under the new schema name, in the caller's transaction."""
    pg_restore = client_tool("pg_restore", server_major(connection))
    with tempfile.TemporaryDirectory(prefix="tandem-import-") as work:
        dump_path = Path(work) / SCHEMA_DUMP
        with dump_path.open("wb") as dump:
            shutil.copyfileobj(reader.open(SCHEMA_DUMP), dump)
        connection.set_schema_to_public()
        with connection.cursor() as cursor:
            replay_restore_script(restore_script_lines(pg_restore, dump_path), source, target,
                                  cursor)
    # The script set search_path for the rest of the transaction: have django-tenants set it
    # again before the next query.
    connection.search_path_set_schemas = None


def _mismatches(expected: dict[str, dict[str, Any]],
                found: dict[str, dict[str, Any]]) -> list[str]:
    problems = [f"table {name} is missing" for name in sorted(set(expected) - set(found))]
    problems += [f"table {name} is not in the archive"
                 for name in sorted(set(found) - set(expected))]
    for name in sorted(set(expected) & set(found)):
        if expected[name] != found[name]:
            problems.append(f"table {name}: archive {expected[name]}, restored {found[name]}")
    return problems


def practice_import(*, archive: Path, subdomain: str | None = None,
                    actor: Actor = Actor.SYSTEM) -> ImportResult:
    """Restore an archive as a new practice (new schema, new ids in the public schema)."""
    reader = ArchiveReader(archive)
    try:
        manifest = Manifest.from_json(reader.read(MANIFEST))
        subdomain = subdomain or manifest.subdomain
        _check_importable(manifest, subdomain)
        schema = f"p_{uuid.uuid4().hex[:20]}"
        written: list[str] = []
        try:
            with transaction.atomic():
                result = _import_in_transaction(reader, manifest, subdomain, schema, written,
                                                actor.user)
        except BaseException as error:
            media.delete_files(schema, written)
            if isinstance(error, DatabaseError):
                raise BackupError(f"The import was rolled back: {error}") from error
            raise
        return result
    finally:
        reader.close()
        connection.set_schema_to_public()


def _import_in_transaction(reader: ArchiveReader, manifest: Manifest, subdomain: str,
                           schema: str, written: list[str],
                           acting_user: Any | None) -> ImportResult:
    _restore_schema(reader, manifest.schema, schema)
    left_out: dict[str, int] = {}

    def adapt(obj: models.Model, original_pk: Any) -> bool:
        if isinstance(obj, Practice):
            obj.schema_name, obj.subdomain = schema, subdomain
            obj.state = manifest.practice_state
            obj.database_alias, obj.moved_at = LOCAL_DATABASE, None
        elif isinstance(obj, Domain):
            if obj.is_primary:
                obj.domain, obj.redirect_until = practice_host(subdomain), None
            elif (subdomain != manifest.subdomain
                  or not obj.domain.endswith("." + settings.PLATFORM_DOMAIN)
                  or Domain.objects.filter(domain=obj.domain).exists()):
                left_out[obj._meta.label] = left_out.get(obj._meta.label, 0) + 1
                return False  # an old name's redirect only travels with its own subdomain
        elif clashes_here(obj):
            left_out[obj._meta.label] = left_out.get(obj._meta.label, 0) + 1
            return False
        return True

    practice, counts = import_rows(reader.read(PUBLIC_ROWS), adapt)
    for label, expected in manifest.public_rows.items():
        if counts.get(label, 0) + left_out.get(label, 0) != expected:
            raise BackupError(f"{label}: {expected} rows in the archive, "
                              f"{counts.get(label, 0)} restored.")
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        tables = table_checksums(cursor, schema)
    problems = _mismatches(manifest.tables, tables)
    if problems:
        raise BackupError("The restored schema does not match the archive: "
                          + "; ".join(problems))
    for path, described in sorted(manifest.files.items()):
        safe_member_path(path)
        if not reader.has(FILES + path):
            raise BackupError(f"The archive lacks the file {path}.")
        media.restore_file(schema, path, reader.open(FILES + path), described["sha256"])
        written.append(path)
    audit_record(action=Action.PRACTICE_IMPORTED, actor=acting_user,
                 actor_role=None if acting_user else "system", object_type="practice",
                 object_id=practice.pk,
                 detail={"from_schema": manifest.schema, "from_subdomain": manifest.subdomain,
                         "tables": len(tables), "files": len(written)})
    return ImportResult(practice=practice, manifest=manifest, tables=tables, files=written,
                        left_out=left_out)


# --- move ------------------------------------------------------------------------------------

def database_url_for(target: str) -> tuple[str, str]:
    """(alias, URL) for `--to`: an alias from EXTRA_DATABASE_URLS, or a postgres:// URL (whose
    database name becomes the alias)."""
    configured = dict(getattr(settings, "EXTRA_DATABASE_URLS", {}) or {})
    if target in configured:
        return target, configured[target]
    if "://" in target:
        from urllib.parse import urlsplit

        name = urlsplit(target).path.lstrip("/") or "postgres"
        return name, target
    known = ", ".join(sorted(configured)) or "none configured"
    raise BackupError(f"Unknown database {target!r} (aliases: {known}; or pass a URL).")


def _run_manage(args: list[str], database_url: str) -> str:
    # (Under override_settings, settings.SETTINGS_MODULE is None: the environment has it.)
    module = os.environ.get("DJANGO_SETTINGS_MODULE") or settings.SETTINGS_MODULE
    environment = {**os.environ, "DATABASE_URL": database_url, "DJANGO_SETTINGS_MODULE": module,
                   "MEDIA_ROOT": str(settings.MEDIA_ROOT)}
    completed = subprocess.run([sys.executable, str(Path(settings.BASE_DIR) / "manage.py"),
                                *args], env=environment, cwd=settings.BASE_DIR,
                               capture_output=True, text=True, check=False)
    if completed.returncode != 0:
        raise BackupError(f"manage.py {args[0]} on the target failed: "
                          + (completed.stderr or completed.stdout).strip()[-2000:])
    return completed.stdout


def _same_database(url: str) -> bool:
    import environ

    target = ServerAddress.from_settings(environ.Env.db_url_config(url))
    here = ServerAddress.from_connection(connection)
    return (target.name, target.host, target.port) == (here.name, here.host, here.port)


def practice_move(*, subdomain: str, to: str, keep_source: bool = False,
                  actor: Actor = Actor.SYSTEM) -> dict[str, Any]:
    """Freeze the practice here, export it, migrate and import into the target database, then
    record where it went (and drop the schema and files here unless `keep_source`)."""
    alias, url = database_url_for(to)
    if _same_database(url):
        raise BackupError("The target is the database this practice is already in.")
    practice = _practice(subdomain)
    if practice.state == PracticeState.MOVED:
        raise BackupError(f"{subdomain} has already moved to {practice.database_alias!r}.")
    previous_state, schema = practice.state, practice.schema_name
    # Frozen for the move: its pages answer "temporarily unavailable" and no job is sent to it.
    Practice.objects.filter(pk=practice.pk).update(state=PracticeState.MOVED)
    try:
        with tempfile.TemporaryDirectory(prefix="tandem-move-") as work:
            archive = Path(work) / f"{subdomain}.tar.gz"
            manifest = practice_export(subdomain=subdomain, output=archive,
                                       actor=actor, _state=previous_state)
            _run_manage(["migrate_platform", "--verbosity=0"], url)
            report = _run_manage(["import_practice", str(archive), "--json"], url)
    except BaseException:
        Practice.objects.filter(pk=practice.pk).update(state=previous_state)
        raise
    imported = json.loads(report.strip().splitlines()[-1])
    with transaction.atomic():
        now = timezone.now()
        Practice.objects.filter(pk=practice.pk).update(
            database_alias=alias, moved_at=now, state_changed_at=now)
        if not keep_source:
            with connection.cursor() as cursor:
                cursor.execute(f"DROP SCHEMA IF EXISTS {quote_ident(schema)} CASCADE")
        audit_record(action=Action.PRACTICE_MOVED, actor=actor.user,
                     actor_role=None if actor.user else "system", object_type="practice",
                     object_id=practice.pk,
                     detail={"to": alias, "tables": len(manifest.tables),
                             "files": len(manifest.files), "source_kept": keep_source})
    if not keep_source:
        media.delete_all_files(schema)
    return {"alias": alias, "schema": imported["schema"], "tables": len(manifest.tables),
            "files": len(manifest.files)}
