"""Export and import one practice while 1,000 other schemas share the database: pg_dump of one
schema locks only that schema's tables, so its cost and locks do not grow with the number of
practices. About 25 s here (creating and dropping the 1,000 schemas is most of it)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection

from tenants.models import Practice
from tests.backup.helpers import checksums, files, world_with_data

SCHEMAS = 1000
BATCH = 100  # schemas per transaction: each created table, index and sequence holds a lock

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("committed_db")]

_CREATE = """
DO $$
BEGIN
  FOR i IN %(first)s..%(last)s LOOP
    EXECUTE format(
      'CREATE SCHEMA bulk_%%1$s;'
      'CREATE TABLE bulk_%%1$s.accounts_user (id bigserial PRIMARY KEY, email text UNIQUE);'
      'CREATE TABLE bulk_%%1$s.audit_event (id bigserial PRIMARY KEY, action text,'
      '  user_id bigint REFERENCES bulk_%%1$s.accounts_user);'
      'CREATE TABLE bulk_%%1$s.practice_response (id bigserial PRIMARY KEY, total numeric);'
      'INSERT INTO bulk_%%1$s.accounts_user (email) VALUES (''someone@example.org'');',
      lpad(i::text, 4, '0'));
  END LOOP;
END $$;
"""


def _bulk_schemas() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_namespace WHERE nspname LIKE 'bulk\\_%%'")
        return int(cursor.fetchone()[0])


@pytest.fixture
def thousand_schemas() -> Iterator[None]:
    with connection.cursor() as cursor:
        for first in range(1, SCHEMAS + 1, BATCH):
            cursor.execute(_CREATE % {"first": first, "last": first + BATCH - 1})
    yield
    with connection.cursor() as cursor:
        for first in range(1, SCHEMAS + 1, BATCH):
            names = ", ".join(f"bulk_{number:04d}" for number in range(first, first + BATCH))
            cursor.execute(f"DROP SCHEMA IF EXISTS {names} CASCADE")
    assert _bulk_schemas() == 0


def test_export_and_import_with_a_thousand_schemas(thousand_schemas: None, media_root: Path,
                                                   tmp_path: Path, capsys: Any) -> None:
    assert _bulk_schemas() == SCHEMAS
    world = world_with_data("crowded", "Crowded Practice")
    archive = tmp_path / "crowded.tar.gz"

    started = time.monotonic()
    call_command("export_practice", "crowded", output=archive, verbosity=0)
    exported = time.monotonic()
    call_command("import_practice", str(archive), subdomain="crowded-copy", verbosity=0)
    imported = time.monotonic()

    copy = Practice.objects.get(subdomain="crowded-copy")
    assert checksums(copy.schema_name) == checksums(world.practice.schema_name)
    assert files(copy.schema_name) == files(world.practice.schema_name)
    assert _bulk_schemas() == SCHEMAS
    with capsys.disabled():
        print(f"\n1,000 schemas present: export {exported - started:.2f} s, "
              f"import {imported - exported:.2f} s")
    assert exported - started < 10
    assert imported - exported < 10
