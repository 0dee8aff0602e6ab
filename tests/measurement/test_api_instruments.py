"""Practice-defined instruments through the API (create, next draft, publish, preview) and the
score_instrument command for them; a second practice never sees them."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import CommandError, call_command
from django_tenants.utils import schema_context

from practice.measurement.models import PracticeInstrument
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


def instrument_rows(world) -> list[tuple[str, int]]:
    with schema_context(world.practice.schema_name):
        return list(PracticeInstrument.objects.values_list("key", "version"))


EMPTY_PROBLEMS = ["definition: 'key' is required", "definition: 'title' is required",
                  "definition: 'items' is required"]


def test_an_empty_object_is_a_400_listing_what_is_missing(alpha, beta) -> None:
    response = post(alpha.http(alpha.clinician), "/api/v1/instruments", {})

    assert response.status_code == 400
    assert response.json() == {"detail": "This definition has problems.",
                               "problems": EMPTY_PROBLEMS}
    assert instrument_rows(alpha) == instrument_rows(beta) == []


@pytest.mark.parametrize("body", [[], [AUDIT], "audit", 42, None, True])
def test_json_that_is_not_an_object_is_a_400(alpha, body) -> None:
    response = post(alpha.http(alpha.clinician), "/api/v1/instruments", body)

    assert response.status_code == 400
    assert response.json() == {"detail": "This definition has problems.",
                               "problems": ["the definition must be a JSON object ({ … })"]}
    assert instrument_rows(alpha) == []


def test_a_body_that_is_not_json_is_a_400(alpha) -> None:
    response = alpha.http(alpha.clinician).post("/api/v1/instruments", "{not json",
                                                content_type="application/json")

    assert response.status_code == 400
    assert response.json()["detail"].startswith("JSON parse error")
    assert instrument_rows(alpha) == []


def test_wrong_types_at_every_level_are_listed_together(alpha) -> None:
    broken = json.loads(AUDIT_JSON)
    broken["title"] = 7
    broken["items"][0]["options"][0]["points"] = "0"
    broken["items"][1]["ask_if"] = "q1"
    broken["bands"][0]["upper"] = [7]
    broken["advisories"][0]["match"] = False

    response = post(alpha.http(alpha.clinician), "/api/v1/instruments", broken)

    assert response.status_code == 400
    assert response.json()["problems"] == [
        "definition: 'title' must be text",
        "item 'q1'.options[0]: 'points' must be a number",
        "item 'q2': 'ask_if' must be a list",
        "definition.bands[0]: 'upper' must be a number",
        "definition.advisories[0]: 'match' must be 'any' or 'all'",
    ]
    assert instrument_rows(alpha) == []


def test_a_bad_key_and_a_bad_band_key_are_reported_together(alpha) -> None:
    broken = json.loads(AUDIT_JSON) | {"key": "Audit C"}
    broken["bands"][2]["key"] = "Zone 3"

    response = post(alpha.http(alpha.clinician), "/api/v1/instruments", broken)

    assert response.status_code == 400
    assert response.json()["problems"] == [
        "instrument key 'Audit C' must be lower-case letters, digits and underscores, starting "
        "with a letter"
        " (write 'audit_c': "
        "lower-case letters, digits and underscores, starting with a letter)",
        "total band 'Zone 3': key must be lower-case letters, digits and underscores"
        " (write 'zone_3': "
        "lower-case letters, digits and underscores, starting with a letter)",
    ]
    assert instrument_rows(alpha) == []


def test_a_nul_character_is_refused_before_it_reaches_the_database(alpha) -> None:
    broken = json.loads(AUDIT_JSON) | {"source": "WHO\u0000"}

    response = post(alpha.http(alpha.clinician), "/api/v1/instruments", broken)

    assert response.status_code == 400
    assert response.json()["problems"] == [
        "definition: 'source' contains a NUL character (\\u0000), which cannot be stored"]
    assert instrument_rows(alpha) == []


def test_the_next_draft_of_an_empty_object_is_a_400_and_the_draft_is_unchanged(alpha) -> None:
    http = alpha.http(alpha.clinician)
    assert post(http, "/api/v1/instruments", AUDIT).status_code == 201

    response = http.put("/api/v1/instruments/audit/draft", "{}", content_type="application/json")

    assert response.status_code == 400
    assert response.json()["problems"] == [
        "the key cannot change: this instrument is 'audit' (create a new instrument for another "
        "key)", *EMPTY_PROBLEMS]
    with schema_context(alpha.practice.schema_name):
        assert PracticeInstrument.objects.get().definition["title"] == "AUDIT"
