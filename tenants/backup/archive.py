"""The archive of one practice: a tar.gz holding manifest.json, schema.dump (pg_dump custom
format of the practice's schema), public.json (its rows in the public schema) and files/ (its
stored files). The manifest pins the code version (the migration leaves of every app) and what
a restore must reproduce: every table's row count and checksum, every file's SHA-256."""

from __future__ import annotations

import io
import json
import tarfile
from dataclasses import asdict, dataclass, field
from pathlib import Path, PurePosixPath
from typing import IO, Any

from django.db.migrations.loader import MigrationLoader

from tenants.backup.postgres import BackupError

FORMAT = 1
MANIFEST = "manifest.json"
SCHEMA_DUMP = "schema.dump"
PUBLIC_ROWS = "public.json"
FILES = "files/"


def migration_leaves() -> dict[str, list[str]]:
    """The code's version as the database sees it: each app's leaf migration(s)."""
    loader = MigrationLoader(None, ignore_no_migrations=True)
    leaves: dict[str, list[str]] = {}
    for app, name in loader.graph.leaf_nodes():
        leaves.setdefault(app, []).append(name)
    return {app: sorted(names) for app, names in sorted(leaves.items())}


def version_difference(theirs: dict[str, list[str]], ours: dict[str, list[str]]) -> list[str]:
    """Human-readable differences between an archive's migration leaves and this code's."""
    problems = []
    for app in sorted(set(theirs) | set(ours)):
        if theirs.get(app) != ours.get(app):
            problems.append(f"{app}: archive {', '.join(theirs.get(app, [])) or '(none)'}, "
                            f"here {', '.join(ours.get(app, [])) or '(none)'}")
    return problems


@dataclass
class Manifest:
    schema: str
    subdomain: str
    practice_name: str
    practice_state: str
    created_at: str
    server_version: str
    migrations: dict[str, list[str]]
    tables: dict[str, dict[str, Any]]
    files: dict[str, dict[str, Any]] = field(default_factory=dict)
    public_rows: dict[str, int] = field(default_factory=dict)
    format: int = FORMAT

    def to_json(self) -> bytes:
        return json.dumps(asdict(self), indent=2, sort_keys=True).encode()

    @classmethod
    def from_json(cls, data: bytes) -> Manifest:
        values = json.loads(data)
        if values.get("format") != FORMAT:
            raise BackupError(f"This archive has format {values.get('format')!r}; this version "
                              f"reads format {FORMAT}.")
        return cls(**values)


def safe_member_path(name: str) -> str:
    """A stored file's path from the archive, refused if it could escape the practice's
    folder."""
    path = PurePosixPath(name)
    if path.is_absolute() or ".." in path.parts or not path.parts or name != path.as_posix():
        raise BackupError(f"The archive holds an unsafe file path: {name!r}.")
    return name


class ArchiveWriter:
    def __init__(self, path: Path) -> None:
        self.tar = tarfile.open(path, "w:gz")  # noqa: SIM115 - closed by close()

    def add_bytes(self, name: str, data: bytes) -> None:
        self.add_stream(name, io.BytesIO(data), len(data))

    def add_stream(self, name: str, stream: IO[bytes], size: int) -> None:
        info = tarfile.TarInfo(name)
        info.size = size
        info.mode = 0o600
        self.tar.addfile(info, stream)

    def close(self) -> None:
        self.tar.close()


class ArchiveReader:
    def __init__(self, path: Path) -> None:
        if not path.is_file():
            raise BackupError(f"No archive at {path}.")
        try:
            self.tar = tarfile.open(path, "r:gz")  # noqa: SIM115 - closed by close()
        except (tarfile.TarError, OSError) as error:
            raise BackupError(f"{path} is not a practice archive: {error}") from error
        self.members = {member.name: member for member in self.tar.getmembers()
                        if member.isfile()}
        for required in (MANIFEST, SCHEMA_DUMP, PUBLIC_ROWS):
            if required not in self.members:
                raise BackupError(f"{path} is not a practice archive (no {required}).")

    def read(self, name: str) -> bytes:
        return self.open(name).read()

    def open(self, name: str) -> IO[bytes]:
        stream = self.tar.extractfile(self.members[name])
        if stream is None:
            raise BackupError(f"The archive's {name} cannot be read.")
        return stream

    def has(self, name: str) -> bool:
        return name in self.members

    def close(self) -> None:
        self.tar.close()
