"""The expected-path model, pure: no database, no request.

For an instrument and the band the baseline falls in (a stratum), the expected score ``weeks``
after the episode's baseline is proportional change on log time:

    ratio(weeks)   = max(floor, 1 - k * ln(1 + min(weeks, horizon_weeks)))
    expected       = best + (baseline - best) * ratio(weeks)
    band           = expected - tolerance .. expected + tolerance (inside the instrument's range)

``best`` is the score of no symptoms (the scale's bottom; its top where a higher score is
better, WHO-5), so a severe and a mild baseline fall by the same share, not the same points
(Karin et al. 2018). A score beyond the band on the worse side is a "watch"; "not on track"
needs ``consecutive`` such scores in a row from ``earliest_week`` on (late responders change
little before about week 6), or the PHQ-9 floor rule (17 or more from week 4, 13 or more from
week 9, 9 or more from week 14) while the stratum runs on the default parameters. The defaults,
each with its source, are data: ``defaults.json``. Recalibration fits ``k`` with a robust
least-squares fit (scipy) and takes the tolerance from the residuals (``fit_stratum``)."""

from __future__ import annotations

import itertools
import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from enum import StrEnum
from functools import cache
from pathlib import Path
from typing import Any

from practice.measurement.definitions import InstrumentDefinition
from practice.measurement.library import get_definition

DEFAULTS_FILE = Path(__file__).with_name("defaults.json")
# A stratum is recalibrated only on this many closed episodes with two scores or more.
MINIMUM_EPISODES = 50
# The share of scores a recalibrated band leaves on the worse side (Finch et al. 2001: tunable;
# one toolkit flags about 15% of clients per assessment).
WORSE_SIDE_SHARE = 0.15
DEFAULT_CONSECUTIVE = 2


# The clinical support questions (OQ-Analyst style; reference: expected-change.md §6).
QUESTIONS: tuple[tuple[str, str], ...] = (
    ("alliance", "Working relationship: is the alliance strained, or has the client said the "
                 "sessions are not helping?"),
    ("motivation", "Motivation: is the client ready for change, and do the goals still fit?"),
    ("social_support", "Social support: who does the client have, and has that changed?"),
    ("life_events", "Life events: has something happened (loss, conflict, work, health)?"),
    ("medication", "Medication or other care: changes, side effects, or care elsewhere?"),
    ("risk", "Risk: has risk been reviewed, and is the safety plan up to date?"),
)
ANSWERS = ("concern", "no_concern", "not_asked")
ANSWER_LABELS = {"concern": "A concern", "no_concern": "No concern", "not_asked": "Not asked yet"}


class PathStatus(StrEnum):
    ON_TRACK = "on_track"  # green
    WATCH = "watch"  # amber
    NOT_ON_TRACK = "not_on_track"  # red
    TOO_FEW = "too_few"  # grey: fewer than two scores, or no path for this baseline


COLOURS = {
    PathStatus.ON_TRACK: "green",
    PathStatus.WATCH: "amber",
    PathStatus.NOT_ON_TRACK: "red",
    PathStatus.TOO_FEW: "grey",
}


# Staff wording, always beside the colour (the client never sees these words).
STATUS_WORDS = {
    PathStatus.ON_TRACK: "On track",
    PathStatus.WATCH: "Watch",
    PathStatus.NOT_ON_TRACK: "Not on track",
    PathStatus.TOO_FEW: "Too few scores",
}
STATUS_CSS = {
    PathStatus.ON_TRACK: "ok",
    PathStatus.WATCH: "warn",
    PathStatus.NOT_ON_TRACK: "danger",
    PathStatus.TOO_FEW: "muted",
}


class ParameterError(ValueError):
    """defaults.json (or a calibration) does not describe a usable path."""


@dataclass(frozen=True)
class Stratum:
    band: str  # the instrument band the baseline falls in
    lower: float  # the baseline range: from the band's lower bound up to the next band's
    upper: float  # (exclusive; infinite for the instrument's last band)
    k: float
    tolerance: float
    version: str  # "tandem-default-1", or "practice-<calibration id>"
    source: str  # where k and the tolerance come from, in words
    episodes: int | None = None  # behind a practice calibration
    uses_floor_rule: bool = True

    def holds(self, baseline: float) -> bool:
        return self.lower <= baseline < self.upper


@dataclass(frozen=True)
class PathModel:
    instrument_key: str
    best: float
    worst: float
    higher_is_better: bool
    floor: float
    horizon_weeks: float
    earliest_week: float
    floor_rule: tuple[tuple[float, float], ...]  # (from week, score at or beyond)
    strata: tuple[Stratum, ...]

    def stratum_for(self, baseline: float) -> Stratum | None:
        return next((stratum for stratum in self.strata if stratum.holds(baseline)), None)

    def stratum_for_band(self, band: str) -> Stratum | None:
        return next((stratum for stratum in self.strata if stratum.band == band), None)

    def with_stratum(self, stratum: Stratum) -> PathModel:
        return replace(self, strata=tuple(stratum if item.band == stratum.band else item
                                          for item in self.strata))


@dataclass(frozen=True)
class Expected:
    weeks: float
    expected: float
    lower: float
    upper: float


def ratio(model: PathModel, k: float, weeks: float) -> float:
    """The share of the baseline's distance from ``best`` expected to remain."""
    time = math.log1p(min(max(weeks, 0.0), model.horizon_weeks))
    return max(model.floor, 1.0 - k * time)


def expected_at(model: PathModel, stratum: Stratum, baseline: float, weeks: float) -> Expected:
    expected = model.best + (baseline - model.best) * ratio(model, stratum.k, weeks)
    low, high = sorted((model.best, model.worst))
    return Expected(weeks=weeks, expected=expected,
                    lower=max(low, expected - stratum.tolerance),
                    upper=min(high, expected + stratum.tolerance))


def is_worse(model: PathModel, band: Expected, score: float) -> bool:
    """Beyond the band on the side of more symptoms."""
    return score < band.lower if model.higher_is_better else score > band.upper


def is_better(model: PathModel, band: Expected, score: float) -> bool:
    """Beyond the band on the side of fewer symptoms."""
    return score > band.upper if model.higher_is_better else score < band.lower


def floor_rule_hit(model: PathModel, stratum: Stratum, weeks: float, score: float) -> bool:
    """The published PHQ-9 cut-points, while the stratum runs on the default parameters."""
    if not stratum.uses_floor_rule or not model.floor_rule:
        return False
    reached = [cut for start, cut in model.floor_rule if weeks >= start]
    if not reached:
        return False
    cut = reached[-1]
    return score <= cut if model.higher_is_better else score >= cut


@dataclass(frozen=True)
class PathReading:
    status: PathStatus
    reason: str  # "", "band", "floor_rule", "early", "no_path", "one_score"
    stratum: Stratum | None
    latest: Expected | None  # the band at the latest score's week
    latest_score: float | None
    worse_in_a_row: int

    @property
    def colour(self) -> str:
        return COLOURS[self.status]

    @property
    def words(self) -> str:
        return STATUS_WORDS[self.status]

    @property
    def css(self) -> str:
        return STATUS_CSS[self.status]


def read_path(model: PathModel | None, baseline: float,
              points: Sequence[tuple[float, float]],
              consecutive: int = DEFAULT_CONSECUTIVE) -> PathReading:
    """The status of a series: ``points`` are (weeks since baseline, score) after the baseline,
    oldest first. Green within or better than the band, amber ("watch") beyond it on the worse
    side, red ("not on track") for ``consecutive`` worse points in a row with the latest at or
    after the model's earliest week, or for the floor rule; grey with no later score or no path
    for this baseline."""
    stratum = model.stratum_for(baseline) if model is not None else None
    if model is None or stratum is None:
        return PathReading(PathStatus.TOO_FEW, "no_path", None, None, None, 0)
    if not points:
        return PathReading(PathStatus.TOO_FEW, "one_score", stratum, None, None, 0)
    in_a_row = 0
    for weeks, score in reversed(points):
        if not is_worse(model, expected_at(model, stratum, baseline, weeks), score):
            break
        in_a_row += 1
    weeks, score = points[-1]
    band = expected_at(model, stratum, baseline, weeks)
    if floor_rule_hit(model, stratum, weeks, score):
        status, reason = PathStatus.NOT_ON_TRACK, "floor_rule"
    elif in_a_row == 0:
        status, reason = PathStatus.ON_TRACK, ""
    elif in_a_row >= consecutive and weeks >= model.earliest_week:
        status, reason = PathStatus.NOT_ON_TRACK, "band"
    else:
        status, reason = PathStatus.WATCH, "early" if weeks < model.earliest_week else "band"
    return PathReading(status, reason, stratum, band, score, in_a_row)


def parameters(model: PathModel, stratum: Stratum) -> dict[str, Any]:
    """What an alert records: enough to redraw the band it was raised on."""
    return {
        "instrument": model.instrument_key, "version": stratum.version, "band": stratum.band,
        "k": stratum.k, "tolerance": stratum.tolerance, "floor": model.floor,
        "horizon_weeks": model.horizon_weeks, "earliest_week": model.earliest_week,
        "floor_rule": ([list(cut) for cut in model.floor_rule]
                       if stratum.uses_floor_rule else []),
        "episodes": stratum.episodes,
    }


# --- the defaults, from data ---------------------------------------------------------------------

def _number(entry: Mapping[str, Any], name: str, where: str) -> float:
    value = entry.get(name)
    if not isinstance(value, int | float) or isinstance(value, bool) or value < 0:
        raise ParameterError(f"{where}: {name} must be a number of 0 or more")
    return float(value)


def _model(key: str, entry: Mapping[str, Any], version: str,
           sources: Mapping[str, str]) -> PathModel:
    definition: InstrumentDefinition = get_definition(key)
    bands = {band.key: band for band in definition.bands}
    next_lower = {band.key: float(following.lower)
                  for band, following in itertools.pairwise(definition.bands)}
    scale = [float(definition.bands[0].lower), float(definition.bands[-1].upper)]
    best, worst = (scale[1], scale[0]) if definition.higher_is_better else (scale[0], scale[1])
    strata = []
    for item in entry["strata"]:
        band = bands.get(item["band"])
        if band is None:
            raise ParameterError(f"{key}: no band {item['band']!r}")
        source = sources.get(item.get("tolerance_source", ""), "")
        strata.append(Stratum(
            band=band.key, lower=float(band.lower), upper=next_lower.get(band.key, math.inf),
            k=_number(entry, "k", key), tolerance=_number(item, "tolerance", key),
            version=version, source=source))
    floor = _number(entry, "floor", key)
    if not 0 <= floor < 1:
        raise ParameterError(f"{key}: floor must be below 1")
    return PathModel(
        instrument_key=key, best=best, worst=worst,
        higher_is_better=definition.higher_is_better, floor=floor,
        horizon_weeks=_number(entry, "horizon_weeks", key),
        earliest_week=_number(entry, "earliest_week", key),
        floor_rule=tuple((float(week), float(cut)) for week, cut in entry.get("floor_rule", [])),
        strata=tuple(strata))


def load_defaults(data: Mapping[str, Any]) -> dict[str, PathModel]:
    version = data["version"]
    sources = data["sources"]
    for entry in data["instruments"].values():
        for name in ("k_source", "earliest_week_source", "floor_rule_source"):
            if name in entry and entry[name] not in sources:
                raise ParameterError(f"unknown source {entry[name]!r}")
    return {key: _model(key, entry, version, sources)
            for key, entry in data["instruments"].items()}


@cache
def default_data() -> dict[str, Any]:
    return json.loads(DEFAULTS_FILE.read_text())


@cache
def default_models() -> dict[str, PathModel]:
    return load_defaults(default_data())


DEFAULT_VERSION: str = default_data()["version"]


# --- recalibration -------------------------------------------------------------------------------

@dataclass(frozen=True)
class Observation:
    baseline: float
    weeks: float
    score: float


@dataclass(frozen=True)
class Fit:
    k: float
    tolerance: float
    episodes: int
    points: int


def fit_stratum(model: PathModel, observations: Iterable[Observation], *, episodes: int,
                worse_side_share: float = WORSE_SIDE_SHARE) -> Fit:
    """Fit ``k`` to a stratum's scores after baseline with a robust least-squares fit (scipy's
    ``least_squares`` with a soft-L1 loss: a few clients far off the curve do not drag it), on
    the share of the baseline's distance from ``best`` that remains, and take the tolerance as
    the score residual that leaves ``worse_side_share`` of scores on the worse side (rounded
    to half a point, at least one)."""
    import numpy as np
    from scipy.optimize import least_squares

    rows = [item for item in observations if item.baseline != model.best]
    if not rows:
        raise ParameterError("no scores to fit")
    baseline = np.array([item.baseline for item in rows])
    weeks = np.minimum(np.maximum(np.array([item.weeks for item in rows]), 0.0),
                       model.horizon_weeks)
    score = np.array([item.score for item in rows])
    remaining = (score - model.best) / (baseline - model.best)
    time = np.log1p(weeks)

    def residuals(values: Any) -> Any:
        return remaining - np.maximum(model.floor, 1.0 - values[0] * time)

    result = least_squares(residuals, x0=[0.2], bounds=([0.0], [2.0]), loss="soft_l1",
                           f_scale=0.1)
    k = float(result.x[0])
    expected = model.best + (baseline - model.best) * np.maximum(model.floor, 1.0 - k * time)
    worse = (expected - score) if model.higher_is_better else (score - expected)
    tolerance = float(np.quantile(worse, 1.0 - worse_side_share))
    return Fit(k=round(k, 3), tolerance=max(1.0, round(tolerance * 2) / 2),
               episodes=episodes, points=len(rows))
