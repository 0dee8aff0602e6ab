"""A critical item that cannot raise its flag on a risk answer is refused, and a definition with
critical items is published only after the owner has seen each answer's points and flag.

The case from the issue: EPDS typed with the printed points of the reverse-scored items (3, 2, 1,
0) AND ticked "reverse keyed" scores item 10's "Yes, quite often" 0, so the highest-risk answers
(total 9, below threshold) raise no flag."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from django_tenants.utils import schema_context

from practice.measurement.definitions import (
    DefinitionError,
    definition_from_dict,
    definition_problems,
    definition_to_dict,
)
from practice.measurement.library import shipped_definitions
from practice.measurement.models import PracticeInstrument
from practice.measurement.scoring import OptionVerdict, critical_option_verdicts, score
from tenants.audit.models import AuditEvent
from tests.conftest import PracticeWorld
from tests.measurement.clinic_world import prepare
from tests.measurement.test_clinic_instruments import create, page_text, rows
from tests.measurement.test_practice_defined import epds_json

EPDS_REVERSED = ("q3", "q5", "q6", "q7", "q8", "q9", "q10")
DOUBLE_REVERSAL = (
    "item 'q10' is marked critical, but its points are typed from highest to lowest (3, 2, 1, 0) "
    "and it is also reverse keyed, which turns them round: its options score 0, 1, 2, 3, so "
    "'Printed option A' never raises the flag (it needs 1 or more). Type the points each answer "
    "should score and leave reverse keying off, or type them from lowest to highest and keep it "
    "on")
CHECKED_LABEL = "I have checked which answers raise the flag"


def epds_typed_and_reverse_keyed() -> dict[str, Any]:
    """The owner's mistake: the printed points 3, 2, 1, 0 typed in and "reverse keyed" ticked."""
    data = json.loads(epds_json(typed_reversed=True))
    for item in data["items"]:
        item["reverse_keyed"] = item["key"] in EPDS_REVERSED
    return data


def epds_never_flagging() -> dict[str, Any]:
    data = json.loads(epds_json(typed_reversed=False))
    data["critical_items"][0]["min_points"] = 4
    return data


NEVER_FLAGS = ("item 'q10' is marked critical, but no answer raises the flag: with reverse keying "
               "its options score 3, 2, 1, 0 and the flag needs 4 or more")


# --- validation --------------------------------------------------------------------------------

def test_epds_typed_reversed_and_reverse_keyed_is_refused_naming_item_10() -> None:
    with pytest.raises(DefinitionError) as raised:
        definition_from_dict(epds_typed_and_reverse_keyed())

    assert raised.value.messages == [DOUBLE_REVERSAL]


def test_the_mistake_really_would_miss_the_risk_answer() -> None:
    """What the refusal prevents: read without validation, the highest-risk answers score 9 and
    raise no flag."""
    definition = definition_from_dict(epds_typed_and_reverse_keyed(), validate=False)

    # The answers that mean most risk: the last-printed on items 1, 2, 4, the first elsewhere.
    result = score(definition, {f"q{number}": 0 if f"q{number}" in EPDS_REVERSED else 3
                                for number in range(1, 11)})

    assert (result.total, result.flags) == (9, ())


@pytest.mark.parametrize("typed_reversed", [False, True], ids=["reverse-flag", "typed-reversed"])
def test_correct_epds_is_accepted_and_its_highest_risk_answer_flags(typed_reversed: bool) -> None:
    definition = definition_from_dict(json.loads(epds_json(typed_reversed=typed_reversed)))
    critical = definition.critical_items[0]

    verdicts = critical_option_verdicts(definition, critical)
    result = score(definition, {f"q{number}": 3 for number in range(1, 10)} | {"q10": 0})

    assert verdicts == (OptionVerdict("Printed option A", 3, True),
                        OptionVerdict("Printed option B", 2, True),
                        OptionVerdict("Printed option C", 1, True),
                        OptionVerdict("Printed option D", 0, False))
    assert [(flag.item_key, flag.kind) for flag in result.flags] == [("q10", "risk")]


def test_a_critical_item_no_answer_can_flag_is_refused_in_the_list_of_problems() -> None:
    data = epds_never_flagging()
    data["bands"][1]["lower"] = 11  # a second problem, listed with it

    with pytest.raises(DefinitionError) as raised:
        definition_from_dict(data)

    assert raised.value.messages == [
        "total bands leave a gap between 9 and 11: possible score(s) 10 fall in no band",
        NEVER_FLAGS]


def test_a_weighted_mean_instrument_flags_on_the_item_points_not_the_total() -> None:
    """Multiplier and mean scoring change the total, never what a critical item scores."""
    data = json.loads(epds_json(typed_reversed=False)) | {"scoring": "mean", "multiplier": 10}
    data["bands"] = [{"key": "all", "label": "All", "lower": 0, "upper": 30}]
    definition = definition_from_dict(data)

    verdicts = critical_option_verdicts(definition, definition.critical_items[0])

    assert [verdict.raises_flag for verdict in verdicts] == [True, True, True, False]


def test_every_shipped_definition_is_valid_and_each_critical_item_can_flag() -> None:
    checked = []
    for definition in shipped_definitions():
        assert definition_problems(definition) == [], definition.key
        assert definition_from_dict(definition_to_dict(definition)) == definition
        for critical in definition.critical_items:
            verdicts = critical_option_verdicts(definition, critical)
            assert any(verdict.raises_flag for verdict in verdicts), definition.key
            assert not all(verdict.raises_flag for verdict in verdicts), definition.key
            checked.append((definition.key, critical.item))

    assert ("phq9", "q9") in checked
    assert ("core10", "q6") in checked


# --- API and editor refuse ---------------------------------------------------------------------

def _nothing_saved(world: PracticeWorld) -> None:
    with schema_context(world.practice.schema_name):
        assert PracticeInstrument.objects.count() == 0
        assert not AuditEvent.objects.filter(action__startswith="instrument.").exists()


@pytest.mark.parametrize(("data", "message"), [
    (epds_typed_and_reverse_keyed(), DOUBLE_REVERSAL), (epds_never_flagging(), NEVER_FLAGS)],
    ids=["double-reversal", "never-flags"])
def test_the_api_refuses_it_on_create_and_on_the_next_draft(alpha, beta, data: dict[str, Any],
                                                            message: str) -> None:
    http = alpha.http(alpha.clinician)

    created = http.post("/api/v1/instruments", json.dumps(data), content_type="application/json")

    assert created.status_code == 400
    assert created.json() == {"detail": "This definition has problems.", "problems": [message]}
    _nothing_saved(alpha)
    good = json.loads(epds_json(typed_reversed=False))
    assert http.post("/api/v1/instruments", json.dumps(good),
                     content_type="application/json").status_code == 201
    updated = http.put("/api/v1/instruments/epds/draft", json.dumps(data),
                       content_type="application/json")
    assert updated.status_code == 400
    assert updated.json()["problems"] == [message]
    with schema_context(alpha.practice.schema_name):
        assert PracticeInstrument.objects.get().definition["items"][9] == good["items"][9]
    _nothing_saved(beta)


def test_the_editor_refuses_it_and_saves_nothing(alpha, beta) -> None:
    prepare(alpha)

    response = create(alpha.http(alpha.owner), epds_typed_and_reverse_keyed())

    assert response.status_code == 400
    assert DOUBLE_REVERSAL in page_text(response)
    _nothing_saved(alpha)
    _nothing_saved(beta)


# --- the owner confirms which answers raise the flag -------------------------------------------

def _table(page: str, item: str) -> list[list[str]]:
    table = re.search(rf'<table class="compact" data-critical="{item}">(.*?)</table>', page,
                      flags=re.S)
    assert table is not None
    body = table.group(1).split("<tbody>")[1]
    return [[re.sub(r"<[^>]+>", "", cell).strip()
             for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, flags=re.S)]
            for row in re.findall(r"<tr>(.*?)</tr>", body, flags=re.S)]


def _published_audit(world: PracticeWorld) -> int:
    with schema_context(world.practice.schema_name):
        return AuditEvent.objects.filter(action="instrument.published").count()


def test_publishing_needs_the_confirmation_after_the_flag_table(alpha, beta) -> None:
    prepare(alpha)
    prepare(beta)
    http = alpha.http(alpha.owner)
    assert create(http, epds_json(typed_reversed=False)).status_code == 302
    assert create(beta.http(beta.owner), epds_json(typed_reversed=False)).status_code == 302
    preview = http.get("/clinic/instruments/epds/preview/?version=1")
    page = preview.content.decode()
    listing = page_text(http.get("/clinic/instruments/"))

    assert _table(page, "q10") == [["Printed option A", "3", "Yes"],
                                   ["Printed option B", "2", "Yes"],
                                   ["Printed option C", "1", "Yes"],
                                   ["Printed option D", "0", "No"]]
    assert (f'<input type="checkbox" name="flags_checked" value="yes" required> '
            f"{CHECKED_LABEL}") in page
    assert "Check the flags and publish version 1" in listing

    refused = http.post("/clinic/instruments/epds/publish/", follow=True)

    assert refused.redirect_chain == [("/clinic/instruments/epds/preview/?version=1", 302)]
    assert (f"Not published: tick “{CHECKED_LABEL}” below the critical items' answers, then "
            "publish.") in page_text(refused)
    assert rows(alpha) == [("epds", 1, "draft")]
    assert _published_audit(alpha) == 0
    wrong_value = http.post("/clinic/instruments/epds/publish/", {"flags_checked": "on"})
    assert wrong_value.status_code == 302
    assert rows(alpha) == [("epds", 1, "draft")]

    published = http.post("/clinic/instruments/epds/publish/", {"flags_checked": "yes"})

    assert published["Location"] == "/clinic/instruments/"
    assert rows(alpha) == [("epds", 1, "published")]
    assert _published_audit(alpha) == 1
    assert rows(beta) == [("epds", 1, "draft")]
    assert _published_audit(beta) == 0
    after = http.get("/clinic/instruments/epds/preview/?version=1").content.decode()
    assert 'name="flags_checked"' not in after  # nothing left to publish
    assert _table(after, "q10")[0] == ["Printed option A", "3", "Yes"]


def test_a_definition_without_critical_items_publishes_without_the_checkbox(alpha, beta) -> None:
    prepare(alpha)
    http = alpha.http(alpha.owner)
    data = json.loads(epds_json(typed_reversed=False)) | {"critical_items": []}
    assert create(http, data).status_code == 302
    page = http.get("/clinic/instruments/epds/preview/?version=1").content.decode()

    published = http.post("/clinic/instruments/epds/publish/")

    assert 'data-critical="' not in page
    assert 'name="flags_checked"' not in page
    assert published.status_code == 302
    assert rows(alpha) == [("epds", 1, "published")]
    assert rows(beta) == []
