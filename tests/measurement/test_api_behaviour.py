"""What the measurement API answers: the scoring preview (PHQ-9 at each band boundary, risk
flags, bad payloads answered 400 and never 500, a practice's draft), the OpenAPI schema, the
module gate, immutable responses, entered-in-error, and query counts that do not grow with
history."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tenants.utils import schema_context

from practice.measurement.library import get_definition
from practice.measurement.models import Alert, PracticeInstrument, Response
from tenants.models import Practice
from tests.measurement.helpers import answers_for
from tests.measurement.test_api import PHQ9_CALM, PHQ9_RISK, measured, state, submit

PHQ9 = get_definition("phq9")


def texts(data) -> list[str]:
    """Every string in a JSON answer (the messages, wherever DRF puts them)."""
    if isinstance(data, dict):
        return [text for value in data.values() for text in texts(value)]
    if isinstance(data, list):
        return [text for value in data for text in texts(value)]
    return [data] if isinstance(data, str) else []


def post_json(http, path, body):
    return http.post(path, json.dumps(body), content_type="application/json")


# --- scoring preview -------------------------------------------------------------------------

@pytest.mark.parametrize(("total", "band"), [
    (0, "minimal"), (4, "minimal"), (5, "mild"), (9, "mild"), (10, "moderate"),
    (14, "moderate"), (15, "moderately_severe"), (19, "moderately_severe"), (20, "severe"),
    (27, "severe"),
])
def test_phq9_preview_at_each_band_boundary(alpha, total, band):
    answers = answers_for(PHQ9, total, items=PHQ9.scored_items[:8] if total <= 24 else None)

    answer = post_json(alpha.http(alpha.clinician), "/api/v1/instruments/phq9/score",
                       {"answers": answers})

    assert answer.status_code == 200
    result = answer.json()
    assert result["total"] == total
    assert result["band"]["key"] == band
    assert result["instrument"] == "phq9"
    assert result["subscales"] == {}
    assert result["flags"] == ([] if answers["q9"] == 0 else [
        {"item": "q9", "kind": "risk", "message": PHQ9.critical_items[0].message}])


def test_phq9_preview_flags_item_9_whatever_the_total(alpha):
    http = alpha.http(alpha.owner)

    risk = post_json(http, "/api/v1/instruments/phq9/score",
                     {"answers": PHQ9_CALM | {"q9": 1}}).json()
    unknown = post_json(http, "/api/v1/instruments/phq9/score",
                        {"answers": PHQ9_CALM | {"q9": None}}).json()

    assert (risk["total"], risk["band"]["key"]) == (1, "minimal")
    assert [(flag["item"], flag["kind"]) for flag in risk["flags"]] == [("q9", "risk")]
    assert [(flag["item"], flag["kind"]) for flag in unknown["flags"]] == [
        ("q9", "risk_unknown")]
    assert unknown["missing_items"] == ["q9"]
    assert unknown["prorated"] is True


def test_preview_with_sex_specific_cutoffs(alpha):
    http = alpha.http(alpha.clinician)
    answers = {"q1": 1, "q2": 1, "q3": 1}  # AUDIT-C 3: positive for women, not for men

    women = post_json(http, "/api/v1/instruments/auditc/score",
                      {"answers": answers, "sex": "female"}).json()
    men = post_json(http, "/api/v1/instruments/auditc/score",
                    {"answers": answers, "sex": "male"}).json()

    assert women["total"] == men["total"] == 3
    assert women["band"]["key"] != men["band"]["key"]


@pytest.mark.parametrize(("body", "message"), [
    ({}, "This field is required."),
    ({"answers": [0, 1, 2]}, 'Expected a dictionary of items but got type "list".'),
    ({"answers": "1,2,3"}, 'Expected a dictionary of items but got type "str".'),
    ({"answers": {"q1": "often"}}, "A valid integer is required."),
    ({"answers": {"q1": True}}, "A valid integer is required."),
    ({"answers": {"q1": 1.5}}, "A valid integer is required."),
    ({"answers": {"q1": -1}}, "Ensure this value is greater than or equal to 0."),
    ({"answers": {"q1": 4}}, "item 'q1' has options 0 to 3, not 4"),
    ({"answers": {"q99": 1}}, "phq9 has no item(s) 'q99'"),
    ({"answers": {"q1": 1}}, "PHQ-9 (Patient Health Questionnaire-9): not scored, missing q2"),
    ({"answers": PHQ9_CALM, "sex": "other"}, '"other" is not a valid choice.'),
    ({"answers": PHQ9_CALM, "version": 7}, "Not found."),
])
def test_preview_refuses_bad_input_with_a_clear_message(alpha, body, message):
    answer = post_json(alpha.http(alpha.clinician), "/api/v1/instruments/phq9/score", body)

    assert answer.status_code == (404 if message == "Not found." else 400)
    assert any(message in text for text in texts(answer.json()))


def test_preview_refuses_malformed_json_and_unknown_instruments(alpha):
    http = alpha.http(alpha.clinician)

    malformed = http.post("/api/v1/instruments/phq9/score", "{answers:",
                          content_type="application/json")
    unknown = post_json(http, "/api/v1/instruments/nope/score", {"answers": {}})

    assert malformed.status_code == 400
    assert "JSON parse error" in malformed.json()["detail"]
    assert unknown.status_code == 404


def test_an_incomplete_preview_still_shows_its_flags(alpha):
    answers = {f"q{n}": None for n in range(1, 9)} | {"q9": 2}

    answer = post_json(alpha.http(alpha.clinician), "/api/v1/instruments/phq9/score",
                       {"answers": answers})

    assert answer.status_code == 400
    body = answer.json()
    assert body["error"] == "incomplete"
    assert body["missing_items"] == [f"q{n}" for n in range(1, 9)]
    assert [(flag["item"], flag["kind"]) for flag in body["flags"]] == [("q9", "risk")]


def _draft(**overrides):
    definition = {
        "key": "sleep_check", "version": 1, "title": "Sleep check",
        "items": [{"key": "q1", "text": "I sleep well", "reverse_keyed": True,
                   "options": [{"label": "Never", "points": 0}, {"label": "Sometimes",
                                                                 "points": 1},
                               {"label": "Always", "points": 2}]},
                  {"key": "q2", "text": "I wake at night",
                   "options": [{"label": "Never", "points": 0}, {"label": "Sometimes",
                                                                 "points": 1},
                               {"label": "Always", "points": 2}]}],
        "bands": [{"key": "low", "label": "Low", "lower": 0, "upper": 1},
                  {"key": "high", "label": "High", "lower": 2, "upper": 4}],
    }
    return definition | overrides


def test_preview_of_a_practice_draft_and_of_a_broken_one(alpha, beta):
    with schema_context(alpha.practice.schema_name):
        PracticeInstrument.objects.create(key="sleep_check", version=1, title="Sleep check",
                                          definition=_draft(), created_by=alpha.owner)
        PracticeInstrument.objects.create(
            key="broken", version=1, title="Broken", created_by=alpha.owner,
            definition=_draft(key="broken", bands=[{"key": "low", "label": "Low",
                                                    "lower": 0, "upper": 1}]))
    http = alpha.http(alpha.owner)

    scored = post_json(http, "/api/v1/instruments/sleep_check/score",
                       {"answers": {"q1": 0, "q2": 1}})
    broken = post_json(http, "/api/v1/instruments/broken/score",
                       {"answers": {"q1": 0, "q2": 1}})
    elsewhere = post_json(beta.http(beta.owner), "/api/v1/instruments/sleep_check/score",
                          {"answers": {"q1": 0, "q2": 1}})

    assert scored.status_code == 200
    assert (scored.json()["total"], scored.json()["band"]["key"]) == (3, "high")  # 2 + 1
    assert broken.status_code == 400
    assert broken.json()["detail"] == "This definition has problems; fix them to preview."
    assert len(broken.json()["problems"]) >= 1
    assert elsewhere.status_code == 404


# --- instruments -----------------------------------------------------------------------------

def test_instrument_list_is_what_the_practice_offers(alpha, beta):
    measured(alpha)
    Practice.objects.filter(pk=beta.practice.pk).update(instrument_keys=["who5"])

    listed = alpha.http(alpha.clinician).get("/api/v1/instruments").json()
    detail = alpha.http(alpha.client).get("/api/v1/instruments/phq9").json()

    assert [row["key"] for row in listed] == ["gad7", "mood", "phq9"]
    assert listed[2] == {"key": "phq9", "version": 1, "title": PHQ9.title, "item_count": 10,
                         "has_total": True, "higher_is_better": False, "shipped": True,
                         "loinc_panel": "44249-1"}
    assert detail["definition"]["items"][8]["loinc"] == "44260-8"
    assert detail["definition"]["critical_items"][0]["item"] == "q9"


# --- schema and module gate ------------------------------------------------------------------

MEASUREMENT_PATHS = {
    "/api/v1/alerts", "/api/v1/alerts/{alert_id}/acknowledge",
    "/api/v1/alerts/{alert_id}/resolve", "/api/v1/assignments/{assignment_id}/end",
    "/api/v1/clients/{client_id}/assignments", "/api/v1/clients/{client_id}/fhir",
    "/api/v1/clients/{client_id}/responses", "/api/v1/instruments", "/api/v1/instruments/{key}",
    "/api/v1/instruments/{key}/draft", "/api/v1/instruments/{key}/publish",
    "/api/v1/instruments/{key}/score", "/api/v1/responses/{response_id}",
    "/api/v1/responses/{response_id}/entered-in-error", "/api/v1/schema/",
}


def _api_routes() -> set[str]:
    """Every route of the API URLconf, written as the schema writes paths."""
    from django.urls import URLResolver, get_resolver

    def walk(patterns, prefix):
        for pattern in patterns:
            route = prefix + str(pattern.pattern)
            if isinstance(pattern, URLResolver):
                yield from walk(pattern.url_patterns, route)
            else:
                yield route

    api = next(p for p in get_resolver("config.urls_tenant").url_patterns
               if str(p.pattern) == "api/v1/")
    return {"/api/v1/" + re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", route)
            for route in walk(api.url_patterns, "")}


def test_the_schema_lists_every_endpoint(alpha):
    answer = alpha.http(alpha.front_desk).get("/api/v1/schema/", {"format": "json"})

    assert answer.status_code == 200
    schema = json.loads(answer.content)
    # Every route of the API's URLconf is documented, and nothing else is.
    assert set(schema["paths"]) == _api_routes()
    assert sorted(path for path in schema["paths"] if path in MEASUREMENT_PATHS) == [
        "/api/v1/alerts",
        "/api/v1/alerts/{alert_id}/acknowledge",
        "/api/v1/alerts/{alert_id}/resolve",
        "/api/v1/assignments/{assignment_id}/end",
        "/api/v1/clients/{client_id}/assignments",
        "/api/v1/clients/{client_id}/fhir",
        "/api/v1/clients/{client_id}/responses",
        "/api/v1/instruments",
        "/api/v1/instruments/{key}",
        "/api/v1/instruments/{key}/draft",
        "/api/v1/instruments/{key}/publish",
        "/api/v1/instruments/{key}/score",
        "/api/v1/responses/{response_id}",
        "/api/v1/responses/{response_id}/entered-in-error",
        "/api/v1/schema/",
    ]
    assert "/api/v1/alerts/{alert_id}/snooze" in schema["paths"]
    score = schema["paths"]["/api/v1/instruments/{key}/score"]["post"]
    assert score["requestBody"]["content"]["application/json"]["schema"]["$ref"] == (
        "#/components/schemas/ScorePreviewRequest")
    assert sorted(score["responses"]) == ["200", "400", "403", "404"]
    assert set(schema["components"]["schemas"]["ScoreResult"]["properties"]) >= {
        "total", "band", "subscales", "flags"}
    create = schema["paths"]["/api/v1/clients/{client_id}/assignments"]["post"]
    assert "201" in create["responses"]


def test_module_off_hides_the_assessment_endpoints_but_never_the_alerts(alpha):
    m = measured(alpha)
    modules = [key for key in alpha.practice.enabled_modules if key != "assessments"]
    Practice.objects.filter(pk=alpha.practice.pk).update(enabled_modules=modules)
    clinician, client = alpha.http(alpha.clinician), alpha.http(alpha.client)
    before = state(m)

    gated = [
        clinician.get("/api/v1/instruments"),
        clinician.get("/api/v1/instruments/phq9"),
        post_json(clinician, "/api/v1/instruments/phq9/score", {"answers": PHQ9_CALM}),
        clinician.get(f"/api/v1/clients/{alpha.client.pk}/assignments"),
        post_json(clinician, f"/api/v1/clients/{alpha.client.pk}/assignments",
                  {"instrument_key": "phq9", "frequency": "once", "starts_on": "2026-12-01"}),
        client.get(f"/api/v1/clients/{alpha.client.pk}/responses"),
        client.get(f"/api/v1/responses/{m.response_id}"),
        clinician.get(f"/api/v1/clients/{alpha.client.pk}/fhir"),
        post_json(clinician, f"/api/v1/responses/{m.response_id}/entered-in-error",
                  {"reason": "Wrong client"}),
    ]
    inbox = clinician.get("/api/v1/alerts")

    assert [answer.status_code for answer in gated] == [404] * 9
    assert state(m) == {**before, "audit": before["audit"] + [
        ("alerts.inbox_viewed", alpha.clinician.pk, "alert_inbox", str(alpha.clinician.pk))]}
    assert inbox.status_code == 200
    assert [alert["id"] for alert in inbox.json()["results"]] == [m.alert_id]


# --- responses -------------------------------------------------------------------------------

@pytest.mark.parametrize("actor", ["client", "clinician", "owner"])
@pytest.mark.parametrize("method", ["patch", "put", "delete"])
def test_a_submitted_response_cannot_be_changed_or_deleted(alpha, beta, actor, method):
    m = measured(alpha)
    m_beta = measured(beta)
    before, before_beta = state(m), state(m_beta)

    answer = getattr(alpha.http(getattr(alpha, actor)), method)(
        f"/api/v1/responses/{m.response_id}", json.dumps({"answers": PHQ9_CALM, "total": 0}),
        content_type="application/json")

    assert answer.status_code == 405
    assert state(m) == before
    assert state(m_beta) == before_beta


def test_a_client_reads_their_own_scores_and_not_the_clinicians_reason(alpha, beta):
    m = measured(alpha)
    measured(beta)
    calm = submit(alpha, PHQ9_CALM)
    gad = submit(alpha, {f"q{n}": 1 for n in range(1, 8)}, key="gad7")
    marked = post_json(alpha.http(alpha.clinician),
                       f"/api/v1/responses/{calm.pk}/entered-in-error", {"reason": "Wrong day"})
    again = post_json(alpha.http(alpha.owner),
                      f"/api/v1/responses/{calm.pk}/entered-in-error", {"reason": "Twice"})
    blank = post_json(alpha.http(alpha.owner),
                      f"/api/v1/responses/{m.response_id}/entered-in-error", {"reason": "  "})

    mine = alpha.http(alpha.client).get(f"/api/v1/clients/{alpha.client.pk}/responses").json()
    phq9_only = alpha.http(alpha.clinician).get(
        f"/api/v1/clients/{alpha.client.pk}/responses", {"instrument": "phq9"}).json()

    assert marked.status_code == 200
    assert marked.json()["is_entered_in_error"] is True
    assert marked.json()["entered_in_error_reason"] == "Wrong day"
    assert again.status_code == 409
    assert again.json() == {"detail": "This response is already marked entered in error."}
    assert blank.status_code == 400
    assert mine["count"] == 3
    assert [(row["id"], row["instrument_key"], row["total"], row["band_key"],
             row["is_entered_in_error"]) for row in mine["results"]] == [
        (gad.pk, "gad7", 7.0, "mild", False),
        (calm.pk, "phq9", 0.0, "minimal", True),
        (m.response_id, "phq9", 17.0, "moderately_severe", False),
    ]
    assert all("entered_in_error_reason" not in row for row in mine["results"])
    assert mine["results"][2]["flags"] == [{"item": "q9", "kind": "risk",
                                           "message": PHQ9.critical_items[0].message}]
    assert mine["results"][2]["answers"] == PHQ9_RISK
    assert [row["id"] for row in phq9_only["results"]] == [calm.pk, m.response_id]
    assert phq9_only["results"][0]["entered_in_error_reason"] == "Wrong day"


def test_assignment_refusals_are_clear(alpha):
    measured(alpha)
    http = alpha.http(alpha.clinician)
    path = f"/api/v1/clients/{alpha.client.pk}/assignments"

    not_offered = post_json(http, path, {"instrument_key": "pcl5", "frequency": "weekly",
                                         "starts_on": "2026-12-01"})
    bad_frequency = post_json(http, path, {"instrument_key": "phq9", "frequency": "hourly",
                                           "starts_on": "2026-12-01"})
    backwards = post_json(http, path, {"instrument_key": "phq9", "frequency": "weekly",
                                       "starts_on": "2026-12-01", "ends_on": "2026-11-01"})

    assert not_offered.status_code == bad_frequency.status_code == backwards.status_code == 400
    assert not_offered.json() == {"detail": "Your practice does not offer this instrument. The "
                                            "owner can add it under Settings → Instruments."}
    assert bad_frequency.json() == {"frequency": ['"hourly" is not a valid choice.']}
    assert backwards.json() == {"detail": "The end date is before the start date."}


def test_alert_resolution_needs_a_note(alpha):
    m = measured(alpha)
    http = alpha.http(alpha.clinician)

    empty = post_json(http, f"/api/v1/alerts/{m.alert_id}/resolve", {"note": ""})
    acknowledged = post_json(http, f"/api/v1/alerts/{m.alert_id}/acknowledge", {})
    inbox = http.get("/api/v1/alerts").json()

    assert empty.status_code == 400
    assert acknowledged.json()["status"] == "acknowledged"
    assert [(row["id"], row["status"], row["client"]["id"]) for row in inbox["results"]] == [
        (m.alert_id, "acknowledged", alpha.client.pk)]


# --- query counts ----------------------------------------------------------------------------

def _queries(http, path) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert http.get(path).status_code == 200
    return len(captured.captured_queries)


def _history(world, weeks: int) -> None:
    """Many more submitted responses, made quickly (already scored, in the past)."""
    with schema_context(world.practice.schema_name):
        template = Response.objects.filter(client=world.client,
                                           status=Response.Status.SUBMITTED).first()
        now = timezone.now()
        Response.objects.bulk_create(
            Response(client=world.client, instrument_key="phq9", definition_version=1,
                     status=Response.Status.SUBMITTED, answers=template.answers,
                     submitted_at=now - timedelta(weeks=week), scorer=template.scorer,
                     scorer_version=template.scorer_version, is_scored=True,
                     total=template.total, band_key=template.band_key,
                     band_label=template.band_label, flags=template.flags)
            for week in range(1, weeks + 1))
        Alert.objects.bulk_create(
            Alert(client=world.client, kind=Alert.Kind.RISK_ITEM,
                  severity=Alert.Severity.URGENT, summary="PHQ-9 item 9")
            for _ in range(weeks))
        for alert in Alert.objects.filter(recipients=None):
            alert.recipients.add(world.clinician)


def test_list_query_counts_do_not_grow_with_history(alpha):
    measured(alpha)
    http = alpha.http(alpha.clinician)
    paths = [f"/api/v1/clients/{alpha.client.pk}/responses", "/api/v1/alerts",
             f"/api/v1/clients/{alpha.client.pk}/assignments", "/api/v1/instruments"]

    short = [_queries(http, path) for path in paths]
    _history(alpha, 60)
    long = [_queries(http, path) for path in paths]

    assert short == long
    # Routing (3: search path, domain, search path), session, user; then responses: client,
    # count, page, audit; alerts: count, page, audit; assignments: client, audit, list;
    # instruments: the practice's own.
    assert short == [9, 8, 8, 6]


def test_a_session_write_without_the_csrf_token_is_refused(alpha):
    m = measured(alpha)
    http = Client(HTTP_HOST=alpha.host, enforce_csrf_checks=True)
    with schema_context(alpha.practice.schema_name):
        http.force_login(alpha.clinician)
    before = state(m)

    answer = post_json(http, f"/api/v1/responses/{m.response_id}/entered-in-error",
                       {"reason": "Wrong client"})

    assert answer.status_code == 403
    assert "CSRF" in answer.json()["detail"]
    assert state(m) == before
