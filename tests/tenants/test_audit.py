"""The audit trail is append-only in the database itself: no UPDATE, DELETE or TRUNCATE gets
through, whether through the ORM or raw SQL, in the public schema and in a practice's."""

from __future__ import annotations

import re

import pytest
from django.db import DatabaseError, connection, transaction
from django_tenants.utils import schema_context

from tenants.audit.actions import UnknownAuditAction
from tenants.audit.models import AuditEvent
from tenants.audit.services import audit_record
from tests.conftest import PracticeWorld

PROTECTED = "Cannot update or delete rows from audit_auditevent table"
REFUSED_SQL = {
    "update": ("UPDATE {table} SET action = 'tampered', actor_id = NULL", PROTECTED),
    "delete": ("DELETE FROM {table}", PROTECTED),
    "truncate": ("TRUNCATE {table}", "audit events are append-only"),
}


def _rows(schema_name: str) -> list[tuple[object, ...]]:
    with schema_context(schema_name):
        return list(AuditEvent.objects.order_by("pk").values_list(
            "pk", "action", "actor_id", "actor_role", "object_type", "object_id", "occurred_at"))


def _assert_append_only(schema_name: str) -> None:
    before = _rows(schema_name)
    assert len(before) == 1
    table = f"{connection.ops.quote_name(schema_name)}.audit_auditevent"

    for operation, (sql, message) in REFUSED_SQL.items():
        with pytest.raises(DatabaseError, match=message), transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(sql.format(table=table))
        assert _rows(schema_name) == before, operation

    with schema_context(schema_name):
        with pytest.raises(DatabaseError, match=PROTECTED), transaction.atomic():
            AuditEvent.objects.update(action="tampered")
        with pytest.raises(DatabaseError, match=PROTECTED), transaction.atomic():
            AuditEvent.objects.all().delete()
        event = AuditEvent.objects.get()
        event.action = "tampered"
        with pytest.raises(DatabaseError, match=PROTECTED), transaction.atomic():
            event.save()
        # Appending is what the table is for.
        audit_record(action="practice.exported", actor=None, actor_role="system")
        # A kind of event that is not in the registry (a typo) is refused, and nothing written.
        with pytest.raises(UnknownAuditAction, match="practice.exportd"):
            audit_record(action="practice.exportd", actor=None, actor_role="system")
    after = _rows(schema_name)
    assert after[:1] == before
    assert [row[1] for row in after] == [before[0][1], "practice.exported"]


def test_public_audit_rows_cannot_be_changed(alpha: PracticeWorld) -> None:
    # Provisioning alpha wrote the one public row.
    _assert_append_only("public")


def test_practice_audit_rows_cannot_be_changed(alpha: PracticeWorld, beta: PracticeWorld) -> None:
    beta_before = _rows(beta.practice.schema_name)

    _assert_append_only(alpha.practice.schema_name)

    assert _rows(beta.practice.schema_name) == beta_before
    assert len(beta_before) == 1


def test_every_kind_of_event_is_named_once_in_the_registry() -> None:
    from tenants.audit.actions import Action

    values = [member.value for member in Action.__members__.values()]
    assert len(values) == len(set(values))  # no alias: one constant per kind
    assert all(re.fullmatch(r"[a-z_]+(\.[a-z_]+)+", value) for value in values)
    assert len(values) >= 170
