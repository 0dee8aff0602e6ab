"""Reliable change at the threshold and one point either side, and the NHS Talking Therapies
classes for PHQ-9 (caseness 10, reliable change 6) and GAD-7 (caseness 8, reliable change 4)."""

from __future__ import annotations

import pytest

from practice.measurement.library import get_definition
from practice.measurement.scoring import (
    NoReliableChangeThreshold,
    ReliableChange,
    TalkingTherapiesClass,
    reliable_change,
    talking_therapies_outcome,
)

IMPROVEMENT, DETERIORATION, NONE = (ReliableChange.IMPROVEMENT, ReliableChange.DETERIORATION,
                                    ReliableChange.NO_RELIABLE_CHANGE)


@pytest.mark.parametrize(("key", "baseline", "current", "expected"), [
    ("phq9", 20, 15, NONE), ("phq9", 20, 14, IMPROVEMENT), ("phq9", 20, 13, IMPROVEMENT),
    ("phq9", 10, 15, NONE), ("phq9", 10, 16, DETERIORATION), ("phq9", 10, 17, DETERIORATION),
    ("gad7", 15, 12, NONE), ("gad7", 15, 11, IMPROVEMENT), ("gad7", 15, 10, IMPROVEMENT),
    ("gad7", 5, 8, NONE), ("gad7", 5, 9, DETERIORATION), ("gad7", 5, 10, DETERIORATION),
    ("core10", 20, 15, NONE), ("core10", 20, 14, IMPROVEMENT), ("core10", 14, 20, DETERIORATION),
    ("pcl5", 50, 36, NONE), ("pcl5", 50, 35, IMPROVEMENT), ("pcl5", 35, 50, DETERIORATION),
    # WHO-5: higher is better, threshold 10 percentage points
    ("who5", 40, 48, NONE), ("who5", 40, 52, IMPROVEMENT), ("who5", 52, 40, DETERIORATION),
    ("phq9", 12.86, 6.86, IMPROVEMENT), ("phq9", 12.86, 6.87, NONE),
])
def test_reliable_change_at_the_published_threshold(key: str, baseline: float, current: float,
                                                    expected: ReliableChange) -> None:
    assert reliable_change(get_definition(key), baseline, current) is expected


def test_practice_threshold_applies_only_where_none_is_published() -> None:
    k10 = get_definition("k10")

    assert reliable_change(k10, 30, 25, practice_threshold=5) is IMPROVEMENT
    assert reliable_change(k10, 30, 26, practice_threshold=5) is NONE
    assert reliable_change(get_definition("phq9"), 20, 15, practice_threshold=3) is NONE


@pytest.mark.parametrize("key", ["k10", "k6", "phq2", "gad2", "phq4", "phq15", "auditc", "mood"])
def test_no_published_threshold_and_no_practice_setting_is_an_error(key: str) -> None:
    with pytest.raises(NoReliableChangeThreshold):
        reliable_change(get_definition(key), 10, 20)


def test_instruments_without_a_total_have_no_reliable_change() -> None:
    with pytest.raises(ValueError, match="no total"):
        reliable_change(get_definition("dass21"), 10, 20, practice_threshold=5)


TT = TalkingTherapiesClass


@pytest.mark.parametrize(("key", "first", "last", "expected"), [
    # PHQ-9: caseness >= 10, reliable change 6
    ("phq9", 15, 9, TT.RELIABLE_RECOVERY),
    ("phq9", 16, 10, TT.RELIABLE_IMPROVEMENT),  # still at caseness
    ("phq9", 15, 10, TT.NO_RELIABLE_CHANGE),  # 5 points, still at caseness
    ("phq9", 14, 9, TT.RECOVERY),  # 5 points: recovered but not reliably
    ("phq9", 10, 9, TT.RECOVERY),
    ("phq9", 9, 3, TT.RELIABLE_IMPROVEMENT),  # not a case at the start: no recovery
    ("phq9", 9, 4, TT.NO_RELIABLE_CHANGE),
    ("phq9", 9, 15, TT.RELIABLE_DETERIORATION),
    ("phq9", 9, 14, TT.NO_RELIABLE_CHANGE),
    ("phq9", 20, 26, TT.RELIABLE_DETERIORATION),
    # GAD-7: caseness >= 8, reliable change 4
    ("gad7", 12, 7, TT.RELIABLE_RECOVERY),
    ("gad7", 11, 7, TT.RELIABLE_RECOVERY),
    ("gad7", 10, 7, TT.RECOVERY),
    ("gad7", 8, 7, TT.RECOVERY),
    ("gad7", 12, 8, TT.RELIABLE_IMPROVEMENT),
    ("gad7", 12, 9, TT.NO_RELIABLE_CHANGE),
    ("gad7", 7, 3, TT.RELIABLE_IMPROVEMENT),
    ("gad7", 5, 9, TT.RELIABLE_DETERIORATION),
    ("gad7", 5, 8, TT.NO_RELIABLE_CHANGE),
])
def test_talking_therapies_classes(key: str, first: int, last: int,
                                   expected: TalkingTherapiesClass) -> None:
    assert talking_therapies_outcome(get_definition(key), first, last).outcome is expected


def test_talking_therapies_reports_each_definition_met() -> None:
    outcome = talking_therapies_outcome(get_definition("phq9"), 15, 9)

    assert outcome.caseness_at_first is True
    assert outcome.caseness_at_last is False
    assert outcome.recovery is True
    assert outcome.reliable_improvement is True
    assert outcome.reliable_recovery is True
    assert outcome.reliable_deterioration is False


@pytest.mark.parametrize("key", ["core10", "pcl5", "who5", "k10"])
def test_talking_therapies_classes_are_for_phq9_and_gad7_only(key: str) -> None:
    with pytest.raises(ValueError, match="PHQ-9 and GAD-7"):
        talking_therapies_outcome(get_definition(key), 20, 10)
