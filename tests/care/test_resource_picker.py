"""The homework and "add to the client's resources" pickers name resources by title and kind,
never by database id, and list only this practice's library."""

from __future__ import annotations

from django.db import connection
from django_tenants.utils import schema_context

from practice.care.models import Resource
from tests.care.helpers import page_text, prepare


def _resource(world, title: str, kind: str) -> int:
    with schema_context(world.practice.schema_name):
        resource = Resource.objects.create(kind=kind, title=title, url="https://example.org",
                                           created_by=world.clinician)
    connection.set_schema_to_public()
    return resource.pk


def test_pickers_show_titles(alpha, beta) -> None:
    care = prepare(alpha)
    prepare(beta)
    breathing = _resource(alpha, "Box breathing", "link")
    sleep = _resource(alpha, "Sleep diary", "text")
    _resource(beta, "Beta-only worksheet", "text")
    staff = care.http(alpha.clinician)
    for page, label in (("homework", "{title} ({kind})"), ("resources", "{title}")):
        body = page_text(staff.get(f"/care/clients/{alpha.client.pk}/{page}/"))
        for pk, title, kind in ((breathing, "Box breathing", "link"),
                                (sleep, "Sleep diary", "text")):
            option = f'<option value="{pk}">{label.format(title=title, kind=kind)}</option>'
            assert option in body, page
        assert "Resource #" not in body, page
        assert "Beta-only worksheet" not in body, page
