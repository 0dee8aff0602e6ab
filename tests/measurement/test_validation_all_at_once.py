"""A malformed definition, however malformed, is refused with every problem listed at once:
never an exception other than DefinitionError, and one part's problem never hides another's."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from practice.measurement.definitions import DefinitionError, definition_from_dict
from tests.measurement.test_validation import valid


def problems(data: Any) -> list[str]:
    with pytest.raises(DefinitionError) as raised:
        definition_from_dict(data)
    return raised.value.messages


def test_an_empty_object_lists_every_missing_field() -> None:
    assert problems({}) == [
        "definition: 'key' is required",
        "definition: 'version' is required",
        "definition: 'title' is required",
        "definition: 'items' is required",
    ]


@pytest.mark.parametrize("data", [[], [1, 2], "text", 3, 2.5, None, True])
def test_anything_but_an_object_is_refused(data: Any) -> None:
    assert problems(data) == ["definition: expected an object"]


def test_a_bad_key_and_a_bad_band_key_are_both_reported() -> None:
    data = valid()
    data["key"] = "Bad Key"
    data["bands"][0]["key"] = "Low Band"

    assert problems(data) == [
        "instrument key 'Bad Key' must be lower-case letters, digits and underscores, starting "
        "with a letter"
        " (write 'bad_key': "
        "lower-case letters, digits and underscores, starting with a letter)",
        "total band 'Low Band': key must be lower-case letters, digits and underscores"
        " (write 'low_band': "
        "lower-case letters, digits and underscores, starting with a letter)",
    ]


def test_an_unknown_field_does_not_stop_the_rest_being_checked() -> None:
    data = valid()
    data["colour"] = "blue"
    data["bands"][1]["lower"] = 6

    assert problems(data) == [
        "definition: unknown field 'colour'",
        "total bands leave a gap between 4 and 6: possible score(s) 5 fall in no band",
    ]


def test_a_broken_item_still_lets_bands_subscales_and_identity_be_checked() -> None:
    data = valid()
    data["title"] = " "
    data["items"][0]["text"] = 7
    data["bands"][1]["label"] = ""
    data["subscales"][0]["key"] = "First"
    data["subscales"].append({"key": "other", "title": "Other", "items": ["q1"],
                              "bands": [{"key": "Lo", "label": "Lo", "lower": 0, "upper": 3}]})

    assert problems(data) == [
        "item 'q1': 'text' must be text",
        "the instrument needs a title",
        "total band 'high' has no label",
        "subscale 'First': key must be lower-case letters, digits and underscores"
        " (write 'first': "
        "lower-case letters, digits and underscores, starting with a letter)",
        "subscale 'other' band 'Lo': key must be lower-case letters, digits and underscores"
        " (write 'lo': "
        "lower-case letters, digits and underscores, starting with a letter)",
    ]


WRONG_TYPES: list[tuple[str, Any, str]] = [
    # (where, what to put there, the message)
    ("key", 5, "definition: 'key' must be text"),
    ("version", "1", "definition: 'version' must be a whole number"),
    ("title", ["x"], "definition: 'title' must be text"),
    ("items", {"q1": {}}, "definition: 'items' must be a list"),
    ("scoring", 1, "definition: 'scoring' must be 'sum' or 'mean'"),
    ("multiplier", "2", "definition: 'multiplier' must be a number"),
    ("has_total", "yes", "definition: 'has_total' must be true or false"),
    ("bands", "low", "definition: 'bands' must be a list"),
    ("missing_rule", [], "definition.missing_rule: expected an object"),
    ("reliable_change", "5", "definition: 'reliable_change' must be a number"),
    ("loinc_panel", 44261, "definition: 'loinc_panel' must be text"),
    ("items.0", "q1", "definition.items[0]: expected an object"),
    ("items.0.options", {}, "item 'q1': 'options' must be a list"),
    ("items.0.options.0", 0, "item 'q1'.options[0]: expected an object"),
    ("items.0.options.0.label", None, "item 'q1'.options[0]: 'label' must be text"),
    ("items.1.ask_if", [{"items": "q1", "comparison": ">=", "points": 1}],
     "item 'q2'.ask_if[0]: 'items' must be a list of item keys"),
    ("bands.0.lower", "0", "definition.bands[0]: 'lower' must be a number"),
    ("bands.1", [], "definition.bands[1]: expected an object"),
    ("subscales.0.items", "q1", "definition.subscales[0]: 'items' must be a list of item keys"),
    ("subscales.0.bands", [{"key": "a", "lower": 0}],
     "definition.subscales[0].bands[0]: 'label' is required; "
     "definition.subscales[0].bands[0]: 'upper' is required"),
    ("critical_items.0.min_points", True, "definition.critical_items[0]: 'min_points' must be "
                                          "a number"),
    ("missing_rule.max_missing", 1.5, "definition.missing_rule: 'max_missing' must be a whole "
                                      "number"),
]


def _put(data: Any, where: str, value: Any) -> None:
    *path, last = where.split(".")
    for step in path:
        data = data[int(step)] if step.isdigit() else data[step]
    data[int(last) if last.isdigit() else last] = value


BAD_KEY = ("instrument key 'Bad Key' must be lower-case letters, digits and underscores, "
           "starting with a letter"
           " (write 'bad_key': "
           "lower-case letters, digits and underscores, starting with a letter)")


@pytest.mark.parametrize(("where", "value", "message"), WRONG_TYPES,
                         ids=[where for where, _, _ in WRONG_TYPES])
def test_a_wrong_type_at_any_level_is_named_with_its_place(where: str, value: Any,
                                                           message: str) -> None:
    data = valid()
    data["key"] = "Bad Key"  # a problem elsewhere, still reported alongside
    _put(data, where, value)

    # Nothing else is reported: the checks that would need the unreadable part are skipped.
    expected = message.split("; ") + ([] if where == "key" else [BAD_KEY])
    assert problems(data) == expected


JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 5) | st.floats(allow_nan=True)
    | st.text(max_size=4),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(
        st.sampled_from(["key", "items", "options", "bands", "label", "points", "lower", "upper",
                         "title", "version", "text", "subscales", "missing_rule", "kind",
                         "critical_items", "item", "min_points", "ask_if", "comparison"]),
        inner, max_size=5),
    max_leaves=12)


@settings(max_examples=150, deadline=None)
@given(JSON)
def test_any_json_is_either_a_definition_or_a_list_of_problems(data: Any) -> None:
    try:
        definition_from_dict(data)
    except DefinitionError as error:
        assert error.messages
        assert all(isinstance(message, str) and message for message in error.messages)
