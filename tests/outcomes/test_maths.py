"""Outcome maths on hand-built numbers with known answers (no database)."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import pytest

from practice.measurement.library import get_definition
from practice.measurement.scoring import ReliableChange
from practice.outcomes.maths import (
    EpisodeFigures,
    Rate,
    Significance,
    TalkingTherapies,
    combined_outcome,
    episode_outcome,
    is_case,
    pre_post_effect_size,
    summarise,
    summarise_combined,
)

TT = TalkingTherapies
START = datetime(2026, 1, 5, tzinfo=UTC)


@pytest.mark.parametrize(("key", "baseline", "final", "talking", "significance"), [
    ("phq9", 15, 9, TT.RELIABLE_RECOVERY, Significance.RECOVERED),
    ("phq9", 16, 10, TT.RELIABLE_IMPROVEMENT, Significance.IMPROVED),
    ("phq9", 14, 9, TT.RECOVERY, Significance.UNCHANGED),
    ("phq9", 9, 15, TT.RELIABLE_DETERIORATION, Significance.DETERIORATED),
    ("phq9", 9, 4, TT.NO_RELIABLE_CHANGE, Significance.UNCHANGED),
    ("gad7", 12, 7, TT.RELIABLE_RECOVERY, Significance.RECOVERED),
    ("gad7", 5, 9, TT.RELIABLE_DETERIORATION, Significance.DETERIORATED),
    # CORE-10: cut-off 11, reliable change 6
    ("core10", 20, 10, TT.RELIABLE_RECOVERY, Significance.RECOVERED),
    ("core10", 20, 14, TT.RELIABLE_IMPROVEMENT, Significance.IMPROVED),
    # WHO-5: higher is better, no cut-off, 10 points
    ("who5", 40, 52, TT.RELIABLE_IMPROVEMENT, Significance.IMPROVED),
    ("who5", 52, 40, TT.RELIABLE_DETERIORATION, Significance.DETERIORATED),
])
def test_episode_outcome(key: str, baseline: float, final: float, talking: TalkingTherapies,
                         significance: Significance) -> None:
    outcome = episode_outcome(get_definition(key), baseline, final)
    assert (outcome.talking_therapies, outcome.significance) == (talking, significance)
    assert outcome.change == final - baseline


def test_no_threshold_no_classes_unless_the_practice_sets_one() -> None:
    k10 = get_definition("k10")
    assert episode_outcome(k10, 30, 20).reliable is None
    assert episode_outcome(k10, 30, 20).talking_therapies is None
    assert episode_outcome(k10, 30, 20, practice_threshold=5).reliable is (
        ReliableChange.IMPROVEMENT)


def test_caseness_at_the_cut_off() -> None:
    assert is_case(get_definition("phq9"), 10) is True
    assert is_case(get_definition("phq9"), 9) is False
    assert is_case(get_definition("gad7"), 8) is True
    assert is_case(get_definition("who5"), 10) is None


def test_effect_size_by_hand() -> None:
    # baselines 10, 14, 18: mean 14, sample SD 4; finals 6, 8, 10: mean 8 -> d = 6 / 4
    assert pre_post_effect_size([10, 14, 18], [6, 8, 10]) == 1.5
    assert pre_post_effect_size([10, 14, 18], [6, 8, 10], higher_is_better=True) == -1.5
    assert pre_post_effect_size([10], [6]) is None
    assert pre_post_effect_size([10, 10], [6, 8]) is None


def test_rates_under_five_episodes_are_counts_only() -> None:
    assert Rate(2, 4).percent is None
    assert Rate(2, 4).display() == "2 of 4 (fewer than 5 episodes: no rate)"
    assert Rate(2, 5).percent == 40.0
    assert Rate(2, 5).display() == "2 of 5 (40%)"
    assert Rate(0, 0).display() == "no episodes"


def _figures(number: int, measures: int, baseline: float | None, final: float | None,
             days: int = 70) -> EpisodeFigures:
    return EpisodeFigures(episode_id=number, client_id=number, clinician_id=1,
                          started_at=START, ended_at=START + timedelta(days=days),
                          end_reason="completed", measures=measures, baseline=baseline,
                          final=final)


def test_summary_of_a_hand_built_caseload() -> None:
    """Six PHQ-9 episodes: one recovered reliably (20 -> 6), one reliably improved but still a
    case (22 -> 14), one reliably deteriorated (8 -> 16), one recovered but not reliably
    (12 -> 8), one unchanged (15 -> 13), and one with a single score (no pair)."""
    episodes = [
        _figures(1, 4, 20, 6, days=84),
        _figures(2, 3, 22, 14, days=56),
        _figures(3, 5, 8, 16, days=70),
        _figures(4, 2, 12, 8, days=42),
        _figures(5, 6, 15, 13, days=98),
        _figures(6, 1, 17, 17, days=14),
    ]
    summary = summarise(get_definition("phq9"), episodes)
    assert (summary.episodes, summary.paired) == (6, 5)
    assert summary.completeness == Rate(5, 6)
    assert summary.at_caseness == 4  # 20, 22, 12, 15 (8 is not a case)
    assert summary.reliable_improvement == Rate(2, 5)
    assert summary.reliable_deterioration == Rate(1, 5)
    assert summary.no_reliable_change == Rate(2, 5)
    assert summary.recovery == Rate(2, 4)  # 20 -> 6 and 12 -> 8
    assert summary.reliable_recovery == Rate(1, 4)
    assert summary.recovery.percent is None  # four at caseness: counts only
    assert summary.mean_baseline == 15.4 and summary.mean_final == 11.4
    baselines = [20, 22, 8, 12, 15]
    sd = math.sqrt(sum((value - 15.4) ** 2 for value in baselines) / 4)
    assert summary.effect_size == pytest.approx(4 / sd)
    assert summary.average_length_days == 364 / 6
    assert summary.average_measures == 21 / 6
    assert not summary.is_small


def test_summary_of_nothing() -> None:
    summary = summarise(get_definition("gad7"), [])
    assert summary.episodes == 0 and summary.is_small
    assert summary.effect_size is None and summary.average_length_days is None
    assert summary.reliable_improvement.display() == "no episodes"


def _pair(number: int, phq9: tuple[float, float] | None, gad7: tuple[float, float] | None,
          *, gad7_measures: int = 2) -> tuple[EpisodeFigures | None, EpisodeFigures | None]:
    return (_figures(number, 2, *phq9) if phq9 else None,
            _figures(number, gad7_measures, *gad7) if gad7 else None)


def test_depression_and_anxiety_together_as_talking_therapies_count() -> None:
    """Seven episodes, PHQ-9 (case >= 10, reliable 6) with GAD-7 (case >= 8, reliable 4):
    1. 18 -> 6 and 12 -> 5: both better and below both cut-offs: reliable recovery;
    2. 14 -> 9 and 10 -> 9: GAD-7 still a case, neither reliable: no reliable change;
    3. 16 -> 8 and 6 -> 11: one reliably better, the other reliably worse: no reliable change,
       and GAD-7 a case at the end, so no recovery;
    4. 8 -> 15 and 5 -> 6: reliably worse on PHQ-9, not a case at baseline on either;
    5. 9 -> 7 and 9 -> 3: a case on GAD-7 only, reliably better on it: reliable recovery;
    6. PHQ-9 paired, GAD-7 with one score: not paired on both;
    7. GAD-7 only: not counted here (GAD-7's own summary counts it)."""
    rows = [_pair(1, (18, 6), (12, 5)), _pair(2, (14, 9), (10, 9)), _pair(3, (16, 8), (6, 11)),
            _pair(4, (8, 15), (5, 6)), _pair(5, (9, 7), (9, 3)),
            _pair(6, (15, 8), (12, 12), gad7_measures=1), _pair(7, None, (14, 4))]
    summary = summarise_combined(get_definition("phq9"), get_definition("gad7"),
                                 [phq for phq, _ in rows if phq], [gad for _, gad in rows if gad])
    assert (summary.instrument_key, summary.episodes, summary.paired) == (
        "talking_therapies", 6, 5)
    assert summary.at_caseness == 4  # 1, 2, 3 and 5
    assert summary.recovery == Rate(2, 4)  # 1 and 5
    assert summary.reliable_recovery == Rate(2, 4)
    assert summary.reliable_improvement == Rate(2, 5)  # 1 and 5
    assert summary.reliable_deterioration == Rate(1, 5)  # 4
    assert summary.no_reliable_change == Rate(2, 5)  # 2 and 3
    assert summary.completeness == Rate(5, 6)
    assert summary.average_length_days == 70
    assert summary.effect_size is None and summary.mean_baseline is None


def test_one_measure_alone_is_not_the_combined_outcome() -> None:
    phq9, gad7 = get_definition("phq9"), get_definition("gad7")
    # PHQ-9 alone says recovery (12 -> 8); with GAD-7 still a case at the end, it is not.
    alone = episode_outcome(phq9, 12, 8)
    together = combined_outcome(alone, episode_outcome(gad7, 9, 9))
    assert alone.recovery and not together.recovery
    # A measure without a threshold or a cut-off cannot be combined.
    with pytest.raises(ValueError, match="cut-off"):
        combined_outcome(alone, episode_outcome(get_definition("who5"), 40, 60))
