"""The shipped instruments against the clinical reference: every band boundary on both sides,
minimum and maximum, critical items, missing-item rules and reverse keying. The expected values
are written out from the reference here, not read back from the library."""

from __future__ import annotations

from collections.abc import Mapping

import pytest

from practice.measurement.definitions import InstrumentDefinition, Item
from practice.measurement.library import get_definition, shipped_keys
from practice.measurement.scoring import (
    Flag,
    IncompleteResponse,
    InvalidAnswers,
    ScoreResult,
    score,
)
from tests.measurement.helpers import answers_for, position_of

# (instrument, total, band key) — each band's lower and upper bound, which puts both sides of
# every cut point in the table, and the instrument's minimum and maximum.
TOTAL_BANDS = {
    "phq9": [(0, "minimal"), (4, "minimal"), (5, "mild"), (9, "mild"), (10, "moderate"),
             (14, "moderate"), (15, "moderately_severe"), (19, "moderately_severe"),
             (20, "severe"), (27, "severe")],
    "phq2": [(0, "negative"), (2, "negative"), (3, "positive"), (6, "positive")],
    "gad7": [(0, "minimal"), (4, "minimal"), (5, "mild"), (9, "mild"), (10, "moderate"),
             (14, "moderate"), (15, "severe"), (21, "severe")],
    "gad2": [(0, "negative"), (2, "negative"), (3, "positive"), (6, "positive")],
    "phq4": [(0, "none"), (2, "none"), (3, "mild"), (5, "mild"), (6, "moderate"),
             (8, "moderate"), (9, "severe"), (12, "severe")],
    "phq15": [(0, "minimal"), (4, "minimal"), (5, "low"), (9, "low"), (10, "medium"),
              (14, "medium"), (15, "high"), (30, "high")],
    "pcl5": [(0, "below_cutoff"), (32, "below_cutoff"), (33, "probable_ptsd"),
             (80, "probable_ptsd")],
    # percentage scale: raw 12 = 48 (poor), raw 13 = 52
    "who5": [(0, "poor"), (48, "poor"), (52, "above_threshold"), (100, "above_threshold")],
    "k10": [(10, "low"), (15, "low"), (16, "moderate"), (21, "moderate"), (22, "high"),
            (29, "high"), (30, "very_high"), (50, "very_high")],
    "k6": [(0, "below_moderate"), (4, "below_moderate"), (5, "moderate"), (12, "moderate"),
           (13, "serious"), (24, "serious")],
    "core10": [(0, "low"), (10, "low"), (11, "mild"), (14, "mild"), (15, "moderate"),
               (19, "moderate"), (20, "moderate_to_severe"), (24, "moderate_to_severe"),
               (25, "severe"), (40, "severe")],
}
TOTAL_CASES = [(key, total, band) for key, rows in TOTAL_BANDS.items() for total, band in rows]


def _score(key: str, answers: Mapping[str, int | None], **kwargs: str) -> ScoreResult:
    return score(get_definition(key), answers, **kwargs)


@pytest.mark.parametrize(("key", "total", "band"), TOTAL_CASES)
def test_total_lands_in_the_reference_band(key: str, total: int, band: str) -> None:
    definition = get_definition(key)

    result = score(definition, answers_for(definition, total))

    assert result.total == total
    assert result.band is not None
    assert result.band.key == band
    assert result.prorated is False
    assert result.missing_items == ()


def test_every_shipped_instrument_is_registered() -> None:
    assert shipped_keys() == ("phq9", "phq2", "gad7", "gad2", "phq4", "phq15", "pcl5", "who5",
                              "k10", "k6", "core10", "auditc", "cssrs_screener", "dass21", "mood")


@pytest.mark.parametrize("key", list(TOTAL_BANDS))
def test_minimum_and_maximum(key: str) -> None:
    definition = get_definition(key)
    lowest, highest = TOTAL_BANDS[key][0][0], TOTAL_BANDS[key][-1][0]
    lowest_answers = {item.key: min(range(len(item.options)), key=item.points_for)
                      for item in definition.choice_items}
    highest_answers = {item.key: max(range(len(item.options)), key=item.points_for)
                       for item in definition.scored_items}

    assert score(definition, lowest_answers).total == lowest
    assert score(definition, highest_answers).total == highest


# --- PHQ-9 ----------------------------------------------------------------------------------

PHQ9_ALL_ONES = {f"q{number}": 1 for number in range(1, 10)}


def test_phq9_item_9_at_threshold_is_a_risk_whatever_the_total() -> None:
    answers = {**{f"q{number}": 0 for number in range(1, 9)}, "q9": 1}

    result = _score("phq9", answers)

    assert result.total == 1
    assert result.band is not None and result.band.key == "minimal"
    assert [(flag.item_key, flag.kind) for flag in result.flags] == [("q9", "risk")]


def test_phq9_item_9_below_threshold_raises_no_flag() -> None:
    result = _score("phq9", {**{f"q{number}": 3 for number in range(1, 9)}, "q9": 0})

    assert result.total == 24
    assert result.flags == ()


def test_phq9_skipped_item_9_is_risk_unknown_never_zero() -> None:
    answers = {**{f"q{number}": 0 for number in range(1, 9)}, "q9": None}

    result = _score("phq9", answers)

    assert [(flag.item_key, flag.kind) for flag in result.flags] == [("q9", "risk_unknown")]
    assert result.missing_items == ("q9",)
    assert result.prorated is True


def test_phq9_prorates_two_missing_items_by_mean_substitution() -> None:
    answers = {**PHQ9_ALL_ONES, "q1": 3, "q2": None, "q3": None}  # 7 answered, sum 9

    result = _score("phq9", answers)

    assert result.total == pytest.approx(11.57, abs=0.001)  # 9 × 9 / 7
    assert result.band is not None and result.band.key == "moderate"
    assert result.prorated is True
    assert result.missing_items == ("q2", "q3")


def test_phq9_prorated_total_is_banded_unrounded() -> None:
    # 8 answered summing 4: 4 × 9 / 8 = 4.5, which rounding would lift into "mild".
    answers = {**{f"q{number}": 0 for number in range(1, 10)}, "q1": 2, "q2": 2, "q3": None}

    result = _score("phq9", answers)

    assert result.total == 4.5
    assert result.band is not None and result.band.key == "minimal"


def test_phq9_refuses_three_missing_items_but_keeps_the_flags() -> None:
    answers = {**PHQ9_ALL_ONES, "q1": None, "q2": None, "q3": None, "q9": 2}

    with pytest.raises(IncompleteResponse) as raised:
        _score("phq9", answers)

    assert raised.value.missing_items == ("q1", "q2", "q3")
    assert [(flag.item_key, flag.kind) for flag in raised.value.flags] == [("q9", "risk")]


def test_phq9_refused_with_item_9_skipped_still_reports_risk_unknown() -> None:
    answers = {**PHQ9_ALL_ONES, "q1": None, "q2": None, "q9": None}

    with pytest.raises(IncompleteResponse) as raised:
        _score("phq9", answers)

    assert raised.value.missing_items == ("q1", "q2", "q9")
    assert [(flag.item_key, flag.kind) for flag in raised.value.flags] == [
        ("q9", "risk_unknown")]


def test_phq9_difficulty_question_is_not_scored() -> None:
    without = _score("phq9", PHQ9_ALL_ONES)
    with_difficulty = _score("phq9", {**PHQ9_ALL_ONES, "q10": 3})

    assert without.total == with_difficulty.total == 9
    assert with_difficulty.missing_items == ()


def test_phq9_pins_definition_version_and_scorer() -> None:
    result = _score("phq9", PHQ9_ALL_ONES)

    assert (result.instrument_key, result.definition_version) == ("phq9", 1)
    assert (result.scorer, result.scorer_version) == ("standard", 1)


def test_answers_that_do_not_fit_are_refused() -> None:
    with pytest.raises(InvalidAnswers, match="has options 0 to 3, not 4"):
        _score("phq9", {**PHQ9_ALL_ONES, "q1": 4})
    with pytest.raises(InvalidAnswers, match="no item"):
        _score("phq9", {**PHQ9_ALL_ONES, "q11": 0})
    with pytest.raises(InvalidAnswers, match="sex must be"):
        _score("phq9", PHQ9_ALL_ONES, sex="unknown")


# --- GAD-7 and the two-item screens -----------------------------------------------------------

def test_gad7_prorates_two_missing_and_refuses_three() -> None:
    answers = {f"q{number}": 2 for number in range(1, 8)}

    prorated = _score("gad7", {**answers, "q6": None, "q7": None})
    with pytest.raises(IncompleteResponse) as raised:
        _score("gad7", {**answers, "q5": None, "q6": None, "q7": None})

    assert prorated.total == 14  # 10 × 7 / 5
    assert prorated.prorated is True
    assert raised.value.missing_items == ("q5", "q6", "q7")
    assert raised.value.flags == ()


@pytest.mark.parametrize("key", ["phq2", "gad2", "phq4", "phq15", "pcl5", "who5", "k10", "k6",
                                 "auditc"])
def test_instruments_without_a_published_rule_refuse_one_missing_item(key: str) -> None:
    definition = get_definition(key)
    answers = answers_for(definition, 0 if key != "k10" else 10)
    first = definition.scored_items[0].key

    with pytest.raises(IncompleteResponse) as raised:
        score(definition, {**answers, first: None}, sex="male")

    assert raised.value.missing_items == (first,)


# --- PHQ-4 -----------------------------------------------------------------------------------

@pytest.mark.parametrize(("anxiety", "depression", "anxiety_band", "depression_band"), [
    ((1, 1), (0, 0), "negative", "negative"),
    ((2, 1), (1, 1), "positive", "negative"),
    ((0, 2), (2, 1), "negative", "positive"),
    ((3, 3), (3, 3), "positive", "positive"),
])
def test_phq4_subscales(anxiety: tuple[int, int], depression: tuple[int, int],
                        anxiety_band: str, depression_band: str) -> None:
    answers = dict(zip(("q1", "q2", "q3", "q4"), anxiety + depression, strict=True))

    result = _score("phq4", answers)

    assert result.subscales == {"anxiety": sum(anxiety), "depression": sum(depression)}
    assert {key: band.key if band else None for key, band in result.subscale_bands.items()} == {
        "anxiety": anxiety_band, "depression": depression_band}
    assert result.total == sum(anxiety) + sum(depression)


# --- CORE-10 ---------------------------------------------------------------------------------

def test_core10_items_2_and_3_are_reverse_keyed() -> None:
    definition = get_definition("core10")
    not_at_all = {f"q{number}": 0 for number in range(1, 11)}
    most_of_the_time = {f"q{number}": 4 for number in range(1, 11)}

    assert score(definition, not_at_all).total == 8  # q2 and q3 score 4 each
    assert score(definition, most_of_the_time).total == 32
    assert definition.item("q2").points_for(0) == 4
    assert definition.item("q3").points_for(4) == 0
    assert definition.item("q1").points_for(0) == 0


def test_core10_item_6_at_threshold_flags_even_with_a_low_total() -> None:
    definition = get_definition("core10")
    answers = {**answers_for(definition, 0), "q6": position_of(definition.item("q6"), 1)}

    result = score(definition, answers)

    assert result.total == 1
    assert result.band is not None and result.band.key == "low"
    assert [(flag.item_key, flag.kind) for flag in result.flags] == [("q6", "risk")]


def test_core10_item_6_below_threshold_and_skipped() -> None:
    definition = get_definition("core10")
    answers = answers_for(definition, 20)
    answers_zero_q6 = {**answers, "q6": position_of(definition.item("q6"), 0)}

    assert score(definition, answers_zero_q6).flags == ()
    skipped = score(definition, {**answers_zero_q6, "q6": None})
    assert [(flag.item_key, flag.kind) for flag in skipped.flags] == [("q6", "risk_unknown")]


def test_core10_prorates_one_missing_item_and_refuses_two() -> None:
    definition = get_definition("core10")
    answers = answers_for(definition, 10)
    nonzero = [key for key, index in answers.items()
               if definition.item(key).points_for(index or 0) > 0]
    zero = next(key for key in answers if key not in nonzero and key != "q6")

    prorated = score(definition, {**answers, zero: None})  # 10 × 10 / 9
    with pytest.raises(IncompleteResponse) as raised:
        score(definition, {**answers, zero: None, "q6": None})

    assert prorated.total == pytest.approx(11.11, abs=0.001)
    assert prorated.band is not None and prorated.band.key == "mild"
    assert raised.value.missing_items == tuple(sorted((zero, "q6"), key=lambda k: int(k[1:])))
    assert [(flag.item_key, flag.kind) for flag in raised.value.flags] == [
        ("q6", "risk_unknown")]


# --- WHO-5 -----------------------------------------------------------------------------------

def test_who5_is_raw_times_four_and_not_reverse_keyed() -> None:
    all_of_the_time = {f"q{number}": 0 for number in range(1, 6)}  # first option scores 5

    result = _score("who5", all_of_the_time)

    assert (result.raw_total, result.total) == (25, 100)
    assert result.advisories == ()


def test_who5_raw_12_is_poor_and_raw_13_is_not() -> None:
    definition = get_definition("who5")

    poor = score(definition, answers_for(definition, 48))
    above = score(definition, answers_for(definition, 52))

    assert (poor.raw_total, poor.band and poor.band.key) == (12, "poor")
    assert (above.raw_total, above.band and above.band.key) == (13, "above_threshold")


def test_who5_item_at_0_or_1_advises_a_depression_inventory() -> None:
    definition = get_definition("who5")
    item = definition.item("q3")
    answers = {f"q{number}": 0 for number in range(1, 6)}

    at_one = score(definition, {**answers, "q3": position_of(item, 1)})
    at_two = score(definition, {**answers, "q3": position_of(item, 2)})

    assert len(at_one.advisories) == 1
    assert "depression inventory" in at_one.advisories[0]
    assert at_one.flags == ()
    assert at_two.advisories == ()


# --- DASS-21 ---------------------------------------------------------------------------------

DASS_SUBSCALE_BANDS = {
    "depression": [(0, "normal"), (8, "normal"), (10, "mild"), (12, "mild"), (14, "moderate"),
                   (20, "moderate"), (22, "severe"), (26, "severe"), (28, "extremely_severe"),
                   (42, "extremely_severe")],
    "anxiety": [(0, "normal"), (6, "normal"), (8, "mild"), (10, "moderate"), (14, "moderate"),
                (16, "severe"), (18, "severe"), (20, "extremely_severe"),
                (42, "extremely_severe")],
    "stress": [(0, "normal"), (14, "normal"), (16, "mild"), (18, "mild"), (20, "moderate"),
               (24, "moderate"), (26, "severe"), (32, "severe"), (34, "extremely_severe"),
               (42, "extremely_severe")],
}
DASS_CASES = [(subscale, value, band) for subscale, rows in DASS_SUBSCALE_BANDS.items()
              for value, band in rows]


def _dass_subscale(definition: InstrumentDefinition, key: str) -> list[Item]:
    subscale = next(s for s in definition.subscales if s.key == key)
    return [definition.item(item_key) for item_key in subscale.items]


@pytest.mark.parametrize(("subscale", "value", "band"), DASS_CASES)
def test_dass21_subscale_bands_on_doubled_scores(subscale: str, value: int, band: str) -> None:
    definition = get_definition("dass21")
    answers = answers_for(definition, value, items=_dass_subscale(definition, subscale),
                          multiplier=2)

    result = score(definition, answers)

    assert result.subscales[subscale] == value
    band_result = result.subscale_bands[subscale]
    assert band_result is not None and band_result.key == band
    assert result.total is None and result.band is None


def test_dass21_doubles_each_subscale_and_keeps_them_apart() -> None:
    definition = get_definition("dass21")
    answers = {f"q{number}": 0 for number in range(1, 22)}
    answers.update({"q3": 3, "q5": 1, "q2": 2, "q1": 1})  # depression 4, anxiety 2, stress 1

    result = score(definition, answers)

    assert result.subscales == {"depression": 8, "anxiety": 4, "stress": 2}


def test_dass21_prorates_one_missing_item_per_subscale() -> None:
    definition = get_definition("dass21")
    answers: dict[str, int | None] = {f"q{number}": 0 for number in range(1, 22)}
    answers.update({"q3": 2, "q5": 2, "q10": None})  # depression: 6 answered, sum 4

    result = score(definition, answers)

    assert result.subscales["depression"] == pytest.approx(9.33, abs=0.001)  # 4 × 7/6 × 2
    depression = result.subscale_bands["depression"]
    assert depression is not None and depression.key == "normal"  # below 10, never rounded up
    assert result.prorated is True
    assert result.missing_items == ("q10",)


def test_dass21_refuses_two_missing_items_in_one_subscale() -> None:
    answers = {f"q{number}": 0 for number in range(1, 22)}

    with pytest.raises(IncompleteResponse) as raised:
        _score("dass21", {**answers, "q3": None, "q5": None})
    spread = _score("dass21", {**answers, "q3": None, "q2": None, "q1": None})

    assert raised.value.missing_items == ("q3", "q5")
    assert spread.missing_items == ("q1", "q2", "q3")


# --- AUDIT-C ---------------------------------------------------------------------------------

@pytest.mark.parametrize(("sex", "total", "band"), [
    ("female", 0, "negative"), ("female", 2, "negative"), ("female", 3, "positive"),
    ("female", 12, "positive"),
    ("male", 0, "negative"), ("male", 3, "negative"), ("male", 4, "positive"),
    ("male", 12, "positive"),
])
def test_auditc_sex_specific_cut_offs(sex: str, total: int, band: str) -> None:
    definition = get_definition("auditc")

    result = score(definition, answers_for(definition, total), sex=sex)

    assert result.total == total
    assert result.band is not None and result.band.key == band
    assert result.sex == sex


def test_auditc_without_sex_is_not_banded_and_says_why() -> None:
    result = _score("auditc", {"q1": 1, "q2": 1, "q3": 1})

    assert result.total == 3
    assert result.band is None
    assert result.advisories == ("The cut-off depends on sex (female or male); give it to "
                                 "band this score.",)


def test_auditc_points_from_question_1_only() -> None:
    only_q1 = _score("auditc", {"q1": 4, "q2": 0, "q3": 0}, sex="male")
    spread = _score("auditc", {"q1": 3, "q2": 1, "q3": 0}, sex="male")

    assert only_q1.band is not None and only_q1.band.key == "positive"
    assert len(only_q1.advisories) == 1 and "question 1" in only_q1.advisories[0]
    assert spread.advisories == ()


# --- C-SSRS screener -------------------------------------------------------------------------

NO, YES, SKIP = 0, 1, None
ALL_NO: dict[str, int | None] = {key: NO for key in ("q1", "q2", "q3", "q4", "q5", "q6", "q6b")}


def _triage(**answers: int | None) -> ScoreResult:
    return _score("cssrs_screener", {**ALL_NO, **answers})


def _kinds(flags: tuple[Flag, ...]) -> list[tuple[str, str]]:
    return [(flag.item_key, flag.kind) for flag in flags]


@pytest.mark.parametrize(("answers", "level", "flags"), [
    ({}, "none", []),
    ({"q1": YES}, "low", []),
    ({"q2": YES}, "low", []),
    ({"q1": YES, "q2": YES}, "low", []),
    ({"q2": YES, "q3": YES}, "moderate", [("q3", "risk")]),
    ({"q6": YES, "q6b": NO}, "moderate", [("q6", "risk")]),
    ({"q2": YES, "q4": YES}, "high", [("q4", "risk")]),
    ({"q2": YES, "q5": YES}, "high", [("q5", "risk")]),
    ({"q2": YES, "q3": YES, "q4": YES, "q5": YES}, "high", [("q4", "risk")]),
    ({"q6": YES, "q6b": YES}, "high", [("q6b", "risk")]),
    ({"q1": YES, "q6": YES, "q6b": YES}, "high", [("q6b", "risk")]),
])
def test_cssrs_triage_highest_positive_answer_wins(
        answers: dict[str, int], level: str, flags: list[tuple[str, str]]) -> None:
    result = _triage(**answers)

    assert result.band is not None and result.band.key == level
    assert _kinds(result.flags) == flags
    assert result.total is None
    assert (result.scorer, result.scorer_version) == ("cssrs_triage", 1)


def test_cssrs_questions_3_to_5_may_be_skipped_after_a_no_to_question_2() -> None:
    result = _triage(q2=NO, q3=SKIP, q4=SKIP, q5=SKIP, q6b=SKIP)

    assert result.band is not None and result.band.key == "none"
    assert result.flags == ()
    assert result.missing_items == ()


def test_cssrs_skipped_intent_after_yes_to_question_2_is_risk_unknown() -> None:
    result = _triage(q2=YES, q3=NO, q4=SKIP, q5=NO)

    assert result.band is not None and result.band.key == "low"
    assert _kinds(result.flags) == [("q4", "risk_unknown")]
    assert result.missing_items == ("q4",)


def test_cssrs_behaviour_with_unknown_recency_is_at_least_moderate_and_flagged() -> None:
    result = _triage(q6=YES, q6b=SKIP)

    assert result.band is not None and result.band.key == "moderate"
    assert _kinds(result.flags) == [("q6", "risk"), ("q6b", "risk_unknown")]


def test_cssrs_skipped_always_asked_question_is_risk_unknown() -> None:
    result = _triage(q1=SKIP, q2=SKIP, q3=SKIP, q4=SKIP, q5=SKIP)

    assert result.band is not None and result.band.key == "none"
    assert _kinds(result.flags) == [("q1", "risk_unknown"), ("q2", "risk_unknown"),
                                    ("q3", "risk_unknown"), ("q4", "risk_unknown"),
                                    ("q5", "risk_unknown")]


def test_cssrs_an_answer_is_never_discarded_by_skip_logic() -> None:
    result = _triage(q2=NO, q4=YES)

    assert result.band is not None and result.band.key == "high"


# --- daily mood ------------------------------------------------------------------------------

@pytest.mark.parametrize("value", [0, 5, 10])
def test_mood_scores_its_single_item(value: int) -> None:
    result = _score("mood", {"mood": value})

    assert result.total == value
    assert result.band is None
    assert result.flags == ()


def test_mood_note_is_not_scored_and_takes_no_option() -> None:
    assert _score("mood", {"mood": 7, "note": None}).total == 7
    with pytest.raises(InvalidAnswers, match="free text"):
        _score("mood", {"mood": 7, "note": 1})
    with pytest.raises(IncompleteResponse):
        _score("mood", {})


# --- published values ------------------------------------------------------------------------

@pytest.mark.parametrize(("key", "reliable_change", "clinical_cutoff"), [
    ("phq9", 6, 10), ("gad7", 4, 8), ("core10", 6, 11), ("pcl5", 15, 33), ("who5", 10, None),
    ("phq2", None, None), ("gad2", None, None), ("phq4", None, None), ("phq15", None, None),
    ("k10", None, None), ("k6", None, None), ("auditc", None, None), ("mood", None, None),
])
def test_published_change_and_cut_off_values(key: str, reliable_change: int | None,
                                             clinical_cutoff: int | None) -> None:
    definition = get_definition(key)

    assert definition.reliable_change == reliable_change
    assert definition.clinical_cutoff == clinical_cutoff


@pytest.mark.parametrize(("key", "panel", "total"), [
    ("phq9", "44249-1", "44261-6"), ("phq2", "55757-9", "55758-7"),
    ("gad7", "69737-5", "70274-6"), ("auditc", "72109-2", "75626-2"),
    ("phq15", "69728-4", None), ("cssrs_screener", None, "93374-7"),
    ("gad2", None, None), ("phq4", None, None), ("pcl5", None, None), ("who5", None, None),
    ("k10", None, None), ("k6", None, None), ("core10", None, None), ("dass21", None, None),
])
def test_loinc_codes_only_where_the_reference_verifies_them(key: str, panel: str | None,
                                                            total: str | None) -> None:
    definition = get_definition(key)

    assert (definition.loinc_panel, definition.loinc_total) == (panel, total)


def test_phq9_item_codes() -> None:
    definition = get_definition("phq9")

    assert [item.loinc for item in definition.items] == [
        "44250-9", "44255-8", "44259-0", "44254-1", "44251-7", "44258-2", "44252-5", "44253-3",
        "44260-8", "69722-7"]
    assert [option.code for option in definition.item("q1").options] == [
        "LA6568-5", "LA6569-3", "LA6570-1", "LA6571-9"]
