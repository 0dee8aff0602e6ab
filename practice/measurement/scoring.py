"""Scoring: pure functions from a definition and the client's answers to an explainable result.

Answers map an item key to the 0-based position of the chosen option, or None when skipped.
Patient-safety rules that hold for every scorer:
- a critical item is judged on its own, whatever the total or band;
- a skipped critical item is never read as 0: it raises a "risk_unknown" flag;
- a response refused by the missing-item rule still carries its flags (``IncompleteResponse``),
  so a risk answer on an unscorable response reaches a clinician all the same.
Scorers are registered by name and versioned; a result names the scorer, its version and the
definition version, so a stored score can always be explained.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from fractions import Fraction
from typing import Any, Literal

from practice.measurement.definitions import (
    SEXES,
    Band,
    Condition,
    CriticalItem,
    InstrumentDefinition,
    Item,
    MissingRule,
    Number,
    band_for,
    exact,
    plain_number,
)

Answers = Mapping[str, int | None]
Points = Mapping[str, Fraction | None]
FlagKind = Literal["risk", "risk_unknown"]


class InvalidAnswers(ValueError):
    """Answers that do not fit the definition: an unknown item, an option that does not exist."""


@dataclass(frozen=True)
class Flag:
    item_key: str
    kind: FlagKind
    message: str

    def to_dict(self) -> dict[str, str]:
        return {"item": self.item_key, "kind": self.kind, "message": self.message}


@dataclass(frozen=True)
class BandResult:
    key: str
    label: str

    def to_dict(self) -> dict[str, str]:
        return {"key": self.key, "label": self.label}


class IncompleteResponse(Exception):
    """More items missing than the instrument's rule allows: the response is not scored. The
    flags are computed anyway and must be acted on."""

    def __init__(self, *, instrument_key: str, missing_items: Sequence[str],
                 flags: Sequence[Flag], detail: str) -> None:
        self.instrument_key = instrument_key
        self.missing_items = tuple(missing_items)
        self.flags = tuple(flags)
        super().__init__(detail)

    def to_dict(self) -> dict[str, Any]:
        return {"instrument": self.instrument_key, "error": "incomplete", "detail": str(self),
                "missing_items": list(self.missing_items),
                "flags": [flag.to_dict() for flag in self.flags]}


@dataclass(frozen=True)
class ScoreResult:
    instrument_key: str
    definition_version: int
    scorer: str
    scorer_version: int
    total: int | float | None  # after proration and multiplier; unrounded values show 2 dp
    raw_total: int | float | None  # before the multiplier (WHO-5 raw 0–25)
    band: BandResult | None
    subscales: Mapping[str, int | float]
    subscale_bands: Mapping[str, BandResult | None]
    flags: tuple[Flag, ...]
    advisories: tuple[str, ...]
    missing_items: tuple[str, ...]
    prorated: bool
    sex: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "instrument": self.instrument_key,
            "version": self.definition_version,
            "scorer": self.scorer,
            "scorer_version": self.scorer_version,
            "total": self.total,
            "raw_total": self.raw_total,
            "band": self.band.to_dict() if self.band else None,
            "subscales": dict(self.subscales),
            "subscale_bands": {key: band.to_dict() if band else None
                               for key, band in self.subscale_bands.items()},
            "flags": [flag.to_dict() for flag in self.flags],
            "advisories": list(self.advisories),
            "missing_items": list(self.missing_items),
            "prorated": self.prorated,
            "sex": self.sex,
        }


@dataclass(frozen=True)
class Scorer:
    name: str
    version: int
    score: Callable[[InstrumentDefinition, Points, str | None], ScoreResult]
    validate: Callable[[InstrumentDefinition], list[str]]


def score(definition: InstrumentDefinition, answers: Answers, *,
          sex: str | None = None) -> ScoreResult:
    """Score a response. Raises ``InvalidAnswers`` for answers that do not fit and
    ``IncompleteResponse`` (carrying the flags) when the missing-item rule refuses."""
    if sex is not None and sex not in SEXES:
        raise InvalidAnswers(f"sex must be one of {', '.join(SEXES)}")
    return scorers[definition.scorer].score(definition, _points(definition, answers), sex)


def answers_from_positions(definition: InstrumentDefinition,
                           positions: Sequence[int | None]) -> dict[str, int | None]:
    """Answers given in item order (choice items only; free-text items take no position).
    Trailing items that are neither scored nor critical (the PHQ-9 difficulty question) may be
    left off."""
    items = definition.choice_items
    critical = {critical.item for critical in definition.critical_items}
    needed = max((index + 1 for index, item in enumerate(items)
                  if item.scored or item.key in critical), default=0)
    if not needed <= len(positions) <= len(items):
        expected = str(len(items)) if needed == len(items) else f"{needed} to {len(items)}"
        raise InvalidAnswers(f"{definition.key} takes {expected} answers (items "
                             f"{', '.join(item.key for item in items)}), got {len(positions)}")
    return {item.key: position for item, position in zip(items, positions, strict=False)}


def _points(definition: InstrumentDefinition, answers: Answers) -> dict[str, Fraction | None]:
    unknown = [key for key in answers if key not in definition.item_keys]
    if unknown:
        raise InvalidAnswers(f"{definition.key} has no item(s) {', '.join(map(repr, unknown))}")
    points: dict[str, Fraction | None] = {}
    for item in definition.items:
        index = answers.get(item.key)
        if not item.is_choice:
            if index is not None:
                raise InvalidAnswers(f"item {item.key!r} is free text and takes no option")
            continue
        if index is None:
            points[item.key] = None
            continue
        if not isinstance(index, int) or isinstance(index, bool):
            raise InvalidAnswers(f"item {item.key!r}: the answer must be an option position")
        if not 0 <= index < len(item.options):
            raise InvalidAnswers(f"item {item.key!r} has options 0 to {len(item.options) - 1}, "
                                 f"not {index}")
        points[item.key] = item.points_for(index)
    return points


def _condition_result(condition: Condition, points: Points) -> bool | None:
    values = [points[key] for key in condition.items]
    if any(value is None for value in values):
        return None
    return condition.holds(sum((value for value in values if value is not None), Fraction(0)))


def _applicable(item: Item, points: Points) -> bool | None:
    """Whether the item was meant to be asked: False only when its skip conditions are known to
    fail; None when they depend on a skipped item (treated as applicable)."""
    verdict: bool | None = True
    for condition in item.ask_if:
        result = _condition_result(condition, points)
        if result is False:
            return False
        if result is None:
            verdict = None
    return verdict


def _is_missing(item: Item, points: Points) -> bool:
    return points[item.key] is None and _applicable(item, points) is not False


@dataclass(frozen=True)
class _Aggregate:
    value: Fraction | None  # None: refused by the missing-item rule
    raw: Fraction | None
    missing: tuple[str, ...]


def _aggregate(items: Sequence[Item], *, scoring: str, multiplier: Number, rule: MissingRule,
               points: Points) -> _Aggregate:
    missing = tuple(item.key for item in items if _is_missing(item, points))
    answered = [value for item in items if (value := points[item.key]) is not None]
    allowed = rule.max_missing if rule.kind == "prorate" else 0
    if len(missing) > allowed or (missing and not answered):
        return _Aggregate(None, None, missing)
    raw = sum(answered, Fraction(0))
    if scoring == "mean":
        raw /= len(answered)  # validation keeps skip conditions out of mean scoring
    elif missing:
        # Mean substitution: each missing item takes the mean of the answered ones.
        raw = raw * (len(answered) + len(missing)) / len(answered)
    return _Aggregate(raw * exact(multiplier), raw, missing)


def _raises(critical: CriticalItem, value: Fraction) -> bool:
    """Whether an answer scoring ``value`` on a critical item raises its risk flag."""
    return value >= exact(critical.min_points)


def _critical_flags(definition: InstrumentDefinition, points: Points) -> list[Flag]:
    flags = []
    for critical in definition.critical_items:
        item = definition.item(critical.item)
        value = points[item.key]
        if value is not None:
            if _raises(critical, value):
                flags.append(Flag(item.key, "risk", critical.message))
        elif _applicable(item, points) is not False:
            flags.append(Flag(item.key, "risk_unknown", "Not answered, so risk is unknown: "
                              f"review with the client. The item flags: {critical.message}"))
    return flags


@dataclass(frozen=True)
class OptionVerdict:
    """One option of a critical item: the points it scores and whether it raises the flag."""

    label: str
    points: int | float
    raises_flag: bool


def critical_option_verdicts(definition: InstrumentDefinition,
                             critical: CriticalItem) -> tuple[OptionVerdict, ...]:
    """Every option of a critical item, in the order listed, scored exactly as a submitted answer
    is (reverse keying, the threshold). The item must be a choice item of ``definition``."""
    item = definition.item(critical.item)
    verdicts = []
    for index, option in enumerate(item.options):
        value = _points(definition, {item.key: index})[item.key]
        assert value is not None
        verdicts.append(OptionVerdict(option.label, plain_number(value),
                                      _raises(critical, value)))
    return tuple(verdicts)


def _advisories(definition: InstrumentDefinition, points: Points) -> list[str]:
    fired = []
    for advisory in definition.advisories:
        results = [_condition_result(condition, points) for condition in advisory.conditions]
        matcher = any if advisory.match == "any" else all
        if matcher(result is True for result in results):
            fired.append(advisory.message)
    return fired


def _in_item_order(definition: InstrumentDefinition, keys: set[str]) -> tuple[str, ...]:
    return tuple(key for key in definition.item_keys if key in keys)


def _band_result(band: Band | None) -> BandResult | None:
    return BandResult(band.key, band.label) if band is not None else None


def _score_standard(definition: InstrumentDefinition, points: Points,
                    sex: str | None) -> ScoreResult:
    flags = _critical_flags(definition, points)
    advisories = _advisories(definition, points)
    missing = {flag.item_key for flag in flags if flag.kind == "risk_unknown"}
    refused: list[str] = []
    prorated = False
    total = _Aggregate(None, None, ())
    if definition.has_total:
        total = _aggregate(definition.scored_items, scoring=definition.scoring,
                           multiplier=definition.multiplier, rule=definition.missing_rule,
                           points=points)
        missing.update(total.missing)
        prorated = bool(total.missing)
        if total.value is None:
            refused.append(f"the total allows {definition.missing_rule.max_missing}")
    subscales: dict[str, Fraction] = {}
    for subscale in definition.subscales:
        rule = definition.rule_for(subscale)
        part = _aggregate([definition.item(key) for key in subscale.items],
                          scoring=definition.scoring, multiplier=subscale.multiplier,
                          rule=rule, points=points)
        missing.update(part.missing)
        prorated = prorated or bool(part.missing)
        if part.value is None:
            refused.append(f"{subscale.title} allows {rule.max_missing}")
        else:
            subscales[subscale.key] = part.value
    ordered_missing = _in_item_order(definition, missing)
    if refused:
        raise IncompleteResponse(
            instrument_key=definition.key, missing_items=ordered_missing, flags=flags,
            detail=f"{definition.title}: not scored, missing {', '.join(ordered_missing)} "
                   f"({'; '.join(refused)} missing)")
    band = None
    if total.value is not None:
        bands = definition.bands_for(sex)
        band = band_for(bands, total.value)
        if not bands and definition.sex_bands:
            advisories.append("The cut-off depends on sex (female or male); give it to band "
                              "this score.")
    return ScoreResult(
        instrument_key=definition.key,
        definition_version=definition.version,
        scorer="standard",
        scorer_version=scorers["standard"].version,
        total=None if total.value is None else plain_number(total.value),
        raw_total=None if total.raw is None else plain_number(total.raw),
        band=_band_result(band),
        subscales={key: plain_number(value) for key, value in subscales.items()},
        subscale_bands={subscale.key: _band_result(band_for(subscale.bands,
                                                            subscales[subscale.key]))
                        for subscale in definition.subscales},
        flags=tuple(flags),
        advisories=tuple(advisories),
        missing_items=ordered_missing,
        prorated=prorated,
        sex=sex,
    )


# --- C-SSRS screener triage ----------------------------------------------------------------

CSSRS_ITEMS = ("q1", "q2", "q3", "q4", "q5", "q6", "q6b")
CSSRS_LEVELS = {
    "none": "No positive answer",
    "low": "Low risk",
    "moderate": "Moderate risk",
    "high": "High risk",
}
CSSRS_HIGH = ("C-SSRS high risk (intent or a plan in the past month, or suicidal behaviour in "
              "the past 3 months): immediate evaluation and patient safety precautions.")
CSSRS_MODERATE = ("C-SSRS moderate risk (thoughts of a method, or suicidal behaviour more than "
                  "3 months ago): clinician risk assessment and safety planning.")


def _cssrs_level(points: Points) -> tuple[str, str | None]:
    """The highest positive answer wins (reference §8). Returns the level and the item that
    decided it. Any given answer counts, even one the skip logic would not have asked: a "yes"
    to intent is never discarded."""
    def yes(key: str) -> bool:
        value = points[key]
        return value is not None and value >= 1

    for key in ("q4", "q5", "q6b"):
        if yes(key):
            return "high", key
    for key in ("q3", "q6"):
        # Q6 with the 3-month question "no" or unanswered: moderate; unanswered also flags.
        if yes(key):
            return "moderate", key
    for key in ("q1", "q2"):
        if yes(key):
            return "low", key
    return "none", None


def _score_cssrs(definition: InstrumentDefinition, points: Points,
                 sex: str | None) -> ScoreResult:
    """Never refused for missing answers: the level is the highest one the answers given make
    certain, and every unanswered question that applies is flagged "risk unknown"."""
    level, decisive = _cssrs_level(points)
    flags = []
    if decisive is not None and level in ("moderate", "high"):
        flags.append(Flag(decisive, "risk", CSSRS_HIGH if level == "high" else CSSRS_MODERATE))
    missing = tuple(item.key for item in definition.choice_items if _is_missing(item, points))
    for key in missing:
        flags.append(Flag(key, "risk_unknown", "Not answered, so suicide risk is unknown and "
                          f"may be higher than {CSSRS_LEVELS[level].lower()}: review with the "
                          "client."))
    return ScoreResult(
        instrument_key=definition.key,
        definition_version=definition.version,
        scorer="cssrs_triage",
        scorer_version=scorers["cssrs_triage"].version,
        total=None,
        raw_total=None,
        band=BandResult(level, CSSRS_LEVELS[level]),
        subscales={},
        subscale_bands={},
        flags=tuple(flags),
        advisories=tuple(_advisories(definition, points)),
        missing_items=missing,
        prorated=False,
        sex=sex,
    )


def _validate_cssrs(definition: InstrumentDefinition) -> list[str]:
    messages = []
    keys = definition.item_keys
    absent = [key for key in CSSRS_ITEMS if key not in keys]
    if absent:
        messages.append(f"the C-SSRS triage scorer needs items {', '.join(CSSRS_ITEMS)}; "
                        f"missing {', '.join(absent)}")
    for key in CSSRS_ITEMS:
        if key in keys:
            item = definition.item(key)
            if not item.is_choice or item.possible_points() != (Fraction(0), Fraction(1)):
                messages.append(f"C-SSRS item {key!r} must be a yes/no choice scoring 0 and 1")
    if definition.has_total or definition.subscales or definition.critical_items:
        messages.append("the C-SSRS triage scorer derives a risk level itself: no total, "
                        "subscales or critical items")
    return messages


scorers: dict[str, Scorer] = {
    "standard": Scorer("standard", 1, _score_standard, lambda definition: []),
    "cssrs_triage": Scorer("cssrs_triage", 1, _score_cssrs, _validate_cssrs),
}


# --- change over time ------------------------------------------------------------------------

class ReliableChange(StrEnum):
    IMPROVEMENT = "improvement"
    DETERIORATION = "deterioration"
    NO_RELIABLE_CHANGE = "no_reliable_change"


class NoReliableChangeThreshold(ValueError):
    """The instrument has no published threshold and the practice has set none."""


def reliable_change(definition: InstrumentDefinition, baseline: Number, current: Number,
                    practice_threshold: Number | None = None) -> ReliableChange:
    """Compare two totals against the instrument's published reliable-change threshold (a change
    of at least the threshold is reliable), or the practice's where none is published."""
    if not definition.has_total:
        raise ValueError(f"{definition.key} has no total score to compare")
    threshold = definition.reliable_change
    if threshold is None:
        threshold = practice_threshold
    if threshold is None:
        raise NoReliableChangeThreshold(
            f"{definition.title} has no published reliable-change threshold; set one for the "
            "practice")
    if threshold <= 0:
        raise ValueError("the reliable-change threshold must be above 0")
    worsening = exact(current) - exact(baseline)
    if definition.higher_is_better:
        worsening = -worsening
    if worsening >= exact(threshold):
        return ReliableChange.DETERIORATION
    if -worsening >= exact(threshold):
        return ReliableChange.IMPROVEMENT
    return ReliableChange.NO_RELIABLE_CHANGE


TALKING_THERAPIES_KEYS = frozenset({"phq9", "gad7"})


class TalkingTherapiesClass(StrEnum):
    RELIABLE_RECOVERY = "reliable_recovery"
    RECOVERY = "recovery"
    RELIABLE_IMPROVEMENT = "reliable_improvement"
    RELIABLE_DETERIORATION = "reliable_deterioration"
    NO_RELIABLE_CHANGE = "no_reliable_change"


@dataclass(frozen=True)
class TalkingTherapiesOutcome:
    """NHS Talking Therapies outcome of one measure from first to last score (reference §9.4).
    ``outcome`` is the most specific class; the flags say which definitions are met."""

    outcome: TalkingTherapiesClass
    caseness_at_first: bool
    caseness_at_last: bool
    recovery: bool
    reliable_improvement: bool
    reliable_deterioration: bool
    reliable_recovery: bool


def talking_therapies_outcome(definition: InstrumentDefinition, first: Number,
                              last: Number) -> TalkingTherapiesOutcome:
    """Caseness is a score at or above the clinical cut-off (PHQ-9 10, GAD-7 8); recovery is
    caseness at the first score and not at the last; reliable improvement or deterioration is a
    change of at least the reliable-change threshold (PHQ-9 6, GAD-7 4); reliable recovery is
    both recovery and reliable improvement."""
    cutoff = definition.clinical_cutoff
    if definition.key not in TALKING_THERAPIES_KEYS or cutoff is None:
        raise ValueError("NHS Talking Therapies outcomes are defined for PHQ-9 and GAD-7 only")
    change = reliable_change(definition, first, last)
    caseness_at_first = exact(first) >= exact(cutoff)
    caseness_at_last = exact(last) >= exact(cutoff)
    recovery = caseness_at_first and not caseness_at_last
    improvement = change is ReliableChange.IMPROVEMENT
    deterioration = change is ReliableChange.DETERIORATION
    if recovery and improvement:
        outcome = TalkingTherapiesClass.RELIABLE_RECOVERY
    elif recovery:
        outcome = TalkingTherapiesClass.RECOVERY
    elif improvement:
        outcome = TalkingTherapiesClass.RELIABLE_IMPROVEMENT
    elif deterioration:
        outcome = TalkingTherapiesClass.RELIABLE_DETERIORATION
    else:
        outcome = TalkingTherapiesClass.NO_RELIABLE_CHANGE
    return TalkingTherapiesOutcome(
        outcome=outcome, caseness_at_first=caseness_at_first, caseness_at_last=caseness_at_last,
        recovery=recovery, reliable_improvement=improvement,
        reliable_deterioration=deterioration, reliable_recovery=recovery and improvement)
