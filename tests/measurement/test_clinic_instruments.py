"""Practice-defined instruments through the staff UI: a licensed practice types AUDIT and EPDS as
JSON, previews them, publishes them, and they score as published. Invalid definitions show every
problem and save nothing; published versions never change (editing makes the next version);
shipped keys are reserved; the preview saves nothing."""

from __future__ import annotations

import html as html_lib
import json
import re
from datetime import date
from typing import Any

import pytest
from django_tenants.utils import schema_context

from practice.measurement import selectors, services
from practice.measurement.definitions import DefinitionError, definition_from_dict
from practice.measurement.models import PracticeInstrument, Response
from tenants.actor import Actor
from tenants.audit.models import AuditEvent
from tests.conftest import PracticeWorld
from tests.measurement.clinic_world import prepare
from tests.measurement.helpers import answers_for
from tests.measurement.test_practice_defined import AUDIT_JSON, epds_json

CHECKED = {"flags_checked": "yes"}  # "I have checked which answers raise the flag"


def result_of(page: str) -> dict[str, Any]:
    def values(name: str) -> list[str]:
        return [html_lib.unescape(re.sub(r"<[^>]+>", "", value)).strip()
                for value in re.findall(rf'data-result="{name}">(.*?)</(?:dd|li)>', page,
                                        flags=re.S)]

    advisories = [html_lib.unescape(text) for text in
                  re.findall(r'<p class="advisory">(.*?)</p>', page, flags=re.S)]
    not_scored = re.search(r"<strong>Not scored:</strong> (.*?)</p>", page, flags=re.S)
    return {"total": (values("total") or [None])[0], "band": (values("band") or [None])[0],
            "subscales": values("subscale"), "flags": values("flag"), "advisories": advisories,
            "not_scored": html_lib.unescape(not_scored.group(1)) if not_scored else None}


def form_answers(answers: dict[str, int | None]) -> dict[str, str]:
    return {f"item_{key}": "" if value is None else str(value)
            for key, value in answers.items()}


def create(http: Any, definition: str | dict[str, Any]) -> Any:
    text = definition if isinstance(definition, str) else json.dumps(definition)
    return http.post("/clinic/instruments/new/", {"definition": text})


def rows(world: PracticeWorld) -> list[tuple[str, int, str]]:
    with schema_context(world.practice.schema_name):
        return list(PracticeInstrument.objects.order_by("key", "version")
                    .values_list("key", "version", "status"))


def instrument_audit(world: PracticeWorld) -> list[tuple[str, dict[str, Any]]]:
    with schema_context(world.practice.schema_name):
        return [(event.action, event.detail) for event in
                AuditEvent.objects.filter(action__startswith="instrument.").order_by("id")]


def page_text(response: Any) -> str:
    return html_lib.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ",
                                                        response.content.decode())))


@pytest.fixture
def audit_published(alpha: PracticeWorld) -> PracticeWorld:
    prepare(alpha)
    http = alpha.http(alpha.clinician)
    created = create(http, AUDIT_JSON)
    assert created.status_code == 302
    assert created["Location"] == "/clinic/instruments/audit/preview/?version=1"
    assert rows(alpha) == [("audit", 1, "draft")]
    published = http.post("/clinic/instruments/audit/publish/")
    assert published["Location"] == "/clinic/instruments/"
    assert rows(alpha) == [("audit", 1, "published")]
    return alpha


@pytest.mark.parametrize(("total", "zone"), [
    (0, "Zone I: low risk, alcohol education"), (7, "Zone I: low risk, alcohol education"),
    (8, "Zone II: hazardous, simple advice"), (15, "Zone II: hazardous, simple advice"),
    (16, "Zone III: harmful, brief counselling"), (19, "Zone III: harmful, brief counselling"),
    (20, "Zone IV: referral to specialist"), (40, "Zone IV: referral to specialist"),
])
def test_audit_entered_in_the_ui_previews_the_published_zones(audit_published, total,
                                                              zone) -> None:
    definition = definition_from_dict(json.loads(AUDIT_JSON))

    page = audit_published.http(audit_published.owner).post(
        "/clinic/instruments/audit/preview/", form_answers(answers_for(definition, total)))

    assert page.status_code == 200
    assert result_of(page.content.decode())["total"] == str(total)
    assert result_of(page.content.decode())["band"] == zone


def test_audit_questions_9_and_10_score_0_2_4_and_skip_logic_holds(audit_published) -> None:
    definition = definition_from_dict(json.loads(AUDIT_JSON))
    http = audit_published.http(audit_published.clinician)
    injury = {**answers_for(definition, 0), "q9": 1, "q10": 2}
    never_drinks = {key: None for key in definition.item_keys} | {"q1": 0, "q9": 0, "q10": 1}

    scored = result_of(http.post("/clinic/instruments/audit/preview/",
                                 form_answers(injury)).content.decode())
    skipped = result_of(http.post("/clinic/instruments/audit/preview/",
                                  form_answers(never_drinks)).content.decode())

    assert scored == {"total": "6", "band": "Zone I: low risk, alcohol education",
                      "subscales": [], "flags": [], "not_scored": None,
                      "advisories": ["Provide the next highest level of intervention."]}
    assert skipped["total"] == "2"
    assert skipped["not_scored"] is None
    form = http.get("/clinic/instruments/audit/preview/").content.decode()
    assert "Yes, but not in the last year (2 points)" in form
    assert "Yes, during the last year (4 points)" in form


def test_a_published_instrument_can_be_assigned_and_a_draft_cannot(audit_published) -> None:
    http = audit_published.http(audit_published.clinician)
    create(http, epds_json(typed_reversed=False))

    page = http.get(f"/clinic/clients/{audit_published.client.pk}/").content.decode()
    assigned = http.post(f"/clinic/clients/{audit_published.client.pk}/assign/",
                         {"instrument": "audit", "frequency": "once",
                          "starts_on": "2026-12-01"})
    draft = http.post(f"/clinic/clients/{audit_published.client.pk}/assign/",
                      {"instrument": "epds", "frequency": "once", "starts_on": "2026-12-01"})

    assert '<option value="audit">AUDIT</option>' in page
    assert 'value="epds"' not in page
    assert assigned.status_code == 302
    assert draft.status_code == 400
    with schema_context(audit_published.practice.schema_name):
        (response,) = Response.objects.all()
        assert response.instrument_key == "audit"


def test_a_practice_defined_response_shows_on_the_client_page(audit_published) -> None:
    world = audit_published
    definition = definition_from_dict(json.loads(AUDIT_JSON))
    with schema_context(world.practice.schema_name):
        services.assignment_create(client_id=world.client.pk,
                                   instrument_key="audit", frequency="once",
                                   starts_on=date(2026, 12, 1),
                                   actor=Actor.of(world.clinician, practice=world.practice))
        (due,) = Response.objects.all()
        outcome = services.response_submit(client=world.client, response_id=due.pk,
                                           answers=answers_for(definition, 9))
        assert outcome.submitted is True

    page = page_text(world.http(world.clinician).get(f"/clinic/clients/{world.client.pk}/"))

    assert "AUDIT Latest 9 (Zone II: hazardous, simple advice)." in page


@pytest.mark.parametrize("typed_reversed", [False, True], ids=["reverse-flag", "typed-reversed"])
def test_epds_entered_in_the_ui_scores_as_published(alpha, typed_reversed: bool) -> None:
    prepare(alpha)
    http = alpha.http(alpha.owner)
    assert create(http, epds_json(typed_reversed=typed_reversed)).status_code == 302
    assert http.post("/clinic/instruments/epds/publish/", CHECKED).status_code == 302
    preview = "/clinic/instruments/epds/preview/"
    first_printed = {f"q{number}": 0 for number in range(1, 11)}
    last_printed = {f"q{number}": 3 for number in range(1, 11)}
    q10_skipped = {**last_printed, "q10": None}

    reverse_keyed = result_of(http.post(preview, form_answers(first_printed)).content.decode())
    plain = result_of(http.post(preview, form_answers(last_printed)).content.decode())
    refused = result_of(http.post(preview, form_answers(q10_skipped)).content.decode())

    assert reverse_keyed["total"] == "21"  # items 3, 5–10 reverse-keyed, at 3 each
    assert reverse_keyed["band"] == "Probable depression"
    assert reverse_keyed["flags"] == ["Risk (q10): EPDS item 10 above 0: immediate review."]
    assert plain["total"] == "9"
    assert plain["band"] == "Below threshold"
    assert plain["flags"] == []
    assert refused["total"] is None
    assert refused["not_scored"].startswith("Edinburgh Postnatal Depression Scale: not scored, "
                                            "missing q10")
    assert refused["flags"] == [
        "Risk unknown (q10): Not answered, so risk is unknown: review with the client. The item "
        "flags: EPDS item 10 above 0: immediate review."]
    assert rows(alpha) == [("epds", 1, "published")]


def test_an_invalid_definition_shows_every_problem_and_saves_nothing(alpha) -> None:
    prepare(alpha)
    broken = json.loads(epds_json(typed_reversed=False))
    broken["bands"][1]["lower"] = 11  # a gap at 10
    broken["critical_items"][0]["min_points"] = 9  # can never fire
    broken["items"][0]["options"][1]["points"] = "one"
    broken["colour"] = "blue"
    with pytest.raises(DefinitionError) as raised:
        definition_from_dict(broken)
    expected = raised.value.messages
    assert len(expected) == 2  # the structural problems, found before the band checks

    response = create(alpha.http(alpha.clinician), broken)

    assert response.status_code == 400
    text = page_text(response)
    assert f"The definition was not saved: {len(expected)} problems" in text
    for message in expected:
        assert message in text
    assert rows(alpha) == []
    assert instrument_audit(alpha) == []


def test_validation_problems_beyond_structure_are_all_listed(alpha) -> None:
    prepare(alpha)
    broken = json.loads(epds_json(typed_reversed=False))
    broken["bands"][1]["lower"] = 11
    broken["critical_items"][0]["min_points"] = 9
    with pytest.raises(DefinitionError) as raised:
        definition_from_dict(broken)

    text = page_text(create(alpha.http(alpha.clinician), broken))

    assert len(raised.value.messages) == 2
    for message in raised.value.messages:
        assert message in text
    assert rows(alpha) == []


@pytest.mark.parametrize(("definition", "message"), [
    ("{not json", "This is not valid JSON: Expecting property name enclosed in double quotes at "
                  "line 1, column 2."),
    ("[1, 2]", "the definition must be a JSON object ({ … })"),
    (json.loads(epds_json(typed_reversed=False)) | {"key": "phq9"},
     "'phq9' is the key of an instrument Tandem ships; choose another key"),
])
def test_malformed_json_and_shipped_keys_are_refused(alpha, definition, message) -> None:
    prepare(alpha)

    response = create(alpha.http(alpha.clinician), definition)

    assert response.status_code == 400
    assert message in page_text(response)
    assert rows(alpha) == []


def test_a_key_in_use_cannot_be_created_again_or_renamed(alpha) -> None:
    prepare(alpha)
    http = alpha.http(alpha.clinician)
    create(http, epds_json(typed_reversed=False))

    again = create(http, epds_json(typed_reversed=True))
    renamed = http.post("/clinic/instruments/epds/edit/", {"definition": json.dumps(
        json.loads(epds_json(typed_reversed=False)) | {"key": "epds_two"})})

    assert again.status_code == renamed.status_code == 400
    assert "an instrument with key 'epds' already exists; edit it instead" in page_text(again)
    assert "the key cannot change: this instrument is 'epds'" in page_text(renamed)
    assert rows(alpha) == [("epds", 1, "draft")]


def test_editing_a_draft_changes_it_in_place(alpha) -> None:
    prepare(alpha)
    http = alpha.http(alpha.clinician)
    create(http, epds_json(typed_reversed=False))
    changed = json.loads(epds_json(typed_reversed=False)) | {"title": "EPDS (our copy)"}

    edited = http.post("/clinic/instruments/epds/edit/", {"definition": json.dumps(changed)})

    assert edited["Location"] == "/clinic/instruments/epds/preview/?version=1"
    assert rows(alpha) == [("epds", 1, "draft")]
    with schema_context(alpha.practice.schema_name):
        assert PracticeInstrument.objects.get().title == "EPDS (our copy)"


def test_editing_a_published_definition_makes_the_next_version(alpha) -> None:
    prepare(alpha)
    http = alpha.http(alpha.clinician)
    create(http, epds_json(typed_reversed=False))
    http.post("/clinic/instruments/epds/publish/", CHECKED)
    with schema_context(alpha.practice.schema_name):
        version_1 = PracticeInstrument.objects.get().definition
    stricter = json.loads(epds_json(typed_reversed=False))
    stricter["bands"][1]["upper"] = 11
    stricter["bands"][2]["lower"] = 12

    form = http.get("/clinic/instruments/epds/edit/").content.decode()
    edited = http.post("/clinic/instruments/epds/edit/", {"definition": json.dumps(stricter)})

    assert "saving starts version 2" in form
    assert edited["Location"] == "/clinic/instruments/epds/preview/?version=2"
    assert rows(alpha) == [("epds", 1, "published"), ("epds", 2, "draft")]
    with schema_context(alpha.practice.schema_name):
        assert PracticeInstrument.objects.get(version=1).definition == version_1
        assert selectors.instrument_definition("epds").version == 1  # until v2 is published
    twelve = form_answers(answers_for(definition_from_dict(stricter), 12))
    draft_preview = result_of(http.post("/clinic/instruments/epds/preview/?version=2",
                                        twelve).content.decode())
    newest_preview = result_of(http.post("/clinic/instruments/epds/preview/",
                                         twelve).content.decode())
    published_preview = result_of(http.post("/clinic/instruments/epds/preview/?version=1",
                                            twelve).content.decode())
    assert draft_preview["band"] == newest_preview["band"] == "Probable depression"
    assert published_preview["band"] == "Possible depression"
    assert http.post("/clinic/instruments/epds/publish/", CHECKED).status_code == 302
    assert rows(alpha) == [("epds", 1, "published"), ("epds", 2, "published")]
    with schema_context(alpha.practice.schema_name):
        assert selectors.instrument_definition("epds").version == 2
        assert PracticeInstrument.objects.get(version=1).definition == version_1
    assert [(action, detail["version"]) for action, detail in instrument_audit(alpha)] == [
        ("instrument.draft_saved", 1), ("instrument.published", 1),
        ("instrument.draft_saved", 2), ("instrument.published", 2)]


def test_publishing_without_a_draft_says_so(alpha) -> None:
    prepare(alpha)
    http = alpha.http(alpha.clinician)
    create(http, epds_json(typed_reversed=False))
    http.post("/clinic/instruments/epds/publish/", CHECKED)

    again = http.post("/clinic/instruments/epds/publish/", CHECKED, follow=True)

    assert "There is no draft to publish." in page_text(again)
    assert rows(alpha) == [("epds", 1, "published")]


def test_shipped_instruments_preview_but_cannot_be_edited(alpha) -> None:
    prepare(alpha)
    http = alpha.http(alpha.clinician)

    edit = http.get("/clinic/instruments/phq9/edit/")
    publish = http.post("/clinic/instruments/phq9/publish/")
    preview = http.post("/clinic/instruments/auditc/preview/",
                        {"item_q1": "2", "item_q2": "1", "item_q3": "0", "sex": "female"})
    listing = page_text(http.get("/clinic/instruments/"))

    assert edit.status_code == publish.status_code == 404
    assert result_of(preview.content.decode())["total"] == "3"
    assert result_of(preview.content.decode())["band"] is not None
    assert "PHQ-9 (Patient Health Questionnaire-9) (v1) · Preview scoring" in listing
    assert rows(alpha) == []


def test_the_preview_saves_nothing(alpha) -> None:
    prepare(alpha)
    http = alpha.http(alpha.clinician)
    with schema_context(alpha.practice.schema_name):
        before = (Response.objects.count(), AuditEvent.objects.count())

    http.post("/clinic/instruments/phq9/preview/", {f"item_q{n}": "3" for n in range(1, 10)})

    with schema_context(alpha.practice.schema_name):
        assert (Response.objects.count(), AuditEvent.objects.count()) == before


def test_the_editor_lists_the_same_problems_as_the_api(alpha) -> None:
    prepare(alpha)
    broken = json.loads(epds_json(typed_reversed=False)) | {"key": "Bad Key"}
    broken["bands"][0]["key"] = "Bad Band"
    del broken["title"]
    api = alpha.http(alpha.clinician).post("/api/v1/instruments", json.dumps(broken),
                                           content_type="application/json")
    problems = api.json()["problems"]
    assert len(problems) == 3

    text = page_text(create(alpha.http(alpha.clinician), broken))

    assert "The definition was not saved: 3 problems" in text
    for message in problems:
        assert message in text
    assert rows(alpha) == []
