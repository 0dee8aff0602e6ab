"""Practice-defined instruments through the API (create, next draft, publish, preview) and the
score_instrument command for them; a second practice never sees them."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import CommandError, call_command
from django_tenants.utils import schema_context

from practice.models import PracticeInstrument
from tests.measurement.test_practice_defined import AUDIT_JSON

AUDIT = json.loads(AUDIT_JSON)


def post(http, path, body):
    return http.post(path, json.dumps(body), content_type="application/json")


def test_a_practice_creates_publishes_and_previews_audit_through_the_api(alpha, beta) -> None:
    http = alpha.http(alpha.clinician)
    created = post(http, "/api/v1/instruments", AUDIT)
    assert created.status_code == 201, created.content
    assert (created.json()["key"], created.json()["version"], created.json()["status"]) == (
        "audit", 1, "draft")
    # Draft preview: Q9 and Q10 score 0/2/4.
    answers = {f"q{n}": 0 for n in range(1, 11)} | {"q9": 2, "q10": 1}
    preview = post(http, "/api/v1/instruments/audit/score", {"answers": answers})
    assert preview.status_code == 200, preview.content
    assert preview.json()["total"] == 6
    published = http.post("/api/v1/instruments/audit/publish")
    assert published.status_code == 200
    assert published.json()["status"] == "published"
    again = http.post("/api/v1/instruments/audit/publish")
    assert again.status_code == 409
    # Editing a published version starts version 2; version 1 is unchanged.
    edited = http.put("/api/v1/instruments/audit/draft",
                      json.dumps({**AUDIT, "title": "AUDIT (edited)"}),
                      content_type="application/json")
    assert edited.status_code == 201
    assert (edited.json()["version"], edited.json()["status"]) == (2, "draft")
    with schema_context(alpha.practice.schema_name):
        assert list(PracticeInstrument.objects.values_list("version", "status", "title")
                    .order_by("version")) == [(1, "published", "AUDIT"),
                                              (2, "draft", "AUDIT (edited)")]
    with schema_context(beta.practice.schema_name):
        assert PracticeInstrument.objects.count() == 0
    assert beta.http(beta.clinician).post("/api/v1/instruments/audit/publish").status_code == 404


def test_a_broken_definition_is_refused_with_every_problem_and_nothing_saved(alpha) -> None:
    broken = {**AUDIT, "items": [{**AUDIT["items"][0], "key": "q1"}, {**AUDIT["items"][0]}]}
    response = post(alpha.http(alpha.clinician), "/api/v1/instruments", broken)
    assert response.status_code == 400
    assert response.json()["problems"]
    with schema_context(alpha.practice.schema_name):
        assert PracticeInstrument.objects.count() == 0


@pytest.mark.parametrize("role", ["front_desk", "billing", "client"])
def test_only_clinical_staff_write_definitions(alpha, role) -> None:
    http = alpha.http(getattr(alpha, role))
    # A role that may not write definitions gets the same 404 as the pages give it.
    assert post(http, "/api/v1/instruments", AUDIT).status_code == 404
    with schema_context(alpha.practice.schema_name):
        assert PracticeInstrument.objects.count() == 0


def test_score_instrument_command_scores_a_practice_defined_draft(alpha, beta) -> None:
    post(alpha.http(alpha.clinician), "/api/v1/instruments", AUDIT)
    out = io.StringIO()
    call_command("score_instrument", "audit", "0,0,0,0,0,0,0,0,2,1",
                 practice=alpha.practice.subdomain, stdout=out)
    result = json.loads(out.getvalue())
    assert result["total"] == 6
    assert result["band"]["key"] == "zone_1"
    with pytest.raises(CommandError, match="no instrument 'audit'"):
        call_command("score_instrument", "audit", "0,0,0,0,0,0,0,0,2,1",
                     practice=beta.practice.subdomain, stdout=io.StringIO())
    with pytest.raises(CommandError, match="--practice"):
        call_command("score_instrument", "audit", "0", stdout=io.StringIO())
