import time
import pytest
from django.db import connection
from django.db.migrations.loader import MigrationLoader
from tenants.audit.models import AuditEvent
from tenants.services import practice_provision, PracticeSignup


@pytest.mark.django_db(transaction=True)
def test_flush(practice_factory):
    t = time.monotonic()
    w = practice_factory("gamma")
    print("provision", time.monotonic() - t)
    print(AuditEvent.objects.count())
    with connection.cursor() as c:
        c.execute("select app, name from practice_template.django_migrations order by 1,2")
        rows = c.fetchall()
    print(rows)
    loader = MigrationLoader(connection)
    print(sorted(loader.graph.leaf_nodes()))
    print(len(loader.graph.nodes), len(rows))
    with connection.cursor() as c:
        c.execute(f"DROP SCHEMA {w.practice.schema_name} CASCADE")
