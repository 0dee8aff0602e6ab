"""Advisories (WHO-5 "administer a depression inventory") are stored with the response when it is
scored and shown wherever the score is: the client page, the review, the API, FHIR (an
Observation note), the progress report. A response scored before they were kept gets them from
the migration."""

from __future__ import annotations

import importlib
import json
from datetime import date

import pgtrigger
from django.apps import apps
from django.db import connection
from django_tenants.utils import schema_context

from practice.measurement import services
from practice.measurement.models import Response
from tenants.actor import Actor
from tests.measurement.clinic_world import prepare

ADVISORY = "administer a depression inventory"


def _submit_who5(world) -> Response:  # type: ignore[no-untyped-def]
    services.assignment_create(client_id=world.client.pk,
                               instrument_key="who5", frequency="once",
                               starts_on=date(2026, 12, 1), actor=Actor.of(world.clinician,
                                                                           practice=world.practice))
    (due,) = Response.objects.filter(client=world.client)
    services.response_submit(client=world.client, response_id=due.pk,
                             answers={"q1": 1, "q2": 4, "q3": 4, "q4": 4, "q5": 4})
    due.refresh_from_db()
    return due


def test_stored_when_scored_and_shown_with_the_score(alpha, beta) -> None:
    prepare(alpha, instruments=("who5",))
    with schema_context(alpha.practice.schema_name):
        response = _submit_who5(alpha)
        assert len(response.advisories) == 1
        assert ADVISORY in response.advisories[0]
    connection.set_schema_to_public()
    http = alpha.http(alpha.clinician)
    page = http.get(f"/clinic/clients/{alpha.client.pk}/").content.decode()
    assert ADVISORY in page
    review = http.get(f"/clinic/clients/{alpha.client.pk}/review/?days=30").content.decode()
    assert ADVISORY in review
    api = http.get(f"/api/v1/clients/{alpha.client.pk}/responses").json()
    assert ADVISORY in api["results"][0]["advisories"][0]
    bundle = json.loads(http.get(f"/api/v1/clients/{alpha.client.pk}/fhir").content)
    notes = [note["text"] for entry in bundle["entry"]
             if entry["resource"]["resourceType"] == "Observation"
             for note in entry["resource"].get("note", [])]
    assert any(ADVISORY in note for note in notes)
    with schema_context(beta.practice.schema_name):
        assert Response.objects.count() == 0


def test_the_migration_backfills_responses_scored_before(alpha) -> None:
    prepare(alpha, instruments=("who5",))
    migration = importlib.import_module("practice.migrations.0007_response_advisories")
    with schema_context(alpha.practice.schema_name):
        response = _submit_who5(alpha)
        # As before the field existed. The migration runs while the trigger is dropped; here
        # it is ignored instead.
        with pgtrigger.ignore("practice.Response:submitted_response_is_immutable"):
            Response.objects.filter(pk=response.pk).update(advisories=[])
            migration.backfill(apps, None)
        response.refresh_from_db()
        assert ADVISORY in response.advisories[0]
