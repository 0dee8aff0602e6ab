"""The demo's documents: two files shared with the demo client and one they uploaded, stored on
the local filesystem like everything under `make run`; seeding twice adds nothing."""

from __future__ import annotations

from django.db import connection
from django_tenants.utils import schema_context

from practice.documents import demo
from practice.documents.models import Document
from practice.models import ClientProfile
from tenants.accounts.models import Role, User
from tests.conftest import PASSWORD


def test_demo_documents(alpha, local_store) -> None:
    with schema_context(alpha.practice.schema_name):
        client = User.objects.create_user(demo.DEMO_CLIENT, PASSWORD, role=Role.CLIENT)
        clinician = User.objects.create_user(demo.DEMO_CLINICIAN, PASSWORD, role=Role.CLINICIAN)
        # As the measurement seed leaves it: the client on the clinician's caseload.
        ClientProfile.objects.create(user=client).clinicians.add(clinician)
        assert demo.seed(alpha.practice) is True
        assert demo.seed(alpha.practice) is False
        rows = list(Document.objects.order_by("pk").values_list(
            "source", "display_name", "content_type", "file"))
    connection.set_schema_to_public()
    assert [row[:3] for row in rows] == [
        ("staff", "Welcome packet.pdf", "application/pdf"),
        ("staff", "Sleep diary worksheet.pdf", "application/pdf"),
        ("client", "Insurance card.png", "image/png"),
    ]
    assert local_store.keys() == sorted(f"{alpha.practice.schema_name}/{row[3]}" for row in rows)
