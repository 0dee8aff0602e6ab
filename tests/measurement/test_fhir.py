"""The FHIR R4 export of a client's results, read back with the maintained `fhir.resources`
models: Questionnaire per instrument version used, QuestionnaireResponse per submitted response,
Observation per score, with the reference's LOINC codes (PHQ-9 panel 44249-1, total 44261-6;
GAD-7 69737-5 / 70274-6); entered-in-error kept and marked; another practice's client is 404."""

from __future__ import annotations

import json

from django_tenants.utils import schema_context
from fhir.resources.R4B.bundle import Bundle

from practice.measurement import services
from practice.measurement.library import get_definition
from practice.measurement.models import Response
from tenants.accounts.models import Role, User
from tenants.actor import Actor
from tests.conftest import PASSWORD
from tests.measurement.test_api import PHQ9_CALM, PHQ9_RISK, measured, submit

LOINC = "http://loinc.org"


def export(http, client_id) -> Bundle:
    answer = http.get(f"/api/v1/clients/{client_id}/fhir")
    assert answer.status_code == 200, answer.content[:300]
    assert answer["Content-Type"] == "application/fhir+json"
    return Bundle.model_validate_json(answer.content)


def resources(bundle: Bundle, resource_type: str) -> list:
    return [entry.resource for entry in bundle.entry
            if entry.resource.get_resource_type() == resource_type]


def codes(codings) -> list[tuple[str, str]]:
    return [(coding.system, coding.code) for coding in codings]


def test_phq9_exports_with_its_loinc_codes(alpha, beta):
    m = measured(alpha)  # a PHQ-9 with item 9 answered (17, moderately severe)
    measured(beta)
    with schema_context(alpha.practice.schema_name):
        risk = Response.objects.get(pk=m.response_id)

    bundle = export(alpha.http(alpha.clinician), alpha.client.pk)

    assert bundle.type == "collection"
    (patient,) = resources(bundle, "Patient")
    assert patient.name[0].text == "Chris Client"
    (questionnaire,) = resources(bundle, "Questionnaire")
    assert questionnaire.url == "http://alpha.localhost/api/v1/instruments/phq9"
    assert questionnaire.version == "1"
    assert codes(questionnaire.code) == [(LOINC, "44249-1")]
    phq9 = get_definition("phq9")
    assert [(item.linkId, codes(item.code or [])) for item in questionnaire.item] == [
        *[(item.key, [(LOINC, item.loinc)]) for item in phq9.items],
        ("total", [(LOINC, "44261-6")]),
    ]
    item_9 = questionnaire.item[8]
    assert [(option.valueCoding.code, option.extension[0].valueDecimal)
            for option in item_9.answerOption] == [
        ("LA6568-5", 0), ("LA6569-3", 1), ("LA6570-1", 2), ("LA6571-9", 3)]
    assert questionnaire.item[9].answerOption[0].extension is None  # difficulty: unscored

    (answers,) = resources(bundle, "QuestionnaireResponse")
    assert answers.status == "completed"
    assert answers.questionnaire == "http://alpha.localhost/api/v1/instruments/phq9|1"
    assert answers.authored == risk.submitted_at
    assert [(item.linkId, item.answer[0].valueCoding.code if item.answer[0].valueCoding
             else item.answer[0].valueDecimal) for item in answers.item] == [
        *[(f"q{n}", "LA6570-1") for n in range(1, 9)], ("q9", "LA6569-3"), ("total", 17)]

    (score,) = resources(bundle, "Observation")
    assert score.status == "final"
    assert codes(score.code.coding) == [(LOINC, "44261-6")]
    assert codes(score.category[0].coding) == [
        ("http://terminology.hl7.org/CodeSystem/observation-category", "survey")]
    assert (score.valueQuantity.value, score.valueQuantity.code) == (17, "{score}")
    assert score.interpretation[0].text == "Moderately severe"
    assert score.effectiveDateTime == risk.submitted_at
    entries = {entry.resource.get_resource_type(): entry.fullUrl for entry in bundle.entry}
    assert score.subject.reference == answers.subject.reference == entries["Patient"]
    assert score.derivedFrom[0].reference == entries["QuestionnaireResponse"]
    assert [note.text for note in score.note] == [phq9.critical_items[0].message]


def test_every_instrument_version_used_once_and_entered_in_error_marked(alpha, beta):
    measured(alpha)
    calm = submit(alpha, PHQ9_CALM)
    submit(alpha, {f"q{n}": 1 for n in range(1, 8)}, key="gad7")
    with schema_context(alpha.practice.schema_name):
        services.response_mark_entered_in_error(response_id=calm.pk, reason="Wrong day",
                                                actor=Actor.of(alpha.clinician))
        mood = services.response_start_adhoc(client=alpha.client, instrument_key="mood")
        services.response_submit(client=alpha.client, response_id=mood.pk,
                                 answers={"mood": 7}, note="Slept well")

    bundle = export(alpha.http(alpha.client), alpha.client.pk)

    assert sorted(q.url.rsplit("/", 1)[1] for q in resources(bundle, "Questionnaire")) == [
        "gad7", "mood", "phq9"]
    statuses = [(r.questionnaire.split("/")[-1], r.status)
                for r in resources(bundle, "QuestionnaireResponse")]
    assert statuses == [("phq9|1", "completed"), ("phq9|1", "entered-in-error"),
                        ("gad7|1", "completed"), ("mood|1", "completed")]
    observations = resources(bundle, "Observation")
    assert [(codes(o.code.coding)[0][1], o.status, o.valueQuantity.value)
            for o in observations] == [
        ("44261-6", "final", 17), ("44261-6", "entered-in-error", 0),
        ("70274-6", "final", 7), ("total", "final", 7)]
    gad7 = next(q for q in resources(bundle, "Questionnaire") if q.url.endswith("gad7"))
    assert codes(gad7.code) == [(LOINC, "69737-5")]
    mood_answers = resources(bundle, "QuestionnaireResponse")[-1]
    assert [item.linkId for item in mood_answers.item] == ["mood", "note", "total"]
    assert mood_answers.item[0].answer[0].valueCoding.code == "7"
    assert mood_answers.item[1].answer[0].valueString == "Slept well"
    assert mood_answers.item[2].answer[0].valueDecimal == 7
    # Exporting twice gives the same document (stable ids), timestamp aside.
    again = export(alpha.http(alpha.client), alpha.client.pk)
    assert [entry.fullUrl for entry in again.entry] == [entry.fullUrl for entry in bundle.entry]


def test_another_practices_client_and_front_desk_get_the_same_404(alpha, beta):
    measured(alpha)
    measured(beta)
    with schema_context(beta.practice.schema_name):
        beta_only = User.objects.create_user("only-beta@example.org", PASSWORD,
                                             full_name="Bea Only", role=Role.CLIENT)
    submit(beta, PHQ9_RISK, client=beta_only)

    from_beta = alpha.http(alpha.owner).get(f"/api/v1/clients/{beta_only.pk}/fhir")
    missing = alpha.http(alpha.owner).get("/api/v1/clients/999999/fhir")
    front_desk = alpha.http(alpha.front_desk).get(f"/api/v1/clients/{alpha.client.pk}/fhir")

    assert from_beta.status_code == missing.status_code == 404
    assert from_beta.content == missing.content
    assert front_desk.status_code == 404
    assert front_desk.content == missing.content
    assert "Chris Client" not in front_desk.content.decode()


def test_download_is_offered_as_a_file(alpha):
    measured(alpha)

    answer = alpha.http(alpha.clinician).get(f"/api/v1/clients/{alpha.client.pk}/fhir",
                                             {"download": "1"})

    assert answer.status_code == 200
    assert answer["Content-Disposition"] == (
        f'attachment; filename="client-{alpha.client.pk}-results.fhir.json"')
    assert json.loads(answer.content)["resourceType"] == "Bundle"


def test_the_media_type_fhir_clients_ask_for_is_answered(alpha, beta):
    measured(alpha)
    measured(beta)
    http = alpha.http(alpha.clinician)
    url = f"/api/v1/clients/{alpha.client.pk}/fhir"

    fhir_json = http.get(url, HTTP_ACCEPT="application/fhir+json")
    with_quality = http.get(url, HTTP_ACCEPT="application/fhir+json;q=1.0, */*;q=0.1")
    plain_json = http.get(url, HTTP_ACCEPT="application/json")
    anything = http.get(url, HTTP_ACCEPT="*/*")

    assert [(answer.status_code, answer["Content-Type"])
            for answer in (fhir_json, with_quality, plain_json, anything)] == [
        (200, "application/fhir+json"), (200, "application/fhir+json"),
        (200, "application/json"), (200, "application/fhir+json")]
    # The same Bundle whichever type it is labelled with (each has its own timestamp).
    entries = [json.loads(answer.content)["entry"] for answer in (fhir_json, plain_json)]
    assert entries[0] == entries[1]
    assert [entry["resource"]["resourceType"] for entry in entries[0]] == [
        "Patient", "Questionnaire", "QuestionnaireResponse", "Observation"]
    assert Bundle.model_validate_json(fhir_json.content).type == "collection"


def test_a_type_it_cannot_answer_is_406_and_reveals_nothing(alpha):
    measured(alpha)

    answer = alpha.http(alpha.clinician).get(f"/api/v1/clients/{alpha.client.pk}/fhir",
                                             HTTP_ACCEPT="application/xml")

    assert answer.status_code == 406
    assert answer.json() == {"detail": 'Could not satisfy the request Accept header.'}
    assert "Chris Client" not in answer.content.decode()


def test_refusals_keep_their_status_whatever_the_accept_header(alpha, beta):
    measured(beta)
    url = f"/api/v1/clients/{alpha.client.pk}/fhir"

    front_desk = alpha.http(alpha.front_desk).get(url, HTTP_ACCEPT="application/fhir+json")
    missing = alpha.http(alpha.owner).get("/api/v1/clients/999999/fhir",
                                          HTTP_ACCEPT="application/fhir+json")
    anonymous = alpha.http().get(url, HTTP_ACCEPT="application/fhir+json")

    # A role that may not is told "not found", as for a missing record (docs/errors.md).
    assert [front_desk.status_code, missing.status_code, anonymous.status_code] == [404, 404, 403]
    assert front_desk.json() == missing.json()
    assert missing.json() == {"detail": "Not found."}
