"""The expected-path model, pure: no database, no request.

For an instrument and the band the baseline falls in (a stratum), the expected score at time
``t`` after the episode's baseline is proportional change on log time:

    ratio(t)       = max(floor, 1 - k * ln(1 + min(t, horizon)))
    expected       = best + (baseline - best) * ratio(weeks)
    band           = expected - tolerance .. expected + tolerance (inside the instrument's range)

``best`` is the score of no symptoms (the scale's bottom; its top where a higher score is
better, WHO-5), so a severe and a mild baseline fall by the same share, not the same points
(Karin et al. 2018). ``t`` is on one of two time scales (``TimeScale``), each with its own
parameters: the sessions held since the baseline where the client has held sessions in the
episode, otherwise the weeks since it. A score beyond the band on the worse side is a "watch";
"not on track" needs ``consecutive`` such scores in a row from the scale's ``earliest`` point on
(late responders change little before about session 6), or the PHQ-9 floor rule (17 or more from
week 4, 13 or more from week 9, 9 or more from week 14: always weeks, on either scale) while the
stratum runs on the default parameters. The defaults,
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


class TimeScale(StrEnum):
    """The path's time axis: weeks since the baseline, or sessions held since it."""

    WEEKS = "weeks"
    SESSIONS = "sessions"

    @property
    def unit(self) -> str:
        """The staff's word for one step: "week", "session"."""
        return "week" if self is TimeScale.WEEKS else "session"


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
    # In the scale's unit (weeks or sessions): the path is flat after ``horizon``, and "not on
    # track" from the band needs a latest score at or after ``earliest``.
    horizon: float
    earliest: float
    floor_rule: tuple[tuple[float, float], ...]  # (from week, score at or beyond): always weeks
    strata: tuple[Stratum, ...]
    scale: TimeScale = TimeScale.WEEKS

    def stratum_for(self, baseline: float) -> Stratum | None:
        return next((stratum for stratum in self.strata if stratum.holds(baseline)), None)

    def stratum_for_band(self, band: str) -> Stratum | None:
        return next((stratum for stratum in self.strata if stratum.band == band), None)

    def with_stratum(self, stratum: Stratum) -> PathModel:
        return replace(self, strata=tuple(stratum if item.band == stratum.band else item
                                          for item in self.strata))


@dataclass(frozen=True)
class Expected:
    time: float  # weeks or sessions since the baseline, as the model's scale says
    expected: float
    lower: float
    upper: float


def ratio(model: PathModel, k: float, time: float) -> float:
    """The share of the baseline's distance from ``best`` expected to remain ``time`` weeks or
    sessions (the model's scale) after the baseline."""
    logged = math.log1p(min(max(time, 0.0), model.horizon))
    return max(model.floor, 1.0 - k * logged)


def expected_at(model: PathModel, stratum: Stratum, baseline: float, time: float) -> Expected:
    expected = model.best + (baseline - model.best) * ratio(model, stratum.k, time)
    low, high = sorted((model.best, model.worst))
    return Expected(time=time, expected=expected,
                    lower=max(low, expected - stratum.tolerance),
                    upper=min(high, expected + stratum.tolerance))


def is_worse(model: PathModel, band: Expected, score: float) -> bool:
    """Beyond the band on the side of more symptoms."""
    return score < band.lower if model.higher_is_better else score > band.upper


def is_better(model: PathModel, band: Expected, score: float) -> bool:
    """Beyond the band on the side of fewer symptoms."""
    return score > band.upper if model.higher_is_better else score < band.lower


def floor_rule_hit(model: PathModel, stratum: Stratum, weeks: float, score: float) -> bool:
    """The published PHQ-9 cut-points, while the stratum runs on the default parameters.
    ``weeks`` since the baseline on either scale: the cut-points were found on calendar weeks."""
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
    latest: Expected | None  # the band at the latest score's time (weeks or sessions)
    latest_score: float | None
    worse_in_a_row: int
    scale: TimeScale = TimeScale.WEEKS
    latest_weeks: float | None = None  # the latest score's weeks since the baseline

    @property
    def unit(self) -> str:
        return self.scale.unit

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
              consecutive: int = DEFAULT_CONSECUTIVE, *,
              weeks: Sequence[float] | None = None) -> PathReading:
    """The status of a series: ``points`` are (time since baseline on the model's scale, score)
    after the baseline, oldest first; ``weeks`` the weeks since baseline of the latest point, for
    the floor rule (on the weeks scale the times themselves). Green within or better than the
    band, amber ("watch") beyond it on the worse side, red ("not on track") for ``consecutive``
    worse points in a row with the latest at or after the model's earliest week or session, or
    for the floor rule; grey with no later score or no path for this baseline."""
    scale = model.scale if model is not None else TimeScale.WEEKS
    stratum = model.stratum_for(baseline) if model is not None else None
    if model is None or stratum is None:
        return PathReading(PathStatus.TOO_FEW, "no_path", None, None, None, 0, scale)
    if not points:
        return PathReading(PathStatus.TOO_FEW, "one_score", stratum, None, None, 0, scale)
    if weeks is None:
        if model.scale is not TimeScale.WEEKS:
            raise ValueError("a path on sessions needs the weeks of its points (floor rule)")
        weeks = [time for time, _score in points]
    if len(weeks) != len(points):
        raise ValueError("one week count per point")
    in_a_row = 0
    for time, score in reversed(points):
        if not is_worse(model, expected_at(model, stratum, baseline, time), score):
            break
        in_a_row += 1
    time, score = points[-1]
    band = expected_at(model, stratum, baseline, time)
    if floor_rule_hit(model, stratum, weeks[-1], score):
        status, reason = PathStatus.NOT_ON_TRACK, "floor_rule"
    elif in_a_row == 0:
        status, reason = PathStatus.ON_TRACK, ""
    elif in_a_row >= consecutive and time >= model.earliest:
        status, reason = PathStatus.NOT_ON_TRACK, "band"
    else:
        status, reason = PathStatus.WATCH, "early" if time < model.earliest else "band"
    return PathReading(status, reason, stratum, band, score, in_a_row, scale, weeks[-1])


def parameters(model: PathModel, stratum: Stratum) -> dict[str, Any]:
    """What an alert records: enough to redraw the band it was raised on."""
    return {
        "instrument": model.instrument_key, "version": stratum.version,
        "scale": str(model.scale), "band": stratum.band,
        "k": stratum.k, "tolerance": stratum.tolerance, "floor": model.floor,
        "horizon": model.horizon, "earliest": model.earliest,
        # (from week, score): weeks on either scale.
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


def _model(key: str, entry: Mapping[str, Any], version: str, sources: Mapping[str, str],
           scale: TimeScale) -> PathModel:
    """The instrument's path on one time scale: the weeks parameters are the entry's own
    (``k``, ``horizon_weeks``, ``earliest_week``), the sessions ones its ``sessions`` object
    (``k``, ``horizon``, ``earliest``); the strata's tolerances are shared (points, not time)."""
    timing: Mapping[str, Any] | None
    if scale is TimeScale.WEEKS:
        timing, names = entry, ("k", "horizon_weeks", "earliest_week")
    else:
        timing = entry.get("sessions")
        if not isinstance(timing, Mapping):
            raise ParameterError(f"{key}: no parameters for the sessions scale")
        names = ("k", "horizon", "earliest")
    where = key if scale is TimeScale.WEEKS else f"{key} sessions"
    k = _number(timing, names[0], where)
    definition: InstrumentDefinition = get_definition(key)
    bands = {band.key: band for band in definition.bands}
    next_lower = {band.key: float(following.lower)
                  for band, following in itertools.pairwise(definition.bands)}
    bottom, top = float(definition.bands[0].lower), float(definition.bands[-1].upper)
    best, worst = (top, bottom) if definition.higher_is_better else (bottom, top)
    strata = []
    for item in entry["strata"]:
        band = bands.get(item["band"])
        if band is None:
            raise ParameterError(f"{key}: no band {item['band']!r}")
        source = sources.get(item.get("tolerance_source", ""), "")
        strata.append(Stratum(
            band=band.key, lower=float(band.lower), upper=next_lower.get(band.key, math.inf),
            k=k, tolerance=_number(item, "tolerance", key),
            version=version, source=source))
    floor = _number(entry, "floor", key)
    if not 0 <= floor < 1:
        raise ParameterError(f"{key}: floor must be below 1")
    return PathModel(
        instrument_key=key, best=best, worst=worst,
        higher_is_better=definition.higher_is_better, floor=floor,
        horizon=_number(timing, names[1], where),
        earliest=_number(timing, names[2], where),
        floor_rule=tuple((float(week), float(cut)) for week, cut in entry.get("floor_rule", [])),
        strata=tuple(strata), scale=scale)


SOURCE_FIELDS = ("k_source", "earliest_week_source", "floor_rule_source",
                 "floor_rule_scale_source")
SESSION_SOURCE_FIELDS = ("k_source", "horizon_source", "earliest_source")


def load_defaults(data: Mapping[str, Any],
                  scale: TimeScale = TimeScale.WEEKS) -> dict[str, PathModel]:
    version = data["version"]
    sources = data["sources"]
    if set(data.get("time_scales", {})) != {str(item) for item in TimeScale}:
        raise ParameterError("time_scales must describe weeks and sessions")
    for key, entry in data["instruments"].items():
        sessions = entry.get("sessions") or {}
        named = ([entry[name] for name in SOURCE_FIELDS if name in entry]
                 + [sessions[name] for name in SESSION_SOURCE_FIELDS if name in sessions])
        for source in named:
            if source not in sources:
                raise ParameterError(f"{key}: unknown source {source!r}")
    return {key: _model(key, entry, version, sources, scale)
            for key, entry in data["instruments"].items()}


@cache
def default_data() -> dict[str, Any]:
    return json.loads(DEFAULTS_FILE.read_text())


@cache
def default_models(scale: TimeScale = TimeScale.WEEKS) -> dict[str, PathModel]:
    """The defaults on one time scale (weeks unless asked)."""
    return load_defaults(default_data(), TimeScale(scale))


DEFAULT_VERSION: str = default_data()["version"]


# --- recalibration -------------------------------------------------------------------------------

@dataclass(frozen=True)
class Observation:
    baseline: float
    weeks: float  # a calibration is fitted on the weeks scale
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
                       model.horizon)
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
