"""The client's dashboard GET writes nothing at all (no audit row: the client's summary of their
own record, docs/security.md) once the schedules are materialised (by the scheduler's job, or by
an earlier view); when a schedule owes an occurrence the page still creates it, as before, so a
client never misses today's questionnaire."""

from __future__ import annotations

from datetime import timedelta

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tenants.utils import schema_context

from practice.measurement import services
from practice.measurement.models import Assignment, Response
from tests.portal.helpers import assign, local_today, prepare


def writes(queries: CaptureQueriesContext) -> list[str]:
    return [query["sql"].split(" ")[0] + " " + query["sql"].split('"')[1]
            for query in queries.captured_queries
            if query["sql"].startswith(("INSERT", "UPDATE", "DELETE"))]


def test_the_dashboard_get_writes_nothing(alpha) -> None:
    prepare(alpha)
    assign(alpha, "phq9", frequency="daily")
    http = alpha.http(alpha.client)
    with schema_context(alpha.practice.schema_name):
        services.responses_materialize(client=alpha.client, now=timezone.now())  # the job's
    connection.set_schema_to_public()
    http.get("/portal/")  # the first view of a practice's host writes its branding row

    with CaptureQueriesContext(connection) as queries:
        assert http.get("/portal/").status_code == 200

    assert writes(queries) == []


def test_an_occurrence_owed_is_still_created_by_the_page(alpha) -> None:
    prepare(alpha)
    with schema_context(alpha.practice.schema_name):
        # Assigned two days ago and never materialised (neither the job nor a view has run).
        Assignment.objects.create(client=alpha.client, instrument_key="phq9",
                                  frequency="daily", starts_on=local_today() - timedelta(days=2),
                                  assigned_by=alpha.clinician)
    connection.set_schema_to_public()

    body = alpha.http(alpha.client).get("/portal/").content.decode()

    with schema_context(alpha.practice.schema_name):
        statuses = list(Response.objects.filter(client=alpha.client, instrument_key="phq9")
                        .order_by("occurrence_date").values_list("status", flat=True))
    connection.set_schema_to_public()
    assert statuses == ["missed", "missed", "pending"]
    assert "PHQ-9" in body
