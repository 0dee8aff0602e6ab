"""Outcome maths: pure functions over numbers and instrument definitions, no database.

Per episode and instrument, from the baseline (first score in the episode) and the final (last)
score:
- reliable change (Jacobson & Truax 1991) against the instrument's published threshold in points
  (``practice.measurement.scoring.reliable_change``; the practice's own where none is published);
- caseness: a score at or beyond the clinical cut-off (at or above it; at or below it where a
  higher score is better);
- NHS Talking Therapies classes (reference §9.4): recovery = a case at baseline and not at the
  end; reliable improvement / deterioration = a change of at least the threshold; reliable
  recovery = both recovery and reliable improvement; no reliable change = neither;
- clinically significant change (Jacobson & Truax classes): recovered (reliable improvement and
  crossed the cut-off), improved, unchanged, deteriorated.

Over a set of episodes (``summarise``) the rates follow NHS Talking Therapies denominators:
reliable improvement, deterioration and no reliable change over the episodes with paired scores;
recovery and reliable recovery over the paired episodes at caseness at baseline. "Paired" means
at least two scores of the instrument in the episode (the NHS counts referrals that finished a
course of treatment; Tandem does not know attended treatment sessions for every practice, so a
second score is what makes an episode count). Data completeness is the share of episodes with
paired scores. The pre-post effect size is (mean baseline − mean final) / SD of the baselines
(sample SD), signed so that a positive value is improvement.

NHS Talking Therapies judge an episode on depression and anxiety together
(``summarise_combined``, reference §9.4): PHQ-9 with GAD-7 as the anxiety measure, an episode
counting when both are paired (of the episodes that used both). A case at baseline on either;
recovery = a case at baseline and below both cut-offs at the end; reliable improvement = a
reliable improvement on at least one and a reliable deterioration on neither; reliable
deterioration = a reliable deterioration on at least one and a reliable improvement on neither;
one better and the other worse is no reliable change (the tie-break is the Talking Therapies
manual's, marked unverified in the reference: see docs/outcomes.md); reliable recovery =
recovery and reliable improvement.

A rate over fewer than ``SMALL_CELL`` episodes is never shown as a bare percentage: ``Rate``
carries its count and denominator and ``percent`` is None for a small cell.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from practice.measurement.definitions import InstrumentDefinition
from practice.measurement.scoring import (
    NoReliableChangeThreshold,
    ReliableChange,
    reliable_change,
)

SMALL_CELL = 5


class TalkingTherapies(StrEnum):
    RELIABLE_RECOVERY = "reliable_recovery"
    RECOVERY = "recovery"
    RELIABLE_IMPROVEMENT = "reliable_improvement"
    RELIABLE_DETERIORATION = "reliable_deterioration"
    NO_RELIABLE_CHANGE = "no_reliable_change"


TALKING_THERAPIES_LABELS = {
    TalkingTherapies.RELIABLE_RECOVERY: "Reliable recovery",
    TalkingTherapies.RECOVERY: "Recovery (not reliable)",
    TalkingTherapies.RELIABLE_IMPROVEMENT: "Reliable improvement",
    TalkingTherapies.RELIABLE_DETERIORATION: "Reliable deterioration",
    TalkingTherapies.NO_RELIABLE_CHANGE: "No reliable change",
}


class Significance(StrEnum):
    """Jacobson & Truax clinically significant change."""

    RECOVERED = "recovered"
    IMPROVED = "improved"
    UNCHANGED = "unchanged"
    DETERIORATED = "deteriorated"


SIGNIFICANCE_LABELS = {
    Significance.RECOVERED: "Recovered (reliable and clinically significant)",
    Significance.IMPROVED: "Reliably improved",
    Significance.UNCHANGED: "No reliable change",
    Significance.DETERIORATED: "Reliably deteriorated",
}


def is_case(definition: InstrumentDefinition, total: float) -> bool | None:
    """At or beyond the clinical cut-off; None when the instrument has no cut-off."""
    cutoff = definition.clinical_cutoff
    if cutoff is None:
        return None
    if definition.higher_is_better:
        return total <= float(cutoff)
    return total >= float(cutoff)


@dataclass(frozen=True)
class EpisodeOutcome:
    """One instrument over one episode, baseline to final. ``reliable`` is None when no
    threshold is known; the caseness fields are None when the instrument has no cut-off."""

    baseline: float
    final: float
    change: float  # final - baseline, in the instrument's points
    reliable: ReliableChange | None
    case_at_baseline: bool | None
    case_at_final: bool | None
    talking_therapies: TalkingTherapies | None
    significance: Significance | None

    @property
    def recovery(self) -> bool:
        return bool(self.case_at_baseline) and self.case_at_final is False

    @property
    def talking_therapies_label(self) -> str:
        return TALKING_THERAPIES_LABELS[self.talking_therapies] if self.talking_therapies else ""

    @property
    def significance_label(self) -> str:
        return SIGNIFICANCE_LABELS[self.significance] if self.significance else ""

    @property
    def reliable_improvement(self) -> bool:
        return self.reliable is ReliableChange.IMPROVEMENT

    @property
    def reliable_deterioration(self) -> bool:
        return self.reliable is ReliableChange.DETERIORATION

    @property
    def reliable_recovery(self) -> bool:
        return self.recovery and self.reliable_improvement


def episode_outcome(definition: InstrumentDefinition, baseline: float, final: float, *,
                    practice_threshold: float | None = None) -> EpisodeOutcome:
    reliable: ReliableChange | None
    try:
        reliable = reliable_change(definition, baseline, final,
                                   practice_threshold=practice_threshold)
    except NoReliableChangeThreshold:
        reliable = None
    case_start, case_end = is_case(definition, baseline), is_case(definition, final)
    talking: TalkingTherapies | None = None
    significance: Significance | None = None
    if reliable is not None:
        recovery = bool(case_start) and case_end is False
        improved = reliable is ReliableChange.IMPROVEMENT
        if recovery and improved:
            talking = TalkingTherapies.RELIABLE_RECOVERY
        elif recovery:
            talking = TalkingTherapies.RECOVERY
        elif improved:
            talking = TalkingTherapies.RELIABLE_IMPROVEMENT
        elif reliable is ReliableChange.DETERIORATION:
            talking = TalkingTherapies.RELIABLE_DETERIORATION
        else:
            talking = TalkingTherapies.NO_RELIABLE_CHANGE
        if improved:
            significance = (Significance.RECOVERED if recovery and case_start is not None
                            else Significance.IMPROVED)
        elif reliable is ReliableChange.DETERIORATION:
            significance = Significance.DETERIORATED
        else:
            significance = Significance.UNCHANGED
    return EpisodeOutcome(baseline=baseline, final=final, change=final - baseline,
                          reliable=reliable, case_at_baseline=case_start,
                          case_at_final=case_end, talking_therapies=talking,
                          significance=significance)


@dataclass(frozen=True)
class Rate:
    """``count`` of ``denominator`` episodes. ``percent`` is None when the denominator is below
    ``SMALL_CELL`` (a small cell is shown as its counts, never as a bare percentage)."""

    count: int
    denominator: int

    @property
    def is_small(self) -> bool:
        return self.denominator < SMALL_CELL

    @property
    def percent(self) -> float | None:
        if self.is_small:
            return None
        return 100.0 * self.count / self.denominator

    def display(self) -> str:
        if self.denominator == 0:
            return "no episodes"
        if self.is_small:
            return (f"{self.count} of {self.denominator} "
                    f"(fewer than {SMALL_CELL} episodes: no rate)")
        return f"{self.count} of {self.denominator} ({round(self.percent or 0)}%)"


@dataclass(frozen=True)
class EpisodeFigures:
    """What a report needs of one episode for one instrument."""

    episode_id: int
    client_id: int
    clinician_id: int | None
    started_at: datetime
    ended_at: datetime | None
    end_reason: str
    measures: int  # scores of the instrument in the episode
    baseline: float | None
    final: float | None

    @property
    def is_paired(self) -> bool:
        return self.measures >= 2 and self.baseline is not None and self.final is not None

    @property
    def length_days(self) -> float | None:
        if self.ended_at is None:
            return None
        return (self.ended_at - self.started_at).total_seconds() / 86400


@dataclass(frozen=True)
class Summary:
    instrument_key: str
    episodes: int
    paired: int
    completeness: Rate
    at_caseness: int
    reliable_improvement: Rate
    reliable_deterioration: Rate
    no_reliable_change: Rate
    recovery: Rate
    reliable_recovery: Rate
    has_threshold: bool
    has_cutoff: bool
    mean_baseline: float | None
    mean_final: float | None
    effect_size: float | None
    average_length_days: float | None
    average_measures: float | None

    @property
    def is_small(self) -> bool:
        return self.episodes < SMALL_CELL


def _mean(values: Sequence[float]) -> float | None:
    return sum(values) / len(values) if values else None


def pre_post_effect_size(baselines: Sequence[float], finals: Sequence[float], *,
                         higher_is_better: bool = False) -> float | None:
    """(mean baseline − mean final) / sample SD of the baselines; positive is improvement.
    None with fewer than two pairs or no spread at baseline."""
    if len(baselines) != len(finals):
        raise ValueError("baselines and finals must pair up")
    if len(baselines) < 2:
        return None
    mean_pre = sum(baselines) / len(baselines)
    variance = sum((value - mean_pre) ** 2 for value in baselines) / (len(baselines) - 1)
    if variance == 0:
        return None
    effect = (mean_pre - sum(finals) / len(finals)) / math.sqrt(variance)
    return -effect if higher_is_better else effect


def summarise(definition: InstrumentDefinition, episodes: Sequence[EpisodeFigures], *,
              practice_threshold: float | None = None) -> Summary:
    paired = [episode for episode in episodes if episode.is_paired]
    outcomes = [episode_outcome(definition, float(episode.baseline or 0),
                                float(episode.final or 0),
                                practice_threshold=practice_threshold) for episode in paired]
    has_threshold = all(outcome.reliable is not None for outcome in outcomes) and (
        definition.reliable_change is not None or practice_threshold is not None)
    cased = [outcome for outcome in outcomes if outcome.case_at_baseline]
    lengths = [length for episode in episodes
               if (length := episode.length_days) is not None]
    return Summary(
        instrument_key=definition.key,
        episodes=len(episodes),
        paired=len(paired),
        completeness=Rate(len(paired), len(episodes)),
        at_caseness=len(cased),
        reliable_improvement=Rate(sum(o.reliable_improvement for o in outcomes), len(paired)),
        reliable_deterioration=Rate(sum(o.reliable_deterioration for o in outcomes),
                                    len(paired)),
        no_reliable_change=Rate(sum(o.reliable is ReliableChange.NO_RELIABLE_CHANGE
                                    for o in outcomes), len(paired)),
        recovery=Rate(sum(o.recovery for o in cased), len(cased)),
        reliable_recovery=Rate(sum(o.reliable_recovery for o in cased), len(cased)),
        has_threshold=has_threshold,
        has_cutoff=definition.clinical_cutoff is not None,
        mean_baseline=_mean([o.baseline for o in outcomes]),
        mean_final=_mean([o.final for o in outcomes]),
        effect_size=pre_post_effect_size([o.baseline for o in outcomes],
                                         [o.final for o in outcomes],
                                         higher_is_better=definition.higher_is_better),
        average_length_days=_mean(lengths),
        average_measures=_mean([float(episode.measures) for episode in episodes]),
    )


# --- NHS Talking Therapies: depression and anxiety together ------------------------------------

COMBINED_KEY = "talking_therapies"
COMBINED_MEASURES = ("phq9", "gad7")  # depression, then the anxiety measure (ADSM)


@dataclass(frozen=True)
class CombinedOutcome:
    """One episode judged on both measures at once (see the module's docstring)."""

    depression: EpisodeOutcome
    anxiety: EpisodeOutcome

    @property
    def _both(self) -> tuple[EpisodeOutcome, EpisodeOutcome]:
        return self.depression, self.anxiety

    @property
    def case_at_baseline(self) -> bool:
        return any(bool(outcome.case_at_baseline) for outcome in self._both)

    @property
    def recovery(self) -> bool:
        return self.case_at_baseline and all(outcome.case_at_final is False
                                             for outcome in self._both)

    @property
    def reliable_improvement(self) -> bool:
        return (any(outcome.reliable_improvement for outcome in self._both)
                and not any(outcome.reliable_deterioration for outcome in self._both))

    @property
    def reliable_deterioration(self) -> bool:
        return (any(outcome.reliable_deterioration for outcome in self._both)
                and not any(outcome.reliable_improvement for outcome in self._both))

    @property
    def no_reliable_change(self) -> bool:
        return not (self.reliable_improvement or self.reliable_deterioration)

    @property
    def reliable_recovery(self) -> bool:
        return self.recovery and self.reliable_improvement


def combined_outcome(depression: EpisodeOutcome, anxiety: EpisodeOutcome) -> CombinedOutcome:
    if depression.reliable is None or anxiety.reliable is None:
        raise ValueError("both measures need a reliable-change threshold")
    if depression.case_at_baseline is None or anxiety.case_at_baseline is None:
        raise ValueError("both measures need a clinical cut-off")
    return CombinedOutcome(depression=depression, anxiety=anxiety)


def summarise_combined(depression: InstrumentDefinition, anxiety: InstrumentDefinition,
                       depression_rows: Sequence[EpisodeFigures],
                       anxiety_rows: Sequence[EpisodeFigures]) -> Summary:
    """Every episode that scored or tracked both measures (one that used only one is counted
    in that instrument's own summary, not here); paired = paired on both. The
    published thresholds and cut-offs are used (not a practice's own: the definitions are the
    NHS's)."""
    anxiety_by_episode = {row.episode_id: row for row in anxiety_rows}
    depression_by_episode = {row.episode_id: row for row in depression_rows}
    episode_ids = sorted(depression_by_episode.keys() & anxiety_by_episode.keys())
    outcomes: list[CombinedOutcome] = []
    for episode_id in episode_ids:
        first, second = depression_by_episode.get(episode_id), anxiety_by_episode.get(episode_id)
        if not (first and second and first.is_paired and second.is_paired):
            continue
        outcomes.append(combined_outcome(
            episode_outcome(depression, float(first.baseline or 0), float(first.final or 0)),
            episode_outcome(anxiety, float(second.baseline or 0), float(second.final or 0))))
    cased = [outcome for outcome in outcomes if outcome.case_at_baseline]
    lengths = [length for key in episode_ids
               if (length := depression_by_episode[key].length_days) is not None]
    return Summary(
        instrument_key=COMBINED_KEY,
        episodes=len(episode_ids),
        paired=len(outcomes),
        completeness=Rate(len(outcomes), len(episode_ids)),
        at_caseness=len(cased),
        reliable_improvement=Rate(sum(o.reliable_improvement for o in outcomes), len(outcomes)),
        reliable_deterioration=Rate(sum(o.reliable_deterioration for o in outcomes),
                                    len(outcomes)),
        no_reliable_change=Rate(sum(o.no_reliable_change for o in outcomes), len(outcomes)),
        recovery=Rate(sum(o.recovery for o in cased), len(cased)),
        reliable_recovery=Rate(sum(o.reliable_recovery for o in cased), len(cased)),
        has_threshold=True,
        has_cutoff=True,
        mean_baseline=None,
        mean_final=None,
        effect_size=None,
        average_length_days=_mean(lengths),
        average_measures=None,
    )
