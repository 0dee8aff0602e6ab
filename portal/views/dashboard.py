"""The client's home: what is due and overdue (questionnaires and homework), the latest scores
with a small trend, goals, what they have done lately, and help one tap away.

The page is a list of cards (portal.dashboard): this module registers the portal's own; other
capabilities (the next appointment, unread messages) register theirs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from portal import selectors
from portal.dashboard import DashboardCard, cards, register_card
from portal.pages import (
    client_has_module,
    client_required,
    client_zone,
    number,
    render_local,
)
from portal.services import MOOD_KEY
from portal.views.wording import band_of, due_on_text, due_text, short_title
from practice.measurement import schedule, services
from practice.measurement.definitions import InstrumentDefinition
from practice.measurement.library import UnknownInstrument
from practice.measurement.models import Response
from practice.measurement.selectors import instrument_definition, responses_due, schedules_owe
from tenants.requests import SignedInRequest

RECENT_SCORES = 5
GOALS_SHOWN = 3
WEEK = timedelta(days=7)


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


@dataclass(frozen=True)
class RenderedCard:
    key: str
    template: str
    context: dict[str, Any]


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
    """What is due and overdue, oldest due first, after creating what the schedules owe (a
    read when nothing is owed: the scheduler materialises them every 30 minutes)."""
    if schedules_owe(client, now=now, tz_name=str(zone)):
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


def _today(request: SignedInRequest, now: datetime) -> date:
    return now.astimezone(client_zone(request)).date()


# --- the portal's own cards -------------------------------------------------------------------

def todo_card(request: SignedInRequest, now: datetime) -> dict[str, Any] | None:
    """Questionnaires and homework due, overdue first."""
    has_assessments = client_has_module(request, "assessments")
    has_homework = client_has_module(request, "homework")
    if not (has_assessments or has_homework):
        return None
    due = due_items(request.user, now, client_zone(request)) if has_assessments else []
    homework = []
    if has_homework:
        today = _today(request, now)
        for item in selectors.homework_due(request.user, today):
            text, overdue = due_on_text(item.due_on, today)
            homework.append({"homework": item.homework, "due": text, "is_overdue": overdue})
    overdue_count = (sum(1 for item in due if item.is_overdue)
                     + sum(1 for item in homework if item["is_overdue"]))
    return {"due": due, "homework": homework, "count": len(due) + len(homework),
            "overdue_count": overdue_count, "has_assessments": has_assessments,
            "has_homework": has_homework}


def mood_card(request: SignedInRequest, now: datetime) -> dict[str, Any] | None:
    zone = client_zone(request)
    today_start = now.astimezone(zone).replace(hour=0, minute=0, second=0, microsecond=0)
    entries = selectors.mood_entries(request.user, today_start)
    return {"mood_today": number(entries[-1].total) if entries else ""}


def scores_card(request: HttpRequest, now: datetime) -> dict[str, Any] | None:
    scores = _scores(request.user)
    return {"scores": scores} if scores else None


def goals_card(request: SignedInRequest, now: datetime) -> dict[str, Any] | None:
    goals = selectors.active_goals(request.user)
    return {"goals": goals[:GOALS_SHOWN], "more": max(0, len(goals) - GOALS_SHOWN)}


for _card in (
    DashboardCard(key="todo", order=10, template="portal/dashboard/_todo.html",
                  context=todo_card),
    DashboardCard(key="mood", order=40, module="mood_checkin",
                  template="portal/dashboard/_mood.html", context=mood_card),
    DashboardCard(key="scores", order=50, module="assessments",
                  template="portal/dashboard/_scores.html", context=scores_card),
    DashboardCard(key="goals", order=60, module="goals",
                  template="portal/dashboard/_goals.html", context=goals_card),
):
    register_card(_card)


# --- the page ----------------------------------------------------------------------------------

def _acknowledgement(request: SignedInRequest, now: datetime) -> dict[str, int]:
    """What the client finished in the last 7 days, to thank them for it."""
    since = now - WEEK
    done = {"checkins": selectors.completions_since(request.user, since), "homework": 0}
    if client_has_module(request, "homework"):
        done["homework"] = selectors.homework_completions_since(request.user, since)
    return done


@client_required
def dashboard(request: SignedInRequest) -> HttpResponse:
    now = timezone.now()
    shown = []
    for card in cards():
        if card.module is not None and not client_has_module(request, card.module):
            continue
        context = card.context(request, now)
        if context is not None:
            shown.append(RenderedCard(card.key, card.template, context))
    return render_local(request, "portal/dashboard.html", {
        "cards": shown,
        "done": _acknowledgement(request, now),
        "display_name": selectors.display_name(request.user),
    }, zone=client_zone(request))
