"""`manage.py migrate_platform`: public, template, then only the practices with something to
apply, several at a time."""

from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from tenants.management.commands.migrate_platform import (
    leaf_migrations,
    practice_schemas,
    schemas_needing_migrations,
)
from tenants.models import Practice
from tests.conftest import make_practice


def _shared_only_leaf() -> tuple[str, str]:
    """A leaf migration of a shared-only app: in a practice schema it applies as a no-op and is
    recorded, so forgetting its row makes that schema "behind" without touching any table."""
    from django.apps import apps

    tenant_labels = {apps.get_app_config(name.rsplit(".", 1)[-1]).label
                     for name in settings.TENANT_APPS
                     if apps.is_installed(name)}
    return sorted(leaf for leaf in leaf_migrations() if leaf[0] not in tenant_labels)[0]


def _forget(schema: str, leaf: tuple[str, str]) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            f"DELETE FROM {connection.ops.quote_name(schema)}.django_migrations "
            "WHERE app = %s AND name = %s", list(leaf),
        )
        assert cursor.rowcount == 1


def _recorded(schema: str) -> list[tuple[int, str, str, Any]]:
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT id, app, name, applied FROM {connection.ops.quote_name(schema)}"
            ".django_migrations ORDER BY id"
        )
        return cursor.fetchall()


def test_only_schemas_missing_a_leaf_need_migrating(alpha: Any, beta: Any) -> None:
    schemas = [alpha.practice.schema_name, beta.practice.schema_name]
    assert schemas_needing_migrations(schemas) == []

    _forget(alpha.practice.schema_name, _shared_only_leaf())

    assert schemas_needing_migrations(schemas) == [alpha.practice.schema_name]


def test_a_schema_without_a_migrations_table_needs_migrating(alpha: Any) -> None:
    with connection.cursor() as cursor:
        cursor.execute("CREATE SCHEMA p_emptyschema")
    assert schemas_needing_migrations(["p_emptyschema", alpha.practice.schema_name]) == [
        "p_emptyschema"
    ]


def test_the_template_counts_like_any_schema(db: Any) -> None:
    assert schemas_needing_migrations([settings.TENANT_BASE_SCHEMA]) == []


def test_parallel_run_migrates_the_behind_practices_and_leaves_the_rest_alone(
    committed_db: Any,
) -> None:
    alpha = make_practice("alpha", "Alpha Therapy")
    beta = make_practice("beta", "Beta Counselling")
    gamma = make_practice("gamma", "Gamma Care")
    leaf = _shared_only_leaf()
    _forget(alpha.practice.schema_name, leaf)
    _forget(gamma.practice.schema_name, leaf)
    beta_before = _recorded(beta.practice.schema_name)

    out = StringIO()
    call_command("migrate_platform", parallel=2, verbosity=0, stdout=out)

    assert out.getvalue().strip().splitlines()[-1] == (
        "Public, template and practice schemas migrated: 2 practice(s) migrated, "
        "1 already up to date (parallel 2)."
    )
    schemas = [p.practice.schema_name for p in (alpha, beta, gamma)]
    assert schemas_needing_migrations(schemas) == []
    for world in (alpha, gamma):
        assert [row[1:3] for row in _recorded(world.practice.schema_name)].count(leaf) == 1
    assert _recorded(beta.practice.schema_name) == beta_before
    assert connection.schema_name == "public"

    again = StringIO()
    call_command("migrate_platform", parallel=2, verbosity=0, stdout=again)
    assert "0 practice(s) migrated, 3 already up to date" in again.getvalue()


def test_a_practice_moved_to_another_database_is_left_to_that_database(
    alpha: Any, beta: Any,
) -> None:
    assert practice_schemas() == [alpha.practice.schema_name, beta.practice.schema_name]
    Practice.objects.filter(pk=beta.practice.pk).update(database_alias="cell2")
    assert practice_schemas() == [alpha.practice.schema_name]


def test_parallel_must_be_positive(db: Any) -> None:
    with pytest.raises(CommandError, match="--parallel must be 1 or more"):
        call_command("migrate_platform", parallel=0, verbosity=0)
