"""Instruments a licensed practice enters itself, as plain JSON, score as published: AUDIT
(questions 9 and 10 score 0/2/4, WHO zones), EPDS (items 3 and 5–10 reverse-keyed, item 10
critical) and DASS-21 typed from scratch, which must agree with the shipped one."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from practice.measurement.definitions import definition_from_dict, definition_to_dict
from practice.measurement.library import get_definition
from practice.measurement.scoring import IncompleteResponse, ScoreResult, score
from tests.measurement.helpers import answers_for

FREQUENCY = [{"label": "Never", "points": 0}, {"label": "Less than monthly", "points": 1},
             {"label": "Monthly", "points": 2}, {"label": "Weekly", "points": 3},
             {"label": "Daily or almost daily", "points": 4}]
INJURY = [{"label": "No", "points": 0}, {"label": "Yes, but not in the last year", "points": 2},
          {"label": "Yes, during the last year", "points": 4}]
DRINKS_BEFORE = {"items": ["q1"], "comparison": ">=", "points": 1}
DRINKS_A_LOT = {"items": ["q2", "q3"], "comparison": ">=", "points": 1}

# Item stems are WHO's; a practice with a licence types them. Placeholders stand in here.
AUDIT_JSON = json.dumps({
    "key": "audit",
    "version": 1,
    "title": "AUDIT",
    "items": [
        {"key": "q1", "text": "AUDIT question 1", "options": [
            {"label": "Never", "points": 0}, {"label": "Monthly or less", "points": 1},
            {"label": "2 to 4 times a month", "points": 2},
            {"label": "2 to 3 times a week", "points": 3},
            {"label": "4 or more times a week", "points": 4}]},
        {"key": "q2", "text": "AUDIT question 2", "ask_if": [DRINKS_BEFORE], "options": [
            {"label": "1 or 2", "points": 0}, {"label": "3 or 4", "points": 1},
            {"label": "5 or 6", "points": 2}, {"label": "7, 8, or 9", "points": 3},
            {"label": "10 or more", "points": 4}]},
        {"key": "q3", "text": "AUDIT question 3", "ask_if": [DRINKS_BEFORE],
         "options": FREQUENCY},
        *[{"key": f"q{number}", "text": f"AUDIT question {number}",
           "ask_if": [DRINKS_BEFORE, DRINKS_A_LOT], "options": FREQUENCY}
          for number in range(4, 9)],
        {"key": "q9", "text": "AUDIT question 9", "options": INJURY},
        {"key": "q10", "text": "AUDIT question 10", "options": INJURY},
    ],
    "bands": [
        {"key": "zone_1", "label": "Zone I: low risk, alcohol education", "lower": 0, "upper": 7},
        {"key": "zone_2", "label": "Zone II: hazardous, simple advice", "lower": 8, "upper": 15},
        {"key": "zone_3", "label": "Zone III: harmful, brief counselling", "lower": 16,
         "upper": 19},
        {"key": "zone_4", "label": "Zone IV: referral to specialist", "lower": 20, "upper": 40},
    ],
    "advisories": [{
        "key": "next_level",
        "message": "Provide the next highest level of intervention.",
        "match": "any",
        "conditions": [
            {"items": ["q4"], "comparison": ">=", "points": 2},
            {"items": ["q5"], "comparison": ">=", "points": 2},
            {"items": ["q6"], "comparison": ">=", "points": 2},
            {"items": ["q9"], "comparison": "==", "points": 4},
            {"items": ["q10"], "comparison": "==", "points": 4},
        ],
    }],
})

EPDS_REVERSED = (3, 5, 6, 7, 8, 9, 10)


def epds_json(*, typed_reversed: bool) -> str:
    """EPDS the two ways a practice might type it: printed-order options scored 0–3 with the
    reverse-keyed flag, or the reversed points typed in directly (3, 2, 1, 0)."""
    items = []
    for number in range(1, 11):
        reverse = number in EPDS_REVERSED
        points = [3, 2, 1, 0] if reverse and typed_reversed else [0, 1, 2, 3]
        items.append({
            "key": f"q{number}",
            "text": f"EPDS item {number}",  # RCPsych wording, entered under the practice's licence
            "reverse_keyed": reverse and not typed_reversed,
            "options": [{"label": f"Printed option {letter}", "points": value}
                        for letter, value in zip("ABCD", points, strict=True)],
        })
    return json.dumps({
        "key": "epds",
        "version": 1,
        "title": "Edinburgh Postnatal Depression Scale",
        "loinc_panel": "71354-5",
        "items": items,
        "bands": [
            {"key": "below", "label": "Below threshold", "lower": 0, "upper": 9},
            {"key": "possible", "label": "Possible depression", "lower": 10, "upper": 12},
            {"key": "probable", "label": "Probable depression", "lower": 13, "upper": 30},
        ],
        "critical_items": [{"item": "q10", "min_points": 1,
                            "message": "EPDS item 10 above 0: immediate review."}],
    })


def _band(result: ScoreResult) -> str | None:
    return result.band.key if result.band else None


# --- AUDIT ---------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def audit() -> Any:
    return definition_from_dict(json.loads(AUDIT_JSON))


@pytest.mark.parametrize(("total", "zone"), [
    (0, "zone_1"), (7, "zone_1"), (8, "zone_2"), (15, "zone_2"), (16, "zone_3"), (19, "zone_3"),
    (20, "zone_4"), (40, "zone_4"),
])
def test_audit_zones(audit: Any, total: int, zone: str) -> None:
    result = score(audit, answers_for(audit, total))

    assert result.total == total
    assert _band(result) == zone


def test_audit_questions_9_and_10_score_0_2_4(audit: Any) -> None:
    assert audit.item("q9").possible_points() == (0, 2, 4)
    answers = {**answers_for(audit, 0), "q9": 1, "q10": 2}

    result = score(audit, answers)

    assert result.total == 6
    assert result.advisories == ("Provide the next highest level of intervention.",)


def test_audit_skipped_questions_score_0_when_the_skip_logic_allows(audit: Any) -> None:
    never_drinks = {"q1": 0, "q9": 0, "q10": 1}
    light = {"q1": 1, "q2": 0, "q3": 0, "q9": 0, "q10": 0}

    assert score(audit, never_drinks).total == 2
    assert score(audit, never_drinks).missing_items == ()
    assert score(audit, light).total == 1


def test_audit_skipping_a_question_that_applies_is_refused(audit: Any) -> None:
    with pytest.raises(IncompleteResponse) as raised:
        score(audit, {"q1": 2, "q2": 1, "q3": None, "q4": 0, "q5": 0, "q6": 0, "q7": 0,
                      "q8": 0, "q9": 0, "q10": 0})

    assert raised.value.missing_items == ("q3",)


@pytest.mark.parametrize(("item", "position", "advised"), [
    ("q4", 2, True), ("q4", 1, False), ("q6", 2, True), ("q9", 2, True), ("q9", 1, False),
    ("q10", 2, True),
])
def test_audit_item_level_escalation(audit: Any, item: str, position: int,
                                     advised: bool) -> None:
    answers = {**answers_for(audit, 0), "q1": 1, "q2": 1, item: position}

    result = score(audit, answers)

    assert bool(result.advisories) is advised
    assert result.flags == ()


# --- EPDS ----------------------------------------------------------------------------------

@pytest.fixture(scope="module", params=[False, True], ids=["reverse-flag", "typed-reversed"])
def epds(request: pytest.FixtureRequest) -> Any:
    return definition_from_dict(json.loads(epds_json(typed_reversed=request.param)))


def test_epds_first_printed_option_scores_3_on_reverse_keyed_items(epds: Any) -> None:
    first_printed = {f"q{number}": 0 for number in range(1, 11)}
    last_printed = {f"q{number}": 3 for number in range(1, 11)}

    assert score(epds, first_printed).total == 21  # items 3, 5–10 at 3
    assert score(epds, last_printed).total == 9  # items 1, 2, 4 at 3


@pytest.mark.parametrize(("total", "band"), [
    (0, "below"), (9, "below"), (10, "possible"), (12, "possible"), (13, "probable"),
    (30, "probable"),
])
def test_epds_bands(epds: Any, total: int, band: str) -> None:
    result = score(epds, answers_for(epds, total))

    assert result.total == total
    assert _band(result) == band


@pytest.mark.parametrize(("position", "kind"), [(0, "risk"), (2, "risk"), (3, None)])
def test_epds_item_10_is_critical(epds: Any, position: int, kind: str | None) -> None:
    answers = {**{f"q{number}": 3 for number in range(1, 10)}, "q10": position}

    result = score(epds, answers)

    assert [flag.kind for flag in result.flags] == ([kind] if kind else [])


def test_epds_skipped_item_10_is_risk_unknown_even_when_refused(epds: Any) -> None:
    answers = {**{f"q{number}": 3 for number in range(1, 10)}, "q10": None}

    with pytest.raises(IncompleteResponse) as raised:
        score(epds, answers)

    assert [(flag.item_key, flag.kind) for flag in raised.value.flags] == [
        ("q10", "risk_unknown")]


def test_epds_round_trips_through_json(epds: Any) -> None:
    assert definition_from_dict(json.loads(json.dumps(definition_to_dict(epds)))) == epds


# --- DASS-21 from scratch ------------------------------------------------------------------

DASS_OPTIONS = [{"label": "Did not apply to me at all", "points": 0},
                {"label": "Applied to me to some degree, or some of the time", "points": 1},
                {"label": "Applied to me to a considerable degree, or a good part of time",
                 "points": 2},
                {"label": "Applied to me very much, or most of the time", "points": 3}]


def _dass_bands(*uppers: int) -> list[dict[str, Any]]:
    keys = ["normal", "mild", "moderate", "severe", "extremely_severe"]
    lowers = [0, *(upper + 1 for upper in uppers)]
    return [{"key": key, "label": key.replace("_", " ").capitalize(), "lower": lower,
             "upper": upper} for key, lower, upper in zip(keys, lowers, [*uppers, 42],
                                                           strict=True)]


DASS_FROM_SCRATCH = {
    "key": "dass21_practice",
    "version": 3,
    "title": "DASS-21 (our copy)",
    "has_total": False,
    "missing_rule": {"kind": "prorate", "max_missing": 1},
    "items": [{"key": f"q{number}", "text": f"Statement {number}", "options": DASS_OPTIONS}
              for number in range(1, 22)],
    "subscales": [
        {"key": "depression", "title": "Depression", "multiplier": 2,
         "items": ["q3", "q5", "q10", "q13", "q16", "q17", "q21"],
         "bands": _dass_bands(9, 13, 20, 27)},
        {"key": "anxiety", "title": "Anxiety", "multiplier": 2,
         "items": ["q2", "q4", "q7", "q9", "q15", "q19", "q20"],
         "bands": _dass_bands(7, 9, 14, 19)},
        {"key": "stress", "title": "Stress", "multiplier": 2,
         "items": ["q1", "q6", "q8", "q11", "q12", "q14", "q18"],
         "bands": _dass_bands(14, 18, 25, 33)},
    ],
}


def _comparable(result: ScoreResult) -> tuple[Any, ...]:
    return (result.total, result.subscales, result.subscale_bands, result.flags,
            result.missing_items, result.prorated)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(st.none(), st.integers(0, 3)), min_size=21, max_size=21))
def test_dass21_from_scratch_scores_like_the_shipped_one(answers: list[int | None]) -> None:
    practice = definition_from_dict(DASS_FROM_SCRATCH)
    shipped = get_definition("dass21")
    by_key = {f"q{number}": value for number, value in enumerate(answers, start=1)}

    try:
        expected = score(shipped, by_key)
    except IncompleteResponse as refused:
        with pytest.raises(IncompleteResponse) as raised:
            score(practice, by_key)
        assert raised.value.missing_items == refused.missing_items
        return

    assert _comparable(score(practice, by_key)) == _comparable(expected)
