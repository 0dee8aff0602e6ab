"""Moving a practice to a second database on the same server: export here, migrate and import
there, verify, then the catalog row here says where it went and the old schema and files are
gone. The second database is created by the test and dropped after it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import Client

from tenants.audit.models import AuditEvent
from tenants.backup.postgres import ServerAddress, quote_ident, table_checksums
from tenants.models import Practice, PracticeState
from tests.backup.helpers import checksums, files, schema_exists, world_with_data

pytestmark = pytest.mark.usefixtures("committed_db")


@pytest.fixture
def second_database() -> Iterator[ServerAddress]:
    here = ServerAddress.from_connection(connection)
    target = ServerAddress(name=f"{here.name}_cell2", host=here.host, port=here.port,
                           user=here.user, password=here.password)
    with connection.cursor() as cursor:
        cursor.execute(f"DROP DATABASE IF EXISTS {quote_ident(target.name)} WITH (FORCE)")
        cursor.execute(f"CREATE DATABASE {quote_ident(target.name)}")
    yield target
    with connection.cursor() as cursor:
        cursor.execute(f"DROP DATABASE IF EXISTS {quote_ident(target.name)} WITH (FORCE)")


def _there(target: ServerAddress, subdomain: str) -> tuple[str, dict[str, Any]]:
    with target.connect() as conn, conn.transaction(), conn.cursor() as cursor:
        cursor.execute("SELECT schema_name, state, database_alias FROM public.tenants_practice "
                       "WHERE subdomain = %s", [subdomain])
        rows = cursor.fetchall()
        assert len(rows) == 1
        schema, state, alias = rows[0]
        assert (state, alias) == ("active", "default")
        return schema, table_checksums(cursor, schema)


def test_move_practice_to_a_second_database(second_database: ServerAddress, media_root: Path,
                                            settings: Any) -> None:
    settings.EXTRA_DATABASE_URLS = {"cell2": second_database.url()}
    mover = world_with_data("mover", "Mover Therapy")
    stayer = world_with_data("stayer", "Stayer Counselling")
    schema = mover.practice.schema_name
    before, before_files = checksums(schema), files(schema)
    stayer_before = checksums(stayer.practice.schema_name)

    call_command("move_practice", "mover", to="cell2", verbosity=0)

    new_schema, moved = _there(second_database, "mover")
    assert moved == before
    assert files(new_schema) == before_files
    row = Practice.objects.get(subdomain="mover")
    assert (row.state, row.database_alias, row.schema_name) == (PracticeState.MOVED, "cell2",
                                                                 schema)
    assert row.moved_at is not None
    assert schema_exists(schema) is False
    assert not (media_root / schema).exists()
    assert AuditEvent.objects.filter(action="practice.moved", object_id=str(row.pk)).count() == 1
    # Until requests are routed by database, the old host says "temporarily unavailable".
    assert Client(HTTP_HOST="mover.localhost").get("/accounts/sign-in/").status_code == 503
    connection.set_schema_to_public()
    # The other practice stayed, untouched.
    assert checksums(stayer.practice.schema_name) == stayer_before
    assert Practice.objects.get(subdomain="stayer").state == PracticeState.ACTIVE
    with pytest.raises(CommandError, match="mover has already moved to 'cell2'."):
        call_command("move_practice", "mover", to="cell2", verbosity=0)


def test_move_refuses_an_unknown_target_and_this_database(db: Any, settings: Any) -> None:
    settings.EXTRA_DATABASE_URLS = {}
    with pytest.raises(CommandError, match=r"Unknown database 'cell9' \(aliases: none "):
        call_command("move_practice", "anything", to="cell9")
    here = ServerAddress.from_connection(connection).url()
    with pytest.raises(CommandError, match="already in"):
        call_command("move_practice", "anything", to=here)


def test_a_failed_move_leaves_the_practice_where_it_was(media_root: Path) -> None:
    world = world_with_data("mover", "Mover Therapy")
    before = checksums(world.practice.schema_name)
    here = ServerAddress.from_connection(connection)
    missing = ServerAddress(name="no_such_database_here", host=here.host, port=here.port,
                            user=here.user, password=here.password)
    with pytest.raises(CommandError, match="manage.py migrate_platform on the target failed"):
        call_command("move_practice", "mover", to=missing.url(), verbosity=0)
    row = Practice.objects.get(subdomain="mover")
    assert (row.state, row.database_alias, row.moved_at) == (PracticeState.ACTIVE, "default",
                                                              None)
    assert checksums(world.practice.schema_name) == before
