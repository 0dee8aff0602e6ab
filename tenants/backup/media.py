"""A practice's stored files, through the default storage inside the practice's schema context
(tenant-aware storages keep each practice under its own prefix, e.g. MEDIA_ROOT/<schema>/)."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from typing import IO

from django.core.files import File
from django.core.files.storage import default_storage
from django_tenants.utils import schema_context

from tenants.backup.postgres import BackupError

CHUNK = 1024 * 1024


def _walk(directory: str = "") -> Iterator[str]:
    directories, files = default_storage.listdir(directory)
    for name in sorted(files):
        yield f"{directory}{name}"
    for name in sorted(directories):
        yield from _walk(f"{directory}{name}/")


def sha256_of(stream: IO[bytes]) -> str:
    digest = hashlib.sha256()
    for chunk in iter(lambda: stream.read(CHUNK), b""):
        digest.update(chunk)
    return digest.hexdigest()


def practice_files(schema: str) -> list[tuple[str, int, str]]:
    """(path, size, sha256) of every file the practice has stored."""
    found = []
    with schema_context(schema):
        for path in _walk():
            with default_storage.open(path, "rb") as stream:
                found.append((path, default_storage.size(path), sha256_of(stream)))
    return found


def open_file(schema: str, path: str) -> IO[bytes]:
    with schema_context(schema):
        return default_storage.open(path, "rb")


def restore_file(schema: str, path: str, stream: IO[bytes], sha256: str) -> None:
    """Store one file under the practice; refuse to overwrite, and check what was stored."""
    with schema_context(schema):
        if default_storage.exists(path):
            raise BackupError(f"A file already exists at {path} for schema {schema}.")
        stored = default_storage.save(path, File(stream, name=path))
        if stored != path:
            default_storage.delete(stored)
            raise BackupError(f"The storage renamed {path} to {stored}.")
        with default_storage.open(path, "rb") as written:
            matches = sha256_of(written) == sha256
        if not matches:
            default_storage.delete(path)
            raise BackupError(f"The file {path} does not match its checksum.")


def delete_files(schema: str, paths: list[str]) -> None:
    with schema_context(schema):
        for path in paths:
            default_storage.delete(path)


def delete_all_files(schema: str) -> int:
    with schema_context(schema):
        paths = list(_walk())
        for path in paths:
            default_storage.delete(path)
        try:
            root = default_storage.path("")
        except NotImplementedError:  # object stores have no folders to leave behind
            return len(paths)
    for directory, _subdirectories, names in sorted(os.walk(root), reverse=True):
        if not names and not os.listdir(directory):
            os.rmdir(directory)
    return len(paths)
