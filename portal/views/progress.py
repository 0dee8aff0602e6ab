"""The client's own trends: per questionnaire a chart with the ranges shaded, the numbers in a
table, and what the change means in plain words. Entered-in-error responses never appear."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.http import HttpResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from portal.pages import audit_read, client_required, client_zone, render_local
from portal.services import MOOD_KEY
from portal.views.wording import ChangeText, change_text, direction, short_title, threshold_for
from practice.expected.policies import is_better
from practice.expected.selectors import ExpectedView, client_sees_path, expected_views
from practice.measurement.charts import ExactEnds, ExpectedOverlay, trend_svg, trend_table
from practice.measurement.definitions import InstrumentDefinition
from practice.measurement.library import UnknownInstrument
from practice.measurement.selectors import (
    ChartSeries,
    ScorePoint,
    change_summary,
    instrument_definition,
    windowed_history,
)
from tenants.audit.actions import Action
from tenants.requests import SignedInRequest

# The table lists the latest scores; the whole history is one link away (a page stays small).
# Five years of history cost what a month does: the baseline, the newest scores and the chart's
# points (every score, or weekly or monthly means past CHART_POINTS) are read in SQL, bounded.
TABLE_ROWS = 10


@dataclass(frozen=True)
class Trend:
    key: str
    title: str
    chart: str
    rows: list[dict[str, Any]]
    total_rows: int
    change: ChangeText
    direction: str
    # The expected range, when the practice and the clinician show it: plain words, never the
    # clinician's ("not on track" stays on their side).
    expected_words: str = ""
    expected_latest: str = ""


def _expected_words(view: ExpectedView | None) -> tuple[str, str]:
    if view is None or not view.band:
        return "", ""
    words = _("The shaded blue area is the range where most people who start where you "
              "started are by now.")
    reading = view.reading
    if reading.latest is None or reading.latest_score is None:
        return words, ""
    if reading.worse_in_a_row:
        latest = _("Your latest score is outside this range. This is worth talking about with "
                   "your clinician at your next session.")
    elif is_better(view.path.model, reading.latest, reading.latest_score):
        latest = _("Your latest score is better than this range.")
    else:
        latest = _("Your latest score is within this range.")
    return words, latest


def _chart_title(name: str, unit: str) -> str:
    if unit == "week":
        return _("Your %(name)s scores over time (weekly averages)") % {"name": name}
    if unit == "month":
        return _("Your %(name)s scores over time (monthly averages)") % {"name": name}
    return _("Your %(name)s scores over time") % {"name": name}


def _trend(definition: InstrumentDefinition, history: list[ScorePoint],  # noqa: PLR0913
           series: ChartSeries | None, zone: Any, thresholds: dict[str, float],
           show_all: bool, expected: ExpectedView | None = None) -> Trend:
    """``history``: the baseline and the newest TABLE_ROWS + 1 scores (every one when shown
    all), oldest first; ``series``: what the chart draws."""
    name = short_title(definition)
    points = [(row.submitted_at.astimezone(zone), float(row.total)) for row in history]
    threshold = threshold_for(definition, thresholds)
    # The table's rows: the newest TABLE_ROWS (every one when shown all), each read against the
    # baseline and the score before it, both among the points read.
    shown = range(len(points)) if show_all else range(max(0, len(points) - TABLE_ROWS),
                                                       len(points))
    rows = list(reversed(trend_table(definition, points, shown)))
    drawn, unit, exact_ends = points, "score", None
    if series is not None:
        drawn = [(moment.astimezone(zone), value) for moment, value in series.points]
        unit = series.unit
        if series.is_averaged:
            exact_ends = ExactEnds(points[0], points[-1], series.count)
    words, latest = _expected_words(expected)
    return Trend(
        key=definition.key, title=name,
        chart=trend_svg(definition=definition, points=drawn, mark_reliable_change=False,
                        title=_chart_title(name, unit),
                        expected=(ExpectedOverlay(expected.band, words, expected.chart_axis)
                                  if expected and words else None),
                        exact_ends=exact_ends),
        expected_words=words, expected_latest=latest,
        rows=rows, total_rows=series.count if series is not None else len(points),
        change=change_text(definition, change_summary(definition, history, threshold),
                           threshold),
        direction=direction(definition),
    )


@require_safe
@client_required
def progress(request: SignedInRequest) -> HttpResponse:
    zone = client_zone(request)
    thresholds = request.tenant.reliable_change_thresholds or {}
    show_all = request.GET.get("all", "")
    expected = expected_views(request.user, zone) if client_sees_path(request.user) else {}
    history = windowed_history(request.user, newest=TABLE_ROWS, show_all=show_all,
                               chart_zone=zone, with_rows=False, exclude=(MOOD_KEY,))
    trends = []
    for key in sorted(history.keys):
        points = history.points.get(key)
        if not points:
            continue  # nothing with a total (or only entered in error)
        try:
            # Drawn with the definition the latest score was scored with.
            definition = instrument_definition(key, history.versions[key])
        except UnknownInstrument:
            continue
        if definition.has_total:
            trends.append(_trend(definition, points, history.charts.get(key), zone,
                                 thresholds, show_all == key, expected.get(key)))
    audit_read(request, Action.PORTAL_SCORES_VIEWED)
    return render_local(request, "portal/assessments/progress.html", {"trends": trends},
                        zone=zone)
