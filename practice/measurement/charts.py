"""Trend charts drawn on the server: SVG with the severity bands shaded, and the same numbers as
rows for the table that sits beside every chart (screen readers read the table; the SVG carries a
title and a one-sentence summary). Pure: no database, no request; every piece of text is escaped.

Band shading follows scoring's rule for a score between two bands (it belongs to the band whose
lower bound it has reached), so band ``i`` is shaded from its lower bound up to the next band's
lower bound and the shading covers the whole scale without gaps.
"""

from __future__ import annotations

import functools
import hashlib
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from html import escape
from typing import Any

from django.utils.dates import MONTHS_3
from django.utils.safestring import mark_safe
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from practice.measurement.definitions import (
    Band,
    DefinitionError,
    InstrumentDefinition,
    band_for,
    exact,
    total_reachable,
)
from practice.measurement.scoring import (
    TALKING_THERAPIES_KEYS,
    ReliableChange,
    reliable_change,
    talking_therapies_outcome,
)

Point = tuple[datetime, float]


@dataclass(frozen=True)
class ExactEnds:
    """The first (baseline) and last scores of a series drawn as averages, and how many scores
    there are: what a chart of means says in words and marks reliable change against."""

    first: Point
    last: Point
    count: int

# Light fills from calm to severe; the text on them stays dark (contrast well above 4.5:1).
BAND_FILLS = ("#e3f1e6", "#eef3d9", "#fbf0d0", "#fbe0cc", "#f7d2d2", "#efc6d9")
LINE = "#1f4e79"
IMPROVEMENT = "#1b6e35"
DETERIORATION = "#a4161a"
TEXT = "#1a1a1a"
FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif"

# Lazy: in the language of the page (the portal's client may read Spanish).
CHANGE_WORDS = {
    ReliableChange.IMPROVEMENT: gettext_lazy("reliable improvement"),
    ReliableChange.DETERIORATION: gettext_lazy("reliable deterioration"),
    ReliableChange.NO_RELIABLE_CHANGE: gettext_lazy("no reliable change"),
}


@dataclass(frozen=True)
class _Frame:
    """Where the plot sits inside the SVG, and how scores and times map onto it."""

    left: float
    right: float
    top: float
    bottom: float
    low: float
    high: float

    def y(self, value: float) -> float:
        span = self.high - self.low or 1.0
        return self.bottom - (value - self.low) / span * (self.bottom - self.top)

    def x(self, moment: datetime, first: datetime, last: datetime) -> float:
        span = (last - first).total_seconds()
        if span <= 0:
            return (self.left + self.right) / 2
        fraction = (moment - first).total_seconds() / span
        # Inset so the first and last markers are not cut by the axis or the band labels.
        inset = 8
        return self.left + inset + fraction * (self.right - self.left - 2 * inset)


def _number(value: float) -> str:
    """A score as people write it: 12, 12.5 (never 12.0)."""
    rounded = round(float(value), 2)
    return str(int(rounded)) if rounded == int(rounded) else f"{rounded:g}"


def _coordinate(value: float) -> str:
    return f"{value:.1f}"


@functools.lru_cache(maxsize=16)
def _month_names(language: str | None) -> tuple[str, ...]:
    """The twelve short month names in `language`, translated once (a lazy string translates
    again on every use, and a long chart labels hundreds of points)."""
    return ("", *(str(MONTHS_3[month]).title() for month in range(1, 13)))


def _day(moment: datetime, *, with_year: bool = True) -> str:
    """"7 Dec 2026" ("j M Y"), the month's name in the language of the page: written directly
    (Django's dateformat costs a quarter of a millisecond a call, and a long chart labels
    hundreds of points)."""
    month = _month_names(get_language())[moment.month]
    return f"{moment.day} {month} {moment.year}" if with_year else f"{moment.day} {month}"


def _text(value: object) -> str:
    return escape(str(value), quote=True)


def _scale(definition: InstrumentDefinition, values: Sequence[float]) -> tuple[float, float]:
    """The y range: the bands' span, else every score the instrument can produce, widened to
    hold every plotted value."""
    bands = definition.bands
    if bands:
        low, high = float(bands[0].lower), float(bands[-1].upper)
    else:
        try:
            reachable = total_reachable(definition) if definition.has_total else frozenset()
        except DefinitionError:
            reachable = frozenset()
        if reachable:
            low, high = float(min(reachable)), float(max(reachable))
        elif values:
            low, high = min(values), max(values)
        else:
            low, high = 0.0, 1.0
    if values:
        low, high = min(low, *values), max(high, *values)
    if high <= low:
        high = low + 1
    return low, high


def band_spans(bands: Sequence[Band], low: float, high: float) -> list[tuple[Band, float, float]]:
    """Each band with the score range it shades: from its lower bound to the next band's lower
    bound; the first starts at the scale's bottom and the last ends at its top."""
    spans = []
    for index, band in enumerate(bands):
        start = low if index == 0 else float(band.lower)
        end = float(bands[index + 1].lower) if index + 1 < len(bands) else high
        spans.append((band, start, end))
    return spans


def _band_fill(index: int, count: int, higher_is_better: bool) -> str:
    if count <= 1:
        return BAND_FILLS[0]
    position = round(index * (len(BAND_FILLS) - 1) / (count - 1))
    if higher_is_better:
        position = len(BAND_FILLS) - 1 - position
    return BAND_FILLS[position]


def _truncate(label: str, limit: int) -> str:
    return label if len(label) <= limit else label[: limit - 1].rstrip() + "…"


def _ticks(definition: InstrumentDefinition, frame: _Frame) -> list[float]:
    """Y-axis ticks at the band boundaries (the numbers clinicians read), else five steps."""
    if definition.bands:
        candidates = [float(band.lower) for band in definition.bands] + [frame.high]
    else:
        step = _nice_step((frame.high - frame.low) / 4)
        first = math.ceil(frame.low / step) * step
        candidates = [first + step * index
                      for index in range(int((frame.high - first) / step) + 1)]
        candidates += [frame.low, frame.high]
    ticks: list[float] = []
    for value in sorted(set(candidates)):
        if not frame.low <= value <= frame.high:
            continue
        if ticks and abs(frame.y(ticks[-1]) - frame.y(value)) < 12:
            continue
        ticks.append(value)
    return ticks


def _nice_step(rough: float) -> float:
    """1, 2, 2.5 or 5 times a power of ten, at least ``rough``."""
    if rough <= 0:
        return 1.0
    power = 10 ** math.floor(math.log10(rough))
    return next(factor * power for factor in (1, 2, 2.5, 5, 10) if factor * power >= rough)


def _reliable_marks(definition: InstrumentDefinition, points: Sequence[Point],
                    exact_ends: ExactEnds | None = None) -> list[ReliableChange | None]:
    """Each point's reliable change from the first (baseline; of a chart of averages, the
    first score itself); None when not comparable."""
    if not points or definition.reliable_change is None or not definition.has_total:
        return [None] * len(points)
    baseline = exact_ends.first[1] if exact_ends else points[0][1]
    marks: list[ReliableChange | None] = [None]
    # Scores repeat (a PHQ-9 has 28 possible totals): each is compared once.
    seen: dict[float, ReliableChange] = {}
    for _moment, value in points[1:]:
        if value not in seen:
            seen[value] = reliable_change(definition, baseline, value)
        marks.append(seen[value])
    return marks


def _band_label(definition: InstrumentDefinition, value: float,
                seen: dict[float, str | None]) -> str | None:
    if value not in seen:
        band = band_for(definition.bands, exact(value)) if definition.bands else None
        seen[value] = band.label if band else None
    return seen[value]


def _means(points: Sequence[Point], period: Callable[[datetime], tuple[int, int]]
           ) -> list[Point]:
    """One point per period: the mean of its scores, at its last moment."""
    groups: dict[tuple[int, int], list[Point]] = {}
    for moment, value in points:
        groups.setdefault(period(moment), []).append((moment, value))
    return [(group[-1][0], round(sum(value for _moment, value in group) / len(group), 2))
            for group in groups.values()]


def weekly_means(points: Sequence[Point]) -> list[Point]:
    """A long daily series as one point per week (Monday to Sunday in the points' timezone):
    the mean of the week's scores, at the week's last moment. For charts only; every score
    stays in the tables."""
    return _means(points, _iso_week)


def _iso_week(moment: datetime) -> tuple[int, int]:
    year, week, _weekday = moment.isocalendar()
    return year, week


def monthly_means(points: Sequence[Point]) -> list[Point]:
    """As ``weekly_means``, one point per calendar month (in the points' timezone)."""
    return _means(points, lambda moment: (moment.year, moment.month))


def needs_weekly_means(points: Sequence[Point]) -> bool:
    """More than a year of a series denser than two points a week."""
    if len(points) < 2:
        return False
    span = (points[-1][0] - points[0][0]).days
    return span > 365 and len(points) > 2 * span / 7


def _chart_id(definition: InstrumentDefinition, title: str, points: Sequence[Point]) -> str:
    digest = hashlib.sha1(
        repr((definition.key, title, [(moment.isoformat(), value) for moment, value in points]))
        .encode(), usedforsecurity=False).hexdigest()
    return f"chart-{definition.key}-{digest[:10]}"


def _summary(definition: InstrumentDefinition, points: Sequence[Point],
             marks: Sequence[ReliableChange | None],
             exact_ends: ExactEnds | None = None) -> str:
    if not points:
        return _("No %(name)s scores yet.") % {"name": definition.title}
    first_moment, first = exact_ends.first if exact_ends else points[0]
    last_moment, last = exact_ends.last if exact_ends else points[-1]
    count = exact_ends.count if exact_ends else len(points)
    bands = definition.bands
    first_band = band_for(bands, exact(first)) if bands else None
    last_band = band_for(bands, exact(last)) if bands else None
    if exact_ends:
        last_mark = None
        if count > 1 and definition.reliable_change is not None and definition.has_total:
            last_mark = reliable_change(definition, first, last)
        marks = [last_mark]
    if count == 1:
        text = _("One %(name)s score, %(score)s, on %(day)s") % {
            "name": definition.title, "score": _number(first), "day": _day(first_moment)}
        return text + (f" ({first_band.label})." if first_band else ".")
    text = _("%(count)s %(name)s scores from %(first_day)s to %(last_day)s: from %(first)s to "
             "%(last)s") % {"count": count, "name": definition.title,
                            "first_day": _day(first_moment), "last_day": _day(last_moment),
                            "first": _number(first), "last": _number(last)}
    if first_band and last_band:
        text += " " + _("(%(first)s to %(last)s)") % {"first": first_band.label,
                                                      "last": last_band.label}
    if marks and marks[-1] is not None:
        text += "; " + _("%(change)s from the first score") % {"change": CHANGE_WORDS[marks[-1]]}
    return text + "."


def _band_layer(definition: InstrumentDefinition, frame: _Frame, label_x: float) -> list[str]:
    parts = []
    bands = definition.bands
    for index, (band, start, end) in enumerate(band_spans(bands, frame.low, frame.high)):
        y_top, y_bottom = frame.y(end), frame.y(start)
        fill = _band_fill(index, len(bands), definition.higher_is_better)
        parts.append(
            f'<rect class="band" data-band="{_text(band.key)}" data-from="{_number(start)}" '
            f'data-to="{_number(end)}" x="{_coordinate(frame.left)}" y="{_coordinate(y_top)}" '
            f'width="{_coordinate(frame.right - frame.left)}" '
            f'height="{_coordinate(y_bottom - y_top)}" fill="{fill}">'
            f"<title>{_text(band.label)}: {_number(band.lower)}–{_number(band.upper)}</title>"
            "</rect>")
        if y_bottom - y_top >= 11:
            parts.append(
                f'<text class="band-label" x="{_coordinate(label_x)}" '
                f'y="{_coordinate((y_top + y_bottom) / 2 + 4)}" font-size="11" '
                f'fill="{TEXT}">{_text(_truncate(band.label, 20))}</text>')
    return parts


def _axes(definition: InstrumentDefinition, frame: _Frame, points: Sequence[Point]) -> list[str]:
    parts = [
        f'<line x1="{_coordinate(frame.left)}" y1="{_coordinate(frame.top)}" '
        f'x2="{_coordinate(frame.left)}" y2="{_coordinate(frame.bottom)}" stroke="{TEXT}"/>',
        f'<line x1="{_coordinate(frame.left)}" y1="{_coordinate(frame.bottom)}" '
        f'x2="{_coordinate(frame.right)}" y2="{_coordinate(frame.bottom)}" stroke="{TEXT}"/>',
    ]
    for value in _ticks(definition, frame):
        y = frame.y(value)
        parts.append(
            f'<text class="y-tick" x="{_coordinate(frame.left - 6)}" y="{_coordinate(y + 4)}" '
            f'font-size="11" text-anchor="end" fill="{TEXT}">{_number(value)}</text>')
    if points:
        first, last = points[0][0], points[-1][0]
        chosen = _date_ticks(points)
        for index in chosen:
            moment = points[index][0]
            x = frame.x(moment, first, last)
            anchor = "middle"
            if len(chosen) > 1 and index == chosen[0]:
                anchor = "start"
            elif len(chosen) > 1 and index == chosen[-1]:
                anchor = "end"
            with_year = index in (chosen[0], chosen[-1])
            parts.append(
                f'<text class="x-tick" x="{_coordinate(x)}" '
                f'y="{_coordinate(frame.bottom + 16)}" font-size="11" text-anchor="{anchor}" '
                f'fill="{TEXT}">{_text(_day(moment, with_year=with_year))}</text>')
    return parts


def _date_ticks(points: Sequence[Point]) -> list[int]:
    """Up to four labelled dates: the first, the last and evenly spaced ones between."""
    count = len(points)
    if count <= 4:
        return list(range(count)) if points[0][0] != points[-1][0] else [0]
    return sorted({round(step * (count - 1) / 3) for step in range(4)})


def _triangle(x: float, y: float, *, pointing_up: bool) -> str:
    tip, base = (y - 5, y + 5) if pointing_up else (y + 5, y - 5)
    return (f"M{_coordinate(x - 6)} {_coordinate(base)} L{_coordinate(x + 6)} "
            f"{_coordinate(base)} L{_coordinate(x)} {_coordinate(tip)} Z")


def _marker(x: float, y: float, mark: ReliableChange | None, label: str,
            higher_is_better: bool) -> str:
    """A dot; a reliable change is a triangle pointing the way the score moved (green for an
    improvement, red for a deterioration; the label and the table say which in words)."""
    title = f"<title>{_text(label)}</title>"
    if mark in (ReliableChange.IMPROVEMENT, ReliableChange.DETERIORATION):
        improved = mark is ReliableChange.IMPROVEMENT
        rose = improved == higher_is_better
        css = "reliable-improvement" if improved else "reliable-deterioration"
        return (f'<path class="point {css}" d="{_triangle(x, y, pointing_up=rose)}" '
                f'fill="{IMPROVEMENT if improved else DETERIORATION}" stroke="#fff">'
                f"{title}</path>")
    return (f'<circle class="point" cx="{_coordinate(x)}" cy="{_coordinate(y)}" r="4" '
            f'fill="{LINE}" stroke="#fff">{title}</circle>')


def _series(definition: InstrumentDefinition, frame: _Frame, points: Sequence[Point],
            marks: Sequence[ReliableChange | None]) -> list[str]:
    if not points:
        return [f'<text class="empty" x="{_coordinate((frame.left + frame.right) / 2)}" '
                f'y="{_coordinate((frame.top + frame.bottom) / 2)}" font-size="14" '
                f'text-anchor="middle" fill="{TEXT}">{_text(_("No scores yet"))}</text>']
    first, last = points[0][0], points[-1][0]
    coordinates = [(frame.x(moment, first, last), frame.y(value)) for moment, value in points]
    parts = []
    if len(points) > 1:
        path = " ".join(f"{_coordinate(x)},{_coordinate(y)}" for x, y in coordinates)
        parts.append(f'<polyline class="line" points="{path}" fill="none" stroke="{LINE}" '
                     'stroke-width="2"/>')
    # Thousands of daily points would bury the line in dots: then only the marked points, the
    # first and the last are drawn as markers.
    dense = len(points) > 120
    bands: dict[float, str | None] = {}
    # Each marked point's words, translated once per chart rather than once per point.
    changes = {mark: ", " + _("%(change)s from the first score") % {"change": words}
               for mark, words in CHANGE_WORDS.items()}
    for index, ((moment, value), (x, y), mark) in enumerate(
            zip(points, coordinates, marks, strict=True)):
        if dense and mark is None and index not in (0, len(points) - 1):
            continue
        label = f"{_day(moment)}: {_number(value)}"
        band_label = _band_label(definition, value, bands)
        if band_label:
            label += f" ({band_label})"
        if mark is not None and mark is not ReliableChange.NO_RELIABLE_CHANGE:
            label += changes[mark]
        parts.append(_marker(x, y, mark, label, definition.higher_is_better))
    return parts


# The expected range: a translucent blue over the severity shading, outlined, so that both stay
# readable; the words beside the chart (and its description) say what it means.
EXPECTED_FILL = "#1f4e79"
EXPECTED_OPACITY = "0.18"

# (moment, lower, upper): the expected range at that moment (practice.expected).
ExpectedBand = Sequence[tuple[datetime, float, float]]


def _without_flat_runs(band: list[tuple[datetime, float, float]]
                       ) -> list[tuple[datetime, float, float]]:
    """The band without the inner points of a run of equal ranges (a path at its floor is
    flat for years): the straight edge between the run's ends draws the same shape."""
    return [sample for index, sample in enumerate(band)
            if index in (0, len(band) - 1)
            or not band[index - 1][1:] == sample[1:] == band[index + 1][1:]]


def _expected_layer(frame: _Frame, band: ExpectedBand, points: Sequence[Point],
                    label: str) -> list[str]:
    if not band or not points:
        return []
    first, last = points[0][0], points[-1][0]
    inside = _without_flat_runs([(moment, lower, upper) for moment, lower, upper in band
                                 if first <= moment <= last])
    if len(inside) < 2:
        return []
    top = [f"{_coordinate(frame.x(moment, first, last))},{_coordinate(frame.y(upper))}"
           for moment, _lower, upper in inside]
    bottom = [f"{_coordinate(frame.x(moment, first, last))},{_coordinate(frame.y(lower))}"
              for moment, lower, _upper in reversed(inside)]
    return [f'<polygon class="expected-range" points="{" ".join(top + bottom)}" '
            f'fill="{EXPECTED_FILL}" fill-opacity="{EXPECTED_OPACITY}" stroke="{EXPECTED_FILL}" '
            f'stroke-dasharray="4 3" stroke-width="1"><title>{_text(label)}</title></polygon>']


# The expected path's own time axis under the dates: its word ("Week", "Session") and numbers.
EXPECTED_AXIS_ROOM = 18
EXPECTED_TICK_GAP = 14  # px between two numbers of the range's axis


@dataclass(frozen=True)
class ExpectedAxis:
    """The expected range's time axis: its word ("Week", "Session"), a sentence saying how the
    range is read, and (moment, number) ticks."""

    word: str
    title: str
    ticks: Sequence[tuple[datetime, str]]


@dataclass(frozen=True)
class ExpectedOverlay:
    """What a trend chart draws of an expected path: the range, the words that say how to read
    it, and its own time axis (weeks or sessions)."""

    band: ExpectedBand
    label: str = ""
    axis: ExpectedAxis | None = None


def _expected_axis(frame: _Frame, axis: ExpectedAxis, points: Sequence[Point]) -> list[str]:
    ticks, word, title = axis.ticks, axis.word, axis.title
    if not ticks or not points:
        return []
    first, last = points[0][0], points[-1][0]
    y = _coordinate(frame.bottom + 16 + EXPECTED_AXIS_ROOM)
    parts = [f'<g class="expected-axis"><title>{_text(title or word)}</title>',
             f'<text class="expected-axis-word" x="{_coordinate(frame.left - 4)}" y="{y}" '
             f'font-size="10" text-anchor="end" fill="{EXPECTED_FILL}">{_text(word)}</text>']
    drawn_at = -math.inf
    for moment, label in ticks:
        x = frame.x(moment, first, last)
        # A number too close to the one before (a session held just after the baseline) would
        # print over it: skipped, the next one says where the axis is.
        if not first <= moment <= last or x - drawn_at < EXPECTED_TICK_GAP:
            continue
        drawn_at = x
        parts.append(f'<text class="expected-tick" x="{_coordinate(x)}"'
                     f' y="{y}" font-size="10" text-anchor="middle" fill="{EXPECTED_FILL}">'
                     f'{_text(label)}</text>')
    parts.append("</g>")
    return parts


CHART_HEIGHT = 240  # the plot; an expected range's axis adds its room below


def trend_svg(*, definition: InstrumentDefinition, points: list[tuple[datetime, float]],
              mark_reliable_change: bool, title: str, width: int = 640,
              expected: ExpectedOverlay | None = None,
              exact_ends: ExactEnds | None = None) -> str:
    """An SVG line chart of ``points`` (time, score) over the definition's bands.

    With ``mark_reliable_change`` and a published threshold (``definition.reliable_change``;
    pass a definition with the practice's threshold in for instruments without one), points
    that are a reliable improvement or deterioration from the first are drawn as triangles
    pointing the way the score moved, green or red, each with its meaning in its title.

    With an ``expected`` range (shaded) and its axis, a row under the dates labels the range's
    own time axis: its word ("Week" or "Session") and the numbers.

    ``exact_ends``: ``points`` are averages (weeks or months of a long series); the description
    states the exact first and last scores and their count, and marks compare each average with
    the exact first score (the baseline)."""
    points = sorted(points, key=lambda point: point[0])
    expected_label = expected.label if expected else ""
    expected_axis = expected.axis if expected else None
    with_axis = bool(expected and expected_axis and expected_axis.ticks and expected_axis.word)
    height = CHART_HEIGHT + (EXPECTED_AXIS_ROOM if with_axis else 0)
    values = [float(value) for _moment, value in points]
    low, high = _scale(definition, values)
    label_room = 128 if definition.bands else 12
    frame = _Frame(left=40, right=width - label_room, top=12,
                   bottom=height - 30 - (EXPECTED_AXIS_ROOM if with_axis else 0),
                   low=low, high=high)
    all_marks = _reliable_marks(definition, points, exact_ends)
    marks = all_marks if mark_reliable_change else [None] * len(points)
    chart_id = _chart_id(definition, title, points)
    summary = _summary(definition, points, all_marks, exact_ends)
    if expected and expected_label:
        summary = f"{summary} {expected_label}"
    if with_axis and expected_axis and expected_axis.title:
        summary = f"{summary} {expected_axis.title}"
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="trend-chart" role="img" '
        # Its natural size, narrowed by the stylesheet (.trend-chart): a style attribute here
        # would be refused by the Content-Security-Policy.
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'preserveAspectRatio="xMinYMin meet" font-family="{FONT}" '
        f'aria-labelledby="{chart_id}-title {chart_id}-desc">',
        f'<title id="{chart_id}-title">{_text(title)}</title>',
        f'<desc id="{chart_id}-desc">{_text(summary)}</desc>',
        *_band_layer(definition, frame, frame.right + 6),
        *_expected_layer(frame, expected.band if expected else (), points, expected_label),
        *_axes(definition, frame, points),
        *(_expected_axis(frame, expected_axis, points) if with_axis and expected_axis else []),
        *_series(definition, frame, points, marks),
        "</svg>",
    ]
    return mark_safe("".join(parts))  # noqa: S308 - every interpolated text is escaped above


def trend_table(definition: InstrumentDefinition,
                points: list[tuple[datetime, float]],
                indexes: Sequence[int] | None = None) -> list[dict[str, Any]]:
    """One row per point, oldest first: the numbers behind the chart, for the accessible table.
    With ``indexes`` (positions in the time-ordered points), only those rows, each still read
    against the first point (baseline) and the one before it (previous).

    Keys: ``when`` (the datetime), ``score`` (float), ``score_text``, ``band`` (label or None),
    ``from_baseline`` and ``from_previous`` (float or None), their ``*_text`` forms with a sign,
    ``reliable`` (a ReliableChange vs the first point, or None when there is no threshold or no
    earlier point), ``reliable_text``, and ``talking_therapies`` (the NHS Talking Therapies class
    value for PHQ-9 and GAD-7 from the first point, else None)."""
    points = sorted(points, key=lambda point: point[0])
    wanted = range(len(points)) if indexes is None else sorted(indexes)
    threshold = (points and definition.reliable_change is not None and definition.has_total)
    rows: list[dict[str, Any]] = []
    talking = definition.key in TALKING_THERAPIES_KEYS and definition.clinical_cutoff is not None
    bands: dict[float, str | None] = {}
    outcomes: dict[float, Any] = {}
    marks: dict[float, ReliableChange] = {}
    for index in wanted:
        moment, value = points[index]
        value = float(value)
        baseline = float(points[0][1]) if index else None
        previous = float(points[index - 1][1]) if index else None
        mark = None
        if threshold and index:
            if value not in marks:
                marks[value] = reliable_change(definition, points[0][1], value)
            mark = marks[value]
        outcome = None
        if talking and index:
            if value not in outcomes:
                outcomes[value] = talking_therapies_outcome(definition, float(points[0][1]),
                                                            value).outcome
            outcome = outcomes[value]
        rows.append({
            "when": moment,
            "score": value,
            "score_text": _number(value),
            "band": _band_label(definition, value, bands),
            "from_baseline": None if baseline is None else value - baseline,
            "from_baseline_text": signed_change(None if baseline is None else value - baseline),
            "from_previous": None if previous is None else value - previous,
            "from_previous_text": signed_change(None if previous is None else value - previous),
            "reliable": mark,
            "reliable_text": CHANGE_WORDS[mark] if mark is not None else "",
            "talking_therapies": outcome.value if outcome is not None else None,
        })
    return rows


def signed_change(value: float | None) -> str:
    """A change as people write it: +3, −2.5 (a true minus sign), 0; empty for None."""
    if value is None:
        return ""
    if round(value, 2) == 0:
        return "0"
    return ("+" if value > 0 else "−") + _number(abs(value))
