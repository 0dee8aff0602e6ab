"""The instrument definition format.

An instrument is versioned data: items with response options (each option carries its points,
which need not be 0..n), how the total is formed (sum or mean, times a multiplier), bands on the
total or on subscales, critical items, the missing-item rule and the published change values.
The shipped instruments and the ones a practice types in use the same format and round-trip
through plain dicts (JSON). ``validate_definition`` refuses anything that could score a response
ambiguously or leave a critical flag unable to fire; every problem is listed, in words a practice
member can act on.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, fields, is_dataclass
from fractions import Fraction
from itertools import pairwise
from typing import Any, Literal, get_args

Number = int | float
Comparison = Literal[">=", "<=", "=="]
Match = Literal["any", "all"]
ScoringMethod = Literal["sum", "mean"]
MissingKind = Literal["refuse", "prorate"]
ItemKind = Literal["choice", "text"]
Sex = Literal["female", "male"]

SEXES: tuple[str, ...] = get_args(Sex)
COMPARISONS: tuple[str, ...] = get_args(Comparison)
KEY_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
LOINC_PATTERN = re.compile(r"^\d{1,7}-\d$")
LOINC_ANSWER_PATTERN = re.compile(r"^LA\d{1,7}-\d$")
# Band coverage is checked against the exact set of reachable scores; a definition whose score
# set is larger than this is refused rather than half-checked.
MAX_REACHABLE_SCORES = 200_000


@functools.lru_cache(maxsize=4096, typed=True)
def exact(value: Number) -> Fraction:
    """A number as an exact fraction; floats are read by their decimal spelling (0.1 is 1/10),
    which is how a practice typed them. Remembered (by type too: a float and a Decimal equal to
    it can spell differently): a page reads a few dozen scores and bounds hundreds of times,
    and parsing a fraction costs more than the comparison."""
    if isinstance(value, int):
        return Fraction(value)
    return Fraction(str(value))


def plain_number(value: Fraction) -> int | float:
    """An int when whole, otherwise a float to 2 decimals (for display and JSON only; bands and
    comparisons always use the exact value)."""
    if value.denominator == 1:
        return int(value)
    return round(float(value), 2)


class DefinitionError(ValueError):
    """A definition that cannot be used; ``messages`` lists every problem found."""

    def __init__(self, messages: Sequence[str]) -> None:
        self.messages: list[str] = list(messages)
        super().__init__("invalid instrument definition: " + "; ".join(self.messages))


@dataclass(frozen=True)
class ResponseOption:
    label: str
    points: Number
    code: str | None = None  # LOINC answer code (LA…), only where the reference gives one


@dataclass(frozen=True)
class Condition:
    """Holds when the points of ``items``, summed, compare to ``points`` (e.g. q2 + q3 >= 1)."""

    items: tuple[str, ...]
    comparison: Comparison
    points: Number

    def holds(self, value: Fraction) -> bool:
        target = exact(self.points)
        if self.comparison == ">=":
            return value >= target
        if self.comparison == "<=":
            return value <= target
        return value == target


@dataclass(frozen=True)
class Item:
    key: str
    text: str
    options: tuple[ResponseOption, ...] = ()
    kind: ItemKind = "choice"
    scored: bool = True
    reverse_keyed: bool = False
    loinc: str | None = None
    # Skip logic: the item is asked only when every condition holds. A skipped item whose
    # conditions are known to fail is "not applicable" and counts 0; a given answer always counts.
    ask_if: tuple[Condition, ...] = ()

    @property
    def is_choice(self) -> bool:
        return self.kind == "choice"

    def points_for(self, index: int) -> Fraction:
        """Points scored for the option at ``index``. A reverse-keyed item scores
        (highest listed + lowest listed − listed), so 0..4 becomes 4..0."""
        listed = exact(self.options[index].points)
        if not self.reverse_keyed:
            return listed
        values = [exact(option.points) for option in self.options]
        return max(values) + min(values) - listed

    def possible_points(self) -> tuple[Fraction, ...]:
        return tuple(sorted({self.points_for(index) for index in range(len(self.options))}))


@dataclass(frozen=True)
class Band:
    """An inclusive score range. A score that falls between two bands (a prorated score, or a
    doubled DASS-21 score that skips an odd bound) belongs to the band whose lower bound it has
    reached."""

    key: str
    label: str
    lower: Number
    upper: Number


@dataclass(frozen=True)
class SexBands:
    sex: str
    bands: tuple[Band, ...]


@dataclass(frozen=True)
class MissingRule:
    """``refuse``: a missing scored item makes the response unscorable. ``prorate``: up to
    ``max_missing`` missing items are replaced by the mean of the answered ones (total × items /
    answered items), kept unrounded for banding."""

    kind: MissingKind = "refuse"
    max_missing: int = 0


@dataclass(frozen=True)
class Subscale:
    key: str
    title: str
    items: tuple[str, ...]
    multiplier: Number = 1
    bands: tuple[Band, ...] = ()
    missing_rule: MissingRule | None = None  # None: the definition's rule applies


@dataclass(frozen=True)
class CriticalItem:
    """Raises a risk flag when the item scores at least ``min_points``, whatever the total; a
    skipped critical item raises "risk unknown"."""

    item: str
    min_points: Number
    message: str


@dataclass(frozen=True)
class Advisory:
    """Guidance shown with the score that is not a risk alert (WHO-5 "an item at 0 or 1: use a
    depression inventory", AUDIT "next-higher intervention")."""

    key: str
    message: str
    conditions: tuple[Condition, ...]
    match: Match = "any"


@dataclass(frozen=True)
class InstrumentDefinition:
    key: str
    version: int
    title: str
    items: tuple[Item, ...]
    stem: str = ""
    scoring: ScoringMethod = "sum"
    multiplier: Number = 1
    has_total: bool = True
    bands: tuple[Band, ...] = ()
    sex_bands: tuple[SexBands, ...] = ()
    subscales: tuple[Subscale, ...] = ()
    critical_items: tuple[CriticalItem, ...] = ()
    advisories: tuple[Advisory, ...] = ()
    missing_rule: MissingRule = MissingRule()
    reliable_change: Number | None = None  # published threshold in total-score points
    clinical_cutoff: Number | None = None  # a total at or beyond it is a clinical case
    higher_is_better: bool = False
    loinc_panel: str | None = None
    loinc_total: str | None = None  # code of the result observation (total, or triage level)
    scorer: str = "standard"
    source: str = ""

    def item(self, key: str) -> Item:
        for item in self.items:
            if item.key == key:
                return item
        raise KeyError(key)

    @property
    def item_keys(self) -> tuple[str, ...]:
        return tuple(item.key for item in self.items)

    @property
    def choice_items(self) -> tuple[Item, ...]:
        return tuple(item for item in self.items if item.is_choice)

    @property
    def scored_items(self) -> tuple[Item, ...]:
        return tuple(item for item in self.items if item.is_choice and item.scored)

    def rule_for(self, subscale: Subscale) -> MissingRule:
        return subscale.missing_rule or self.missing_rule

    def bands_for(self, sex: str | None) -> tuple[Band, ...]:
        for sex_bands in self.sex_bands:
            if sex_bands.sex == sex:
                return sex_bands.bands
        return self.bands


def band_for(bands: Sequence[Band], value: Fraction) -> Band | None:
    """The band a score falls in: the highest band whose lower bound it has reached. Validation
    guarantees every complete response lands inside a band; a prorated score beyond the ends is
    held to the nearest band rather than left unbanded."""
    if not bands:
        return None
    chosen = bands[0]
    for band in bands:
        if value >= exact(band.lower):
            chosen = band
    return chosen


def reachable_scores(items: Sequence[Item], *, scoring: str = "sum",
                     multiplier: Number = 1) -> frozenset[Fraction]:
    """Every score a complete response to ``items`` can produce (skip-logic items may also be
    not applicable, which counts 0)."""
    sums = {Fraction(0)}
    for item in items:
        choices = set(item.possible_points())
        if item.ask_if:
            choices.add(Fraction(0))
        sums = {total + points for total in sums for points in choices}
        if len(sums) > MAX_REACHABLE_SCORES:
            raise DefinitionError([f"too many distinct possible scores to check the bands "
                                   f"(more than {MAX_REACHABLE_SCORES})"])
    divisor = len(items) if scoring == "mean" and items else 1
    factor = exact(multiplier)
    return frozenset(total / divisor * factor for total in sums)


def total_reachable(definition: InstrumentDefinition) -> frozenset[Fraction]:
    return reachable_scores(definition.scored_items, scoring=definition.scoring,
                            multiplier=definition.multiplier)


def subscale_reachable(definition: InstrumentDefinition,
                       subscale: Subscale) -> frozenset[Fraction]:
    items = [definition.item(key) for key in subscale.items]
    return reachable_scores(items, scoring=definition.scoring, multiplier=subscale.multiplier)


# --- validation ------------------------------------------------------------------------------

# The parts of a definition each group of checks reads: a part the reader could not read whole
# (a wrong type, a dropped element) is left out of the checks that need it, so its placeholder
# never produces a second, misleading message.
_TOTAL_PARTS = frozenset({"scoring", "multiplier", "has_total", "bands", "sex_bands",
                          "missing_rule", "reliable_change", "clinical_cutoff", "scorer",
                          "subscales"})
_SUBSCALE_PARTS = frozenset({"subscales", "scoring", "missing_rule"})


def validate_definition(definition: InstrumentDefinition, *,
                        unread: frozenset[str] = frozenset()) -> None:
    """Raise ``DefinitionError`` listing every problem; return quietly when the definition is
    safe to score with. ``unread`` names top-level fields the reader could not read whole (their
    problems are already listed); the checks that need them are left out."""
    messages = definition_problems(definition, unread=unread)
    if messages:
        raise DefinitionError(messages)


def definition_problems(definition: InstrumentDefinition, *,
                        unread: frozenset[str] = frozenset()) -> list[str]:
    """Every problem of ``definition``: the checks of one part never wait for another part to
    be right (a bad key does not hide a bad band key). Checks that compute possible scores run
    once the items are sound."""
    messages = _identity_problems(definition, unread)
    item_messages = [] if "items" in unread else _item_problems(definition)
    messages += item_messages
    items_sound = "items" not in unread and not item_messages
    try:
        if items_sound and not unread & _TOTAL_PARTS:
            messages += _total_problems(definition)
        else:
            messages += _band_entry_problems(definition.bands, "total")
            for sex_bands in definition.sex_bands:
                messages += _band_entry_problems(sex_bands.bands, f"{sex_bands.sex} total")
        messages += _subscale_problems(
            definition, full=items_sound and not unread & _SUBSCALE_PARTS)
    except DefinitionError as error:  # too many possible scores to check the bands
        messages += error.messages
    if items_sound:
        messages += _critical_problems(definition)
        messages += _advisory_problems(definition)
        if not unread:
            messages += _scorer_problems(definition)
    return messages


def key_hint(key: object) -> str:
    """How to write a key that is not valid: the key a practice most likely meant."""
    text = re.sub(r"[^a-z0-9_]+", "_", str(key).strip().lower()).strip("_")
    if not text or not text[0].isalpha():
        text = f"k_{text}".rstrip("_")
    return f" (write {text[:64]!r}: lower-case letters, digits and underscores, starting with " \
        "a letter)"


def _is_number(value: object) -> bool:
    return (isinstance(value, int | float) and not isinstance(value, bool)
            and math.isfinite(value))


def _fmt(value: Fraction | Number) -> str:
    if isinstance(value, Fraction):
        return str(plain_number(value))
    return str(value)


def _identity_problems(definition: InstrumentDefinition, unread: frozenset[str]) -> list[str]:
    messages = []
    if "key" not in unread and not KEY_PATTERN.match(definition.key):
        messages.append(f"instrument key {definition.key!r} must be lower-case letters, digits "
                        "and underscores, starting with a letter" + key_hint(definition.key))
    if "version" not in unread and (
            not isinstance(definition.version, int) or definition.version < 1):
        messages.append("version must be a whole number of at least 1")
    if "title" not in unread and not definition.title.strip():
        messages.append("the instrument needs a title")
    for name in ("loinc_panel", "loinc_total"):
        code = getattr(definition, name)
        if name not in unread and code is not None and not LOINC_PATTERN.match(code):
            messages.append(f"{name} {code!r} is not a LOINC code (like 44261-6)")
    return messages


def _item_problems(definition: InstrumentDefinition) -> list[str]:
    messages: list[str] = []
    if not definition.items:
        return ["the instrument needs at least one item"]
    seen: set[str] = set()
    for item in definition.items:
        if item.key in seen:
            messages.append(f"duplicate item key {item.key!r}")
        seen.add(item.key)
        messages += _one_item_problems(item)
    if messages:
        return messages
    position = {item.key: index for index, item in enumerate(definition.items)}
    for item in definition.items:
        for condition in item.ask_if:
            where = f"item {item.key!r} skip condition"
            messages += _condition_problems(condition, definition, where)
            later = [key for key in condition.items
                     if key in position and position[key] >= position[item.key]]
            if later:
                messages.append(f"{where} refers to {', '.join(map(repr, later))}, which is not "
                                "asked before it")
    return messages


def _one_item_problems(item: Item) -> list[str]:
    messages = []
    where = f"item {item.key!r}"
    if not KEY_PATTERN.match(item.key):
        messages.append(f"{where}: key must be lower-case letters, digits and underscores, "
                        "starting with a letter" + key_hint(item.key))
    if not item.text.strip():
        messages.append(f"{where} has no text")
    if item.loinc is not None and not LOINC_PATTERN.match(item.loinc):
        messages.append(f"{where}: {item.loinc!r} is not a LOINC code")
    if item.kind == "text":
        if item.options or item.scored or item.reverse_keyed or item.ask_if:
            messages.append(f"{where} is a free-text item: it cannot have options, be scored, "
                            "be reverse-keyed or have skip conditions")
        return messages
    if item.kind != "choice":
        return messages + [f"{where}: kind must be 'choice' or 'text'"]
    if len(item.options) < 2:
        messages.append(f"{where} needs at least two response options")
    labels: set[str] = set()
    for number, option in enumerate(item.options, start=1):
        at = f"{where} option {number}"
        if not option.label.strip():
            messages.append(f"{at} has no label")
        elif option.label in labels:
            messages.append(f"{at}: duplicate label {option.label!r}")
        labels.add(option.label)
        if not _is_number(option.points):
            messages.append(f"{at} ({option.label!r}) has no points: every option needs a number")
        if option.code is not None and not LOINC_ANSWER_PATTERN.match(option.code):
            messages.append(f"{at}: {option.code!r} is not a LOINC answer code (like LA6568-5)")
    return messages


def _condition_problems(condition: Condition, definition: InstrumentDefinition,
                        where: str) -> list[str]:
    messages = []
    if not condition.items:
        messages.append(f"{where} names no items")
    for key in condition.items:
        if key not in definition.item_keys:
            messages.append(f"{where} refers to unknown item {key!r}")
        elif not definition.item(key).is_choice:
            messages.append(f"{where} refers to free-text item {key!r}")
    if condition.comparison not in COMPARISONS:
        messages.append(f"{where}: comparison must be one of {', '.join(COMPARISONS)}")
    if not _is_number(condition.points):
        messages.append(f"{where}: points must be a number")
    return messages


def _rule_problems(rule: MissingRule, item_count: int, where: str) -> list[str]:
    if rule.kind == "refuse":
        if rule.max_missing != 0:
            return [f"{where}: max_missing only applies to the 'prorate' rule"]
        return []
    if rule.kind != "prorate":
        return [f"{where} must be 'refuse' or 'prorate'"]
    if not isinstance(rule.max_missing, int) or rule.max_missing < 1:
        return [f"{where}: prorating needs max_missing of at least 1"]
    if rule.max_missing >= item_count:
        return [f"{where}: prorating allows {rule.max_missing} missing items but there are only "
                f"{item_count} scored items; max_missing must be less than the item count"]
    return []


def _total_problems(definition: InstrumentDefinition) -> list[str]:
    messages = []
    if definition.scoring not in ("sum", "mean"):
        messages.append("scoring must be 'sum' or 'mean'")
    if not _is_number(definition.multiplier) or exact(definition.multiplier) <= 0:
        messages.append("the multiplier must be a number above 0")
    scored = definition.scored_items
    if definition.scoring == "mean" and any(item.ask_if for item in scored):
        messages.append("mean scoring cannot be combined with skip conditions on scored items")
    if not definition.has_total:
        present = [name for name in ("bands", "sex_bands", "reliable_change", "clinical_cutoff")
                   if getattr(definition, name)]
        if present:
            messages.append(f"the instrument has no total, so {', '.join(present)} cannot be set")
        if definition.missing_rule.kind == "prorate" and not definition.subscales:
            messages.append("a prorate rule needs a total or subscales to apply to")
        return messages
    if not scored and definition.scorer == "standard":
        return messages + ["the total needs at least one scored item"]
    messages += _rule_problems(definition.missing_rule, len(scored), "missing-item rule")
    if messages or definition.scorer != "standard":
        return messages
    reachable = total_reachable(definition)
    messages += _band_problems(definition.bands, reachable, "total")
    sexes = [sex_bands.sex for sex_bands in definition.sex_bands]
    for sex_bands in definition.sex_bands:
        if sex_bands.sex not in SEXES:
            messages.append(f"sex-specific bands: sex must be one of {', '.join(SEXES)}")
        elif sexes.count(sex_bands.sex) > 1:
            messages.append(f"sex-specific bands given twice for {sex_bands.sex!r}")
        messages += _band_problems(sex_bands.bands, reachable, f"{sex_bands.sex} total")
        if not sex_bands.bands:
            messages.append(f"sex-specific bands for {sex_bands.sex!r} are empty")
    messages += _threshold_problems(definition, reachable)
    return messages


def _threshold_problems(definition: InstrumentDefinition,
                        reachable: frozenset[Fraction]) -> list[str]:
    messages = []
    if definition.reliable_change is not None and (
            not _is_number(definition.reliable_change) or definition.reliable_change <= 0):
        messages.append("reliable_change must be a number above 0")
    cutoff = definition.clinical_cutoff
    if cutoff is not None:
        if not _is_number(cutoff):
            messages.append("clinical_cutoff must be a number")
        elif not min(reachable) <= exact(cutoff) <= max(reachable):
            messages.append(f"clinical_cutoff {cutoff} is outside the possible scores "
                            f"{_fmt(min(reachable))}–{_fmt(max(reachable))}")
    return messages


def _band_problems(bands: Sequence[Band], reachable: frozenset[Fraction],
                   where: str) -> list[str]:
    if not bands:
        return []
    messages = _band_entry_problems(bands, where)
    if messages:
        return messages
    return _band_coverage_problems(bands, reachable, where)


def _band_entry_problems(bands: Sequence[Band], where: str) -> list[str]:
    """What each band says on its own (key, label, bounds), needing no possible scores."""
    messages = []
    keys: set[str] = set()
    for band in bands:
        if not KEY_PATTERN.match(band.key):
            messages.append(f"{where} band {band.key!r}: key must be lower-case letters, digits "
                            "and underscores" + key_hint(band.key))
        elif band.key in keys:
            messages.append(f"{where} bands: duplicate key {band.key!r}")
        keys.add(band.key)
        if not band.label.strip():
            messages.append(f"{where} band {band.key!r} has no label")
        if not (_is_number(band.lower) and _is_number(band.upper)):
            messages.append(f"{where} band {band.key!r} needs numeric lower and upper bounds")
        elif band.lower > band.upper:
            messages.append(f"{where} band {band.key!r}: lower bound {band.lower} is above "
                            f"upper bound {band.upper}")
    return messages


def _band_coverage_problems(bands: Sequence[Band], reachable: frozenset[Fraction],
                            where: str) -> list[str]:
    if not bands:
        return []
    messages = []
    lowest, highest = min(reachable), max(reachable)
    span = f"{_fmt(lowest)}–{_fmt(highest)}"
    for prev, nxt in pairwise(bands):
        if exact(nxt.lower) < exact(prev.lower):
            return [f"{where} bands must be listed from the lowest scores to the highest"]
    for band in bands:
        if exact(band.lower) > highest or exact(band.upper) < lowest:
            messages.append(f"{where} band {band.key!r} ({band.lower}–{band.upper}) lies outside "
                            f"the possible scores {span}")
    if exact(bands[0].lower) > lowest:
        messages.append(f"{where} bands do not cover the lowest possible score {_fmt(lowest)}: "
                        f"the first band starts at {bands[0].lower}")
    if exact(bands[-1].upper) < highest:
        messages.append(f"{where} bands do not cover the highest possible score {_fmt(highest)}: "
                        f"the last band ends at {bands[-1].upper}")
    for prev, nxt in pairwise(bands):
        if exact(nxt.lower) <= exact(prev.upper):
            messages.append(f"{where} bands {prev.key!r} ({prev.lower}–{prev.upper}) and "
                            f"{nxt.key!r} ({nxt.lower}–{nxt.upper}) overlap")
            continue
        stranded = sorted(score for score in reachable
                          if exact(prev.upper) < score < exact(nxt.lower))
        if stranded:
            shown = ", ".join(_fmt(score) for score in stranded[:5])
            messages.append(f"{where} bands leave a gap between {prev.upper} and {nxt.lower}: "
                            f"possible score(s) {shown} fall in no band")
    return messages


def _subscale_problems(definition: InstrumentDefinition, *, full: bool) -> list[str]:
    """``full``: the items (and the parts a subscale reads) are sound, so item references and
    band coverage are checked too; otherwise only what each subscale says on its own."""
    messages: list[str] = []
    seen: set[str] = set()
    for subscale in definition.subscales:
        if subscale.key in seen:
            messages.append(f"duplicate subscale key {subscale.key!r}")
        seen.add(subscale.key)
        messages += _one_subscale_problems(definition, subscale, full=full)
    return messages


def _one_subscale_problems(definition: InstrumentDefinition, subscale: Subscale, *,
                           full: bool) -> list[str]:
    messages = []
    where = f"subscale {subscale.key!r}"
    if not KEY_PATTERN.match(subscale.key):
        messages.append(f"{where}: key must be lower-case letters, digits and underscores"
                        + key_hint(subscale.key))
    if not subscale.title.strip():
        messages.append(f"{where} has no title")
    if not subscale.items:
        messages.append(f"{where} has no items")
    if len(set(subscale.items)) != len(subscale.items):
        messages.append(f"{where} lists an item twice")
    if not _is_number(subscale.multiplier) or exact(subscale.multiplier) <= 0:
        messages.append(f"{where}: the multiplier must be a number above 0")
    band_messages = _band_entry_problems(subscale.bands, where)
    if not full or not subscale.items:
        return messages + band_messages
    scored = {item.key for item in definition.scored_items}
    unknown = [key for key in subscale.items if key not in definition.item_keys]
    unscored = [key for key in subscale.items if key in definition.item_keys and key not in scored]
    if unknown:
        messages.append(f"{where} refers to unknown item(s) {', '.join(map(repr, unknown))}")
    if unscored:
        messages.append(f"{where} includes item(s) that are not scored choice items: "
                        f"{', '.join(map(repr, unscored))}")
    messages += _rule_problems(definition.rule_for(subscale), len(subscale.items),
                               f"{where} missing-item rule")
    if messages or band_messages:
        return messages + band_messages
    return _band_coverage_problems(subscale.bands, subscale_reachable(definition, subscale),
                                   where)


def _critical_problems(definition: InstrumentDefinition) -> list[str]:
    messages = []
    for critical in definition.critical_items:
        where = f"critical item {critical.item!r}"
        if critical.item not in definition.item_keys:
            messages.append(f"{where} is not an item of this instrument")
            continue
        item = definition.item(critical.item)
        if not item.is_choice:
            messages.append(f"{where} is a free-text item; only choice items can be critical")
            continue
        if not critical.message.strip():
            messages.append(f"{where} needs a message for the clinician")
        if not _is_number(critical.min_points):
            messages.append(f"{where}: min_points must be a number")
            continue
        possible = item.possible_points()
        threshold = exact(critical.min_points)
        if possible[-1] < threshold or _double_reversal(item):
            messages += _silent_flag_problems(definition, critical)
        elif possible[0] >= threshold:
            messages.append(f"{where}: threshold {critical.min_points} is at or below the item's "
                            f"lowest points {_fmt(possible[0])}, so it would fire on every answer")
    return messages


def _double_reversal(item: Item) -> bool:
    """Reverse keyed with the points already typed from highest to lowest (3, 2, 1, 0): the two
    reversals cancel, so the first-listed answer scores the least."""
    listed = [exact(option.points) for option in item.options]
    return (item.reverse_keyed and all(a >= b for a, b in pairwise(listed))
            and listed[0] > listed[-1])


def _silent_flag_problems(definition: InstrumentDefinition, critical: CriticalItem) -> list[str]:
    """A critical item none of whose answers raises the flag, or whose points are reversed twice
    (so the flag is raised by the wrong answers), in terms of what each answer scores, computed
    by the scoring code as a submitted answer is."""
    # scoring imports this module; it is read only when validating.
    from practice.measurement.scoring import critical_option_verdicts

    item = definition.item(critical.item)
    verdicts = critical_option_verdicts(definition, critical)
    keyed = "with reverse keying " if item.reverse_keyed else ""
    scores = ", ".join(_fmt(verdict.points) for verdict in verdicts)
    start = f"item {item.key!r} is marked critical, but"
    if not any(verdict.raises_flag for verdict in verdicts):
        return [f"{start} no answer raises the flag: {keyed}its options score {scores} and the "
                f"flag needs {critical.min_points} or more"]
    typed = ", ".join(_fmt(option.points) for option in item.options)
    silent = ", ".join(repr(verdict.label) for verdict in verdicts if not verdict.raises_flag)
    return [f"{start} its points are typed from highest to lowest ({typed}) and it is also "
            f"reverse keyed, which turns them round: its options score {scores}, so {silent} "
            f"never raises the flag (it needs {critical.min_points} or more). Type the points "
            "each answer should score and leave reverse keying off, or type them from lowest to "
            "highest and keep it on"]


def _advisory_problems(definition: InstrumentDefinition) -> list[str]:
    messages = []
    keys: set[str] = set()
    for advisory in definition.advisories:
        where = f"advisory {advisory.key!r}"
        if not KEY_PATTERN.match(advisory.key) or advisory.key in keys:
            messages.append(f"{where}: key must be unique lower-case letters, digits, underscores"
                            + (key_hint(advisory.key) if not KEY_PATTERN.match(advisory.key)
                               else ""))
        keys.add(advisory.key)
        if not advisory.message.strip():
            messages.append(f"{where} has no message")
        if advisory.match not in ("any", "all"):
            messages.append(f"{where}: match must be 'any' or 'all'")
        if not advisory.conditions:
            messages.append(f"{where} has no conditions")
        for condition in advisory.conditions:
            messages += _condition_problems(condition, definition, where)
    return messages


def _scorer_problems(definition: InstrumentDefinition) -> list[str]:
    # scoring imports this module; the registry is read only when validating.
    from practice.measurement.scoring import scorers

    scorer = scorers.get(definition.scorer)
    if scorer is None:
        return [f"unknown scorer {definition.scorer!r} (known: {', '.join(sorted(scorers))})"]
    return scorer.validate(definition)


# --- plain dicts -----------------------------------------------------------------------------

def definition_to_dict(definition: InstrumentDefinition) -> dict[str, Any]:
    """The definition as JSON-ready data; ``definition_from_dict`` reads it back unchanged."""
    result = _plain(definition)
    assert isinstance(result, dict)
    return result


def _plain(value: Any) -> Any:
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, tuple | list):
        return [_plain(element) for element in value]
    return value


def definition_from_dict(data: Mapping[str, Any], *, validate: bool = True) -> InstrumentDefinition:
    """Read a definition from plain data (as stored, or as a practice entered it). Structural
    problems (a missing field, a wrong type, an unknown field) and, unless ``validate`` is false,
    every validation problem of the parts that could be read are raised together as one
    ``DefinitionError``."""
    reader = _Reader()
    definition = reader.definition(data)
    messages = list(reader.errors)
    if validate and definition is not None:
        messages += definition_problems(definition, unread=frozenset(reader.unread))
    if messages or definition is None:
        raise DefinitionError(messages or ["the definition must be an object"])
    return definition


_REQUIRED: Any = object()


def _text(value: Any) -> bool:
    return isinstance(value, str)


def _optional_text(value: Any) -> bool:
    return value is None or isinstance(value, str)


def _optional_number(value: Any) -> bool:
    return value is None or _is_number(value)


def _flag(value: Any) -> bool:
    return isinstance(value, bool)


def _whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _list(value: Any) -> bool:
    return isinstance(value, list | tuple)


def _has_nul(value: Any) -> bool:
    """PostgreSQL stores no NUL character in text or JSON, so a definition holding one is refused
    here, with its place, rather than failing when it is saved."""
    if isinstance(value, str):
        return "\x00" in value
    return _list(value) and any(isinstance(element, str) and "\x00" in element
                                for element in value)


def _string_list(value: Any) -> bool:
    return _list(value) and all(isinstance(element, str) for element in value)


# What an unreadable required field is read as, so the rest can still be checked; validation
# skips the checks of an unread field, so a placeholder never produces a message.
_PLACEHOLDERS: dict[str, Any] = {"key": "", "version": 1, "title": "", "items": (),
                                 "missing_rule": MissingRule()}


class _Reader:
    """Builds the dataclasses from plain data, collecting every structural error with a path.

    A list element with a missing or wrong-typed field is left out (its errors are listed), and
    the top-level field holding it is marked unread, as is a wrong-typed top-level field (read
    as its default): validation then skips the checks that would need it. An unknown field is
    listed but does not stop the rest from being read and checked."""

    def __init__(self) -> None:
        self.errors: list[str] = []
        self.broken = 0  # structural errors other than unknown fields
        self.unread: set[str] = set()

    def _fail(self, message: str) -> None:
        self.errors.append(message)
        self.broken += 1

    def _object(self, data: Any, path: str, known: Sequence[str]) -> Mapping[str, Any] | None:
        if not isinstance(data, Mapping):
            self._fail(f"{path}: expected an object")
            return None
        for name in sorted(set(data) - set(known), key=str):
            self.errors.append(f"{path}: unknown field {name!r}")
        return data

    def _get(self, data: Mapping[str, Any], name: str, path: str,
             check: Callable[[Any], bool], expected: str, default: Any = _REQUIRED) -> Any:
        if name not in data:
            if default is _REQUIRED:
                self._fail(f"{path}: {name!r} is required")
                return None
            return default
        value = data[name]
        if not check(value):
            self._fail(f"{path}: {name!r} must be {expected}")
            return default if default is not _REQUIRED else None
        if _has_nul(value):
            self._fail(f"{path}: {name!r} contains a NUL character (\\u0000), which cannot be "
                       "stored")
            return default if default is not _REQUIRED else None
        return value

    def _many(self, data: Mapping[str, Any], name: str, path: str,
              read: Callable[[Any, str], Any], required: bool = False) -> tuple[Any, ...]:
        raw = self._get(data, name, path, _list, "a list", _REQUIRED if required else ())
        if raw is None:
            return ()
        built = []
        for index, element in enumerate(raw):
            before = self.broken
            value = read(element, f"{path}.{name}[{index}]")
            if value is not None and self.broken == before:
                built.append(value)
        return tuple(built)

    def definition(self, data: Any) -> InstrumentDefinition | None:
        path = "definition"
        obj = self._object(data, path, [f.name for f in fields(InstrumentDefinition)])
        if obj is None:
            return None
        number = "a number"
        readers: dict[str, Callable[[], Any]] = {
            "key": lambda: self._get(obj, "key", path, _text, "text"),
            "version": lambda: self._get(obj, "version", path, _whole, "a whole number"),
            "title": lambda: self._get(obj, "title", path, _text, "text"),
            "items": lambda: self._many(obj, "items", path, self.item, required=True),
            "stem": lambda: self._get(obj, "stem", path, _text, "text", ""),
            "scoring": lambda: self._get(obj, "scoring", path, _text, "'sum' or 'mean'", "sum"),
            "multiplier": lambda: self._get(obj, "multiplier", path, _is_number, number, 1),
            "has_total": lambda: self._get(obj, "has_total", path, _flag, "true or false", True),
            "bands": lambda: self._many(obj, "bands", path, self.band),
            "sex_bands": lambda: self._many(obj, "sex_bands", path, self.sex_bands),
            "subscales": lambda: self._many(obj, "subscales", path, self.subscale),
            "critical_items": lambda: self._many(obj, "critical_items", path, self.critical),
            "advisories": lambda: self._many(obj, "advisories", path, self.advisory),
            "missing_rule": lambda: (
                MissingRule() if obj.get("missing_rule") is None
                else self.missing_rule(obj["missing_rule"], f"{path}.missing_rule")),
            "reliable_change": lambda: self._get(obj, "reliable_change", path,
                                                 _optional_number, number, None),
            "clinical_cutoff": lambda: self._get(obj, "clinical_cutoff", path,
                                                 _optional_number, number, None),
            "higher_is_better": lambda: self._get(obj, "higher_is_better", path, _flag,
                                                  "true or false", False),
            "loinc_panel": lambda: self._get(obj, "loinc_panel", path, _optional_text, "text",
                                             None),
            "loinc_total": lambda: self._get(obj, "loinc_total", path, _optional_text, "text",
                                             None),
            "scorer": lambda: self._get(obj, "scorer", path, _text, "text", "standard"),
            "source": lambda: self._get(obj, "source", path, _text, "text", ""),
        }
        values: dict[str, Any] = {}
        for name, read in readers.items():
            before = self.broken
            values[name] = read()
            if self.broken != before:
                self.unread.add(name)
                values[name] = _PLACEHOLDERS.get(name, values[name])
        return InstrumentDefinition(**values)

    def item(self, data: Any, path: str) -> Item | None:
        if isinstance(data, Mapping) and isinstance(data.get("key"), str):
            path = f"item {data['key']!r}"
        obj = self._object(data, path, [f.name for f in fields(Item)])
        if obj is None:
            return None
        key = self._get(obj, "key", path, _text, "text")
        return Item(
            key=key,
            text=self._get(obj, "text", path, _text, "text"),
            options=self._many(obj, "options", path, self.option),
            kind=self._get(obj, "kind", path, _text, "'choice' or 'text'", "choice"),
            scored=self._get(obj, "scored", path, _flag, "true or false", True),
            reverse_keyed=self._get(obj, "reverse_keyed", path, _flag, "true or false", False),
            loinc=self._get(obj, "loinc", path, _optional_text, "text", None),
            ask_if=self._many(obj, "ask_if", path, self.condition),
        )

    def option(self, data: Any, path: str) -> ResponseOption | None:
        obj = self._object(data, path, [f.name for f in fields(ResponseOption)])
        if obj is None:
            return None
        label = self._get(obj, "label", path, _text, "text")
        if "points" not in obj or obj["points"] is None:
            self._fail(f"{path} ({label!r}) has no points: every option needs a number")
            return None
        return ResponseOption(
            label=label,
            points=self._get(obj, "points", path, _is_number, "a number"),
            code=self._get(obj, "code", path, _optional_text, "text", None),
        )

    def condition(self, data: Any, path: str) -> Condition | None:
        obj = self._object(data, path, [f.name for f in fields(Condition)])
        if obj is None:
            return None
        return Condition(
            items=tuple(self._get(obj, "items", path, _string_list, "a list of item keys") or ()),
            comparison=self._get(obj, "comparison", path, _text, "'>=', '<=' or '=='"),
            points=self._get(obj, "points", path, _is_number, "a number"),
        )

    def band(self, data: Any, path: str) -> Band | None:
        obj = self._object(data, path, [f.name for f in fields(Band)])
        if obj is None:
            return None
        return Band(
            key=self._get(obj, "key", path, _text, "text"),
            label=self._get(obj, "label", path, _text, "text"),
            lower=self._get(obj, "lower", path, _is_number, "a number"),
            upper=self._get(obj, "upper", path, _is_number, "a number"),
        )

    def sex_bands(self, data: Any, path: str) -> SexBands | None:
        obj = self._object(data, path, [f.name for f in fields(SexBands)])
        if obj is None:
            return None
        return SexBands(sex=self._get(obj, "sex", path, _text, "text"),
                        bands=self._many(obj, "bands", path, self.band, required=True))

    def missing_rule(self, data: Any, path: str) -> MissingRule | None:
        obj = self._object(data, path, [f.name for f in fields(MissingRule)])
        if obj is None:
            return None
        return MissingRule(
            kind=self._get(obj, "kind", path, _text, "'refuse' or 'prorate'", "refuse"),
            max_missing=self._get(obj, "max_missing", path, _whole, "a whole number", 0),
        )

    def subscale(self, data: Any, path: str) -> Subscale | None:
        obj = self._object(data, path, [f.name for f in fields(Subscale)])
        if obj is None:
            return None
        rule = obj.get("missing_rule")
        return Subscale(
            key=self._get(obj, "key", path, _text, "text"),
            title=self._get(obj, "title", path, _text, "text"),
            items=tuple(self._get(obj, "items", path, _string_list, "a list of item keys") or ()),
            multiplier=self._get(obj, "multiplier", path, _is_number, "a number", 1),
            bands=self._many(obj, "bands", path, self.band),
            missing_rule=None if rule is None else self.missing_rule(rule, f"{path}.missing_rule"),
        )

    def critical(self, data: Any, path: str) -> CriticalItem | None:
        obj = self._object(data, path, [f.name for f in fields(CriticalItem)])
        if obj is None:
            return None
        return CriticalItem(
            item=self._get(obj, "item", path, _text, "an item key"),
            min_points=self._get(obj, "min_points", path, _is_number, "a number"),
            message=self._get(obj, "message", path, _text, "text"),
        )

    def advisory(self, data: Any, path: str) -> Advisory | None:
        obj = self._object(data, path, [f.name for f in fields(Advisory)])
        if obj is None:
            return None
        return Advisory(
            key=self._get(obj, "key", path, _text, "text"),
            message=self._get(obj, "message", path, _text, "text"),
            conditions=self._many(obj, "conditions", path, self.condition, required=True),
            match=self._get(obj, "match", path, _text, "'any' or 'all'", "any"),
        )
