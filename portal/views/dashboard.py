"""The client's home: what is due and overdue, the latest scores, what they have done lately,
and help one tap away."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from portal import selectors
from portal.services import MOOD_KEY
from portal.views.common import (
    audit_read,
    client_has_module,
    client_required,
    client_zone,
    number,
    render_local,
)
from portal.views.wording import band_of, due_text, short_title
from practice.measurement import schedule, services
from practice.measurement.definitions import InstrumentDefinition
from practice.measurement.library import UnknownInstrument
from practice.measurement.selectors import instrument_definition, responses_due
from practice.models import Response

RECENT_SCORES = 5


@dataclass(frozen=True)
class DueItem:
    response: Response
    title: str
    due: str
    is_overdue: bool
    is_started: bool


@dataclass(frozen=True)
class ScoreSummary:
    title: str
    latest: str
    band: str
    earlier: list[str]
    sparkline: str  # SVG polyline points, decorative (the numbers are in the text)


def definitions_for(keys: set[str]) -> dict[str, InstrumentDefinition]:
    found = {}
    for key in keys:
        try:
            found[key] = instrument_definition(key)
        except UnknownInstrument:
            continue
    return found


def _sparkline(definition: InstrumentDefinition, values: list[float]) -> str:
    if len(values) < 2:
        return ""
    low = float(definition.bands[0].lower) if definition.bands else min(values)
    high = float(definition.bands[-1].upper) if definition.bands else max(values)
    span = (high - low) or 1.0
    step = 60 / (len(values) - 1)
    return " ".join(f"{index * step:.0f},{20 - (value - low) / span * 18 - 1:.0f}"
                    for index, value in enumerate(values))


def _scores(client: Any) -> list[ScoreSummary]:
    recent = selectors.recent_scores(client, per_instrument=RECENT_SCORES, exclude=(MOOD_KEY,))
    definitions = definitions_for(set(recent))
    summaries = []
    for key, rows in recent.items():
        definition = definitions.get(key)
        if definition is None:
            continue
        band = band_of(definition, rows[-1].total)
        summaries.append(ScoreSummary(
            title=short_title(definition), latest=number(rows[-1].total),
            band=band.label if band else rows[-1].band_label,
            earlier=[number(row.total) for row in rows[:-1]],
            sparkline=_sparkline(definition, [float(row.total or 0) for row in rows]),
        ))
    return summaries


def due_items(client: Any, now: datetime, zone: ZoneInfo) -> list[DueItem]:
    """What is due and overdue, oldest due first, after creating what the schedules owe."""
    services.responses_materialize(client=client, now=now)
    due = list(responses_due(client))
    definitions = definitions_for({response.instrument_key for response in due})
    today = schedule.local_today(now, str(zone))
    items = []
    for response in due:
        if response.instrument_key not in definitions:
            continue
        text, overdue = due_text(response.due_at, today, zone)
        items.append(DueItem(response, short_title(definitions[response.instrument_key]), text,
                             overdue, response.status == Response.Status.IN_PROGRESS))
    return items


@client_required
def dashboard(request: HttpRequest) -> HttpResponse:
    client = request.user
    now = timezone.now()
    zone = client_zone(request)
    context: dict[str, Any] = {
        "has_assessments": client_has_module(request, "assessments"),
        "has_mood": client_has_module(request, "mood_checkin"),
        "completed_recently": selectors.completions_since(client, now - timedelta(days=7)),
    }
    if context["has_assessments"]:
        items = due_items(client, now, zone)
        context["due"] = items
        context["overdue_count"] = sum(1 for item in items if item.is_overdue)
        context["scores"] = _scores(client)
    if context["has_mood"]:
        today_start = now.astimezone(zone).replace(hour=0, minute=0, second=0, microsecond=0)
        entries = selectors.mood_entries(client, today_start)
        context["mood_today"] = number(entries[-1].total) if entries else ""
    audit_read(request, "portal.dashboard_viewed")
    return render_local(request, "portal/dashboard.html", context, zone=zone)
