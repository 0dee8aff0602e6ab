"""The client's own trends: per questionnaire a chart with the ranges shaded, the numbers in a
table, and what the change means in plain words. Entered-in-error responses never appear."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from portal import selectors
from portal.pages import audit_read, client_required, client_zone, render_local
from portal.services import MOOD_KEY
from portal.views.wording import ChangeText, change_text, direction, short_title, threshold_for
from practice.measurement.charts import trend_svg, trend_table
from practice.measurement.definitions import InstrumentDefinition
from practice.measurement.library import UnknownInstrument
from practice.measurement.selectors import change_summary, instrument_definition
from tenants.audit.actions import Action

# The table lists the latest scores; the whole history is one link away (a page stays small).
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


def _trend(definition: InstrumentDefinition, history: list[Any], zone: Any,
           thresholds: dict[str, float], show_all: bool) -> Trend:
    name = short_title(definition)
    points = [(row.submitted_at.astimezone(zone), float(row.total)) for row in history
              if row.total is not None]
    threshold = threshold_for(definition, thresholds)
    # The table's rows: the newest TABLE_ROWS (every one when shown all), each still read
    # against the whole series (baseline, previous), so years of history cost one month's.
    shown = range(len(points)) if show_all else range(max(0, len(points) - TABLE_ROWS),
                                                       len(points))
    rows = list(reversed(trend_table(definition, points, shown)))
    return Trend(
        key=definition.key, title=name,
        chart=trend_svg(definition=definition, points=points, mark_reliable_change=False,
                        title=_("Your %(name)s scores over time") % {"name": name}),
        rows=rows, total_rows=len(points),
        change=change_text(definition, change_summary(definition, history, threshold),
                           threshold),
        direction=direction(definition),
    )


@require_safe
@client_required
def progress(request: HttpRequest) -> HttpResponse:
    zone = client_zone(request)
    thresholds = request.tenant.reliable_change_thresholds or {}
    show_all = request.GET.get("all", "")
    trends = []
    for key, history in selectors.score_histories(request.user, exclude=(MOOD_KEY,)).items():
        try:
            # Drawn with the definition the latest score was scored with.
            definition = instrument_definition(key, history[-1].definition_version)
        except UnknownInstrument:
            continue
        if definition.has_total:
            trends.append(_trend(definition, history, zone, thresholds, show_all == key))
    audit_read(request, Action.PORTAL_SCORES_VIEWED)
    return render_local(request, "portal/assessments/progress.html", {"trends": trends},
                        zone=zone)
