"""Validation on load refuses each kind of broken definition with a message a practice member
can act on, and lists every problem at once."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from practice.measurement import library
from practice.measurement.definitions import (
    DefinitionError,
    InstrumentDefinition,
    definition_from_dict,
    definition_to_dict,
)

OPTIONS = [{"label": "Not at all", "points": 0}, {"label": "Sometimes", "points": 1},
           {"label": "Often", "points": 2}, {"label": "Always", "points": 3}]


def valid() -> dict[str, Any]:
    """Three items scored 0–3 (total 0–9), banded, with a subscale and a critical item."""
    return {
        "key": "practice_scale",
        "version": 1,
        "title": "Practice scale",
        "items": [{"key": f"q{number}", "text": f"Question {number}",
                   "options": copy.deepcopy(OPTIONS)} for number in (1, 2, 3)],
        "bands": [{"key": "low", "label": "Low", "lower": 0, "upper": 4},
                  {"key": "high", "label": "High", "lower": 5, "upper": 9}],
        "subscales": [{"key": "first_two", "title": "First two", "items": ["q1", "q2"]}],
        "critical_items": [{"item": "q3", "min_points": 1, "message": "Review now."}],
        "missing_rule": {"kind": "prorate", "max_missing": 1},
    }


def test_the_valid_example_is_valid() -> None:
    definition = definition_from_dict(valid())

    assert isinstance(definition, InstrumentDefinition)
    assert definition.scored_items[2].key == "q3"


def _items(data: dict[str, Any]) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = data["items"]
    return items


def duplicate_item_key(data: dict[str, Any]) -> None:
    _items(data)[2]["key"] = "q1"
    data["critical_items"] = []


def option_without_points(data: dict[str, Any]) -> None:
    del _items(data)[0]["options"][1]["points"]


def option_with_text_points(data: dict[str, Any]) -> None:
    _items(data)[0]["options"][1]["points"] = "1"


def bands_with_a_gap(data: dict[str, Any]) -> None:
    data["bands"][1]["lower"] = 6


def bands_overlapping(data: dict[str, Any]) -> None:
    data["bands"][1]["lower"] = 4


def bands_not_reaching_the_minimum(data: dict[str, Any]) -> None:
    data["bands"][0]["lower"] = 1


def bands_not_reaching_the_maximum(data: dict[str, Any]) -> None:
    data["bands"][1]["upper"] = 8


def bands_out_of_order(data: dict[str, Any]) -> None:
    data["bands"].reverse()


def band_beyond_the_range(data: dict[str, Any]) -> None:
    data["bands"].append({"key": "beyond", "label": "Beyond", "lower": 10, "upper": 12})


def band_upside_down(data: dict[str, Any]) -> None:
    data["bands"][0].update(lower=4, upper=0)


def critical_item_unknown(data: dict[str, Any]) -> None:
    data["critical_items"][0]["item"] = "q9"


def critical_threshold_unreachable(data: dict[str, Any]) -> None:
    data["critical_items"][0]["min_points"] = 4


def critical_threshold_always_fires(data: dict[str, Any]) -> None:
    data["critical_items"][0]["min_points"] = 0


def subscale_item_unknown(data: dict[str, Any]) -> None:
    data["subscales"][0]["items"] = ["q1", "q42"]


def prorate_as_many_as_there_are_items(data: dict[str, Any]) -> None:
    data["missing_rule"]["max_missing"] = 3


def prorate_nothing(data: dict[str, Any]) -> None:
    data["missing_rule"]["max_missing"] = 0


def unknown_field(data: dict[str, Any]) -> None:
    _items(data)[1]["reverse_key"] = True


def unknown_missing_rule(data: dict[str, Any]) -> None:
    data["missing_rule"]["kind"] = "impute"


def unknown_scorer(data: dict[str, Any]) -> None:
    data["scorer"] = "magic"


def bands_without_a_total(data: dict[str, Any]) -> None:
    data["has_total"] = False


def sex_bands_for_an_unknown_sex(data: dict[str, Any]) -> None:
    data["sex_bands"] = [{"sex": "other", "bands": data["bands"]}]


def skip_condition_on_a_later_item(data: dict[str, Any]) -> None:
    _items(data)[0]["ask_if"] = [{"items": ["q2"], "comparison": ">=", "points": 1}]


def single_option(data: dict[str, Any]) -> None:
    _items(data)[0]["options"] = _items(data)[0]["options"][:1]


def bad_item_key(data: dict[str, Any]) -> None:
    _items(data)[0]["key"] = "Question 1"
    data["subscales"][0]["items"] = ["q2"]


def cutoff_out_of_range(data: dict[str, Any]) -> None:
    data["clinical_cutoff"] = 12


def no_items(data: dict[str, Any]) -> None:
    data["items"] = []
    data["subscales"] = []
    data["critical_items"] = []


@pytest.mark.parametrize(("break_it", "message"), [
    (duplicate_item_key, "duplicate item key 'q1'"),
    (option_without_points, "item 'q1'.options[1] ('Sometimes') has no points: every option "
                            "needs a number"),
    (option_with_text_points, "item 'q1'.options[1]: 'points' must be a number"),
    (bands_with_a_gap, "total bands leave a gap between 4 and 6: possible score(s) 5 fall in "
                       "no band"),
    (bands_overlapping, "total bands 'low' (0–4) and 'high' (4–9) overlap"),
    (bands_not_reaching_the_minimum, "total bands do not cover the lowest possible score 0: "
                                     "the first band starts at 1"),
    (bands_not_reaching_the_maximum, "total bands do not cover the highest possible score 9: "
                                     "the last band ends at 8"),
    (bands_out_of_order, "total bands must be listed from the lowest scores to the highest"),
    (band_beyond_the_range, "total band 'beyond' (10–12) lies outside the possible scores 0–9"),
    (band_upside_down, "total band 'low': lower bound 4 is above upper bound 0"),
    (critical_item_unknown, "critical item 'q9' is not an item of this instrument"),
    (critical_threshold_unreachable, "item 'q3' is marked critical, but no answer raises the "
                                     "flag: its options score 0, 1, 2, 3 and the flag needs 4 "
                                     "or more"),
    (critical_threshold_always_fires, "critical item 'q3': threshold 0 is at or below the item's "
                                      "lowest points 0, so it would fire on every answer"),
    (subscale_item_unknown, "subscale 'first_two' refers to unknown item(s) 'q42'"),
    (prorate_as_many_as_there_are_items, "missing-item rule: prorating allows 3 missing items "
                                         "but there are only 3 scored items; max_missing must "
                                         "be less than the item count"),
    (prorate_nothing, "missing-item rule: prorating needs max_missing of at least 1"),
    (unknown_field, "item 'q2': unknown field 'reverse_key'"),
    (unknown_missing_rule, "missing-item rule must be 'refuse' or 'prorate'"),
    (unknown_scorer, "unknown scorer 'magic' (known: cssrs_triage, standard)"),
    (bands_without_a_total, "the instrument has no total, so bands cannot be set"),
    (sex_bands_for_an_unknown_sex, "sex-specific bands: sex must be one of female, male"),
    (skip_condition_on_a_later_item, "item 'q1' skip condition refers to 'q2', which is not "
                                     "asked before it"),
    (single_option, "item 'q1' needs at least two response options"),
    (bad_item_key, "item 'Question 1': key must be lower-case letters, digits and underscores, "
                   "starting with a letter"
                   " (write 'question_1': "
                   "lower-case letters, digits and underscores, starting with a letter)"),
    (cutoff_out_of_range, "clinical_cutoff 12 is outside the possible scores 0–9"),
    (no_items, "the instrument needs at least one item"),
])
def test_broken_definition_is_refused_with_the_right_message(
        break_it: Callable[[dict[str, Any]], None], message: str) -> None:
    data = valid()
    break_it(data)

    with pytest.raises(DefinitionError) as raised:
        definition_from_dict(data)

    assert message in raised.value.messages


def test_every_problem_is_listed_at_once() -> None:
    data = valid()
    bands_with_a_gap(data)
    critical_item_unknown(data)
    subscale_item_unknown(data)

    with pytest.raises(DefinitionError) as raised:
        definition_from_dict(data)

    assert raised.value.messages == [
        "total bands leave a gap between 4 and 6: possible score(s) 5 fall in no band",
        "subscale 'first_two' refers to unknown item(s) 'q42'",
        "critical item 'q9' is not an item of this instrument",
    ]


def test_structural_problems_are_listed_with_their_place() -> None:
    data = valid()
    del data["title"]
    option_without_points(data)
    _items(data)[1]["scored"] = "yes"

    with pytest.raises(DefinitionError) as raised:
        definition_from_dict(data)

    assert raised.value.messages == [
        "definition: 'title' is required",
        "item 'q1'.options[1] ('Sometimes') has no points: every option needs a number",
        "item 'q2': 'scored' must be true or false",
    ]


def test_not_an_object() -> None:
    with pytest.raises(DefinitionError) as raised:
        definition_from_dict(["not", "a", "definition"])  # type: ignore[arg-type]

    assert raised.value.messages == ["definition: expected an object"]


def test_doubled_scores_may_skip_the_gap_between_bands() -> None:
    # Doubled scores are always even, so 0–8 then 10–18 strands no possible score; and mean
    # scoring with fractional bounds whose gap holds no possible mean.
    data = valid()
    data["multiplier"] = 2
    data["bands"] = [{"key": "low", "label": "Low", "lower": 0, "upper": 8},
                     {"key": "high", "label": "High", "lower": 10, "upper": 18}]
    mean = valid()
    mean["scoring"] = "mean"
    mean["bands"] = [{"key": "low", "label": "Low", "lower": 0, "upper": 1.5},
                     {"key": "high", "label": "High", "lower": 1.6, "upper": 3}]

    assert definition_from_dict(data).multiplier == 2
    assert definition_from_dict(mean).bands[1].lower == 1.6


def test_mean_bands_with_a_reachable_gap_are_refused() -> None:
    mean = valid()
    mean["scoring"] = "mean"
    mean["bands"] = [{"key": "low", "label": "Low", "lower": 0, "upper": 1.5},
                     {"key": "high", "label": "High", "lower": 1.7, "upper": 3}]

    with pytest.raises(DefinitionError) as raised:
        definition_from_dict(mean)

    assert raised.value.messages == ["total bands leave a gap between 1.5 and 1.7: possible "
                                     "score(s) 1.67 fall in no band"]


def test_the_cssrs_scorer_checks_the_items_it_relies_on() -> None:
    data = definition_to_dict(library.CSSRS_SCREENER)
    data["items"] = [item for item in data["items"] if item["key"] != "q4"]
    data["items"][0]["options"][1]["points"] = 2

    with pytest.raises(DefinitionError) as raised:
        definition_from_dict(data)

    assert raised.value.messages == [
        "the C-SSRS triage scorer needs items q1, q2, q3, q4, q5, q6, q6b; missing q4",
        "C-SSRS item 'q1' must be a yes/no choice scoring 0 and 1",
    ]


def test_a_broken_shipped_definition_fails_loudly() -> None:
    broken = definition_to_dict(library.PHQ9)
    broken["bands"][1]["lower"] = 6
    definition = definition_from_dict(broken, validate=False)

    with pytest.raises(DefinitionError) as raised:
        library._register([definition])

    assert raised.value.messages == ["shipped phq9 v1: total bands leave a gap between 4 and 6: "
                                     "possible score(s) 5 fall in no band"]


def test_a_shipped_version_cannot_be_registered_twice() -> None:
    with pytest.raises(DefinitionError, match="defined twice"):
        library._register([library.GAD7, library.GAD7])
