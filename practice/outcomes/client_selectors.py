"""Reads for one client's documents: the progress report (an episode) and the utilization-review
export (a date range). A fixed number of queries whatever the length of the history."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from practice.appointments.models import Appointment
from practice.care.models import Goal, GoalProgress, Homework, HomeworkCompletion
from practice.measurement.models import Response
from practice.measurement.selectors import DefinitionCatalog, definition_catalog
from practice.messaging.models import Message
from practice.outcomes.maths import EpisodeOutcome, episode_outcome
from practice.outcomes.models import Episode
from practice.outcomes.selectors import current_episode
from tenants.accounts.models import User
from tenants.audit.actions import Action
from tenants.audit.models import AuditEvent

CHECK_IN_KEY = "mood"


@dataclass(frozen=True)
class ScoredPoint:
    response_id: int
    submitted_at: datetime
    total: Decimal
    band_label: str
    advisories: tuple[str, ...] = ()


@dataclass
class InstrumentSeries:
    instrument_key: str
    title: str
    points: list[ScoredPoint] = field(default_factory=list)
    outcome: EpisodeOutcome | None = None

    @property
    def baseline(self) -> ScoredPoint | None:
        return self.points[0] if self.points else None

    @property
    def latest(self) -> ScoredPoint | None:
        return self.points[-1] if self.points else None


@dataclass(frozen=True)
class GoalLine:
    title: str
    status: str
    target: str
    latest_value: Decimal | None
    entries: int


@dataclass(frozen=True)
class Engagement:
    check_ins: int
    sign_ins: int
    messages_from_client: int


@dataclass(frozen=True)
class HomeworkFigures:
    due: int
    completed: int


@dataclass(frozen=True)
class ClientWindow:
    """What happened for a client between ``start`` and ``end`` (``end`` None: up to now)."""

    client: User
    start: datetime
    end: datetime | None
    series: list[InstrumentSeries]
    goals: list[GoalLine]
    homework: HomeworkFigures
    engagement: Engagement
    appointments: list[Appointment]
    catalog: DefinitionCatalog


def _in_window(queryset, field_name: str, start: datetime, end: datetime | None):
    queryset = queryset.filter(**{f"{field_name}__gte": start})
    if end is not None:
        queryset = queryset.filter(**{f"{field_name}__lte": end})
    return queryset


def _series(client: User, start: datetime, end: datetime | None,
            thresholds: Mapping[str, float]) -> tuple[list[InstrumentSeries], DefinitionCatalog]:
    rows = _in_window(Response.objects.filter(
        client=client, status=Response.Status.SUBMITTED, is_scored=True,
        entered_in_error_at__isnull=True, total__isnull=False)
        .exclude(instrument_key=CHECK_IN_KEY), "submitted_at", start, end)
    by_key: dict[str, InstrumentSeries] = {}
    for pk, key, submitted_at, total, band_label, advisories in rows.order_by(
            "submitted_at", "pk").values_list("id", "instrument_key", "submitted_at", "total",
                                              "band_label", "advisories"):
        by_key.setdefault(key, InstrumentSeries(key, key)).points.append(
            ScoredPoint(pk, submitted_at, total, band_label, tuple(advisories or ())))
    catalog = definition_catalog(by_key)
    for key, series in by_key.items():
        definition = catalog.get(key)
        if definition is None:
            continue
        series.title = definition.title
        if len(series.points) >= 2 and definition.has_total:
            series.outcome = episode_outcome(
                definition, float(series.points[0].total), float(series.points[-1].total),
                practice_threshold=thresholds.get(key))
    return sorted(by_key.values(), key=lambda series: series.title), catalog


def _goals(client: User, start: datetime, end: datetime | None) -> list[GoalLine]:
    goals = list(Goal.objects.filter(client=client).order_by("created_at", "pk"))
    progress = list(_in_window(GoalProgress.objects.filter(goal__client=client),
                               "created_at", start, end)
                    .order_by("created_at", "pk").values_list("goal_id", "value"))
    lines = []
    for goal in goals:
        entries = [value for goal_id, value in progress if goal_id == goal.pk]
        values = [value for value in entries if value is not None]
        target = (f"{goal.target_value.normalize():f} {goal.target_unit}".strip()
                  if goal.target_value is not None else "")
        lines.append(GoalLine(title=goal.title, status=goal.get_status_display(),
                              target=target, latest_value=values[-1] if values else None,
                              entries=len(entries)))
    return lines


def _due_dates(homework: Homework, first: date, last: date) -> list[date]:
    if not homework.repeats_weekly:
        return [homework.due_on] if first <= homework.due_on <= last else []
    stop = min(last, homework.ended_at.date()) if homework.ended_at else last
    dates, day = [], homework.due_on
    while day <= stop:
        if day >= first:
            dates.append(day)
        day += timedelta(weeks=1)
    return dates


def _homework(client: User, start: datetime, end: datetime | None, now: datetime
              ) -> HomeworkFigures:
    first, last = start.date(), (end or now).date()
    due = 0
    due_keys: set[tuple[int, date]] = set()
    for homework in Homework.objects.filter(client=client, due_on__lte=last):
        for day in _due_dates(homework, first, last):
            due += 1
            due_keys.add((homework.pk, day))
    completed = {(homework_id, day) for homework_id, day in HomeworkCompletion.objects.filter(
        homework__client=client, due_on__gte=first, due_on__lte=last)
        .values_list("homework_id", "due_on")}
    return HomeworkFigures(due=due, completed=len(completed & due_keys))


def _engagement(client: User, start: datetime, end: datetime | None) -> Engagement:
    check_ins = _in_window(Response.objects.filter(
        client=client, instrument_key=CHECK_IN_KEY, status=Response.Status.SUBMITTED),
        "submitted_at", start, end).count()
    sign_ins = _in_window(AuditEvent.objects.filter(actor_id=client.pk,
                                                    action=Action.AUTH_SIGNED_IN),
                          "occurred_at", start, end).count()
    # The client's own conversations (not a family member's about them).
    messages = _in_window(Message.objects.filter(conversation__client=client,
                                                 conversation__proxy_link__isnull=True,
                                                 from_client=True),
                          "created_at", start, end).count()
    return Engagement(check_ins=check_ins, sign_ins=sign_ins, messages_from_client=messages)


def client_window(client: User, *, start: datetime, end: datetime | None, now: datetime,
                  thresholds: Mapping[str, float] | None = None) -> ClientWindow:
    series, catalog = _series(client, start, end, thresholds or {})
    appointments = list(_in_window(Appointment.objects.filter(client=client), "starts_at",
                                   start, end)
                        .exclude(status__in=[Appointment.Status.CANCELLED])
                        .select_related("clinician", "appointment_type")
                        .order_by("starts_at", "pk"))
    return ClientWindow(client=client, start=start, end=end, series=series,
                        goals=_goals(client, start, end),
                        homework=_homework(client, start, end, now),
                        engagement=_engagement(client, start, end),
                        appointments=appointments, catalog=catalog)


def episode_window(client: User, episode: Episode, *, now: datetime,
                   thresholds: Mapping[str, float] | None = None) -> ClientWindow:
    return client_window(client, start=episode.started_at, end=episode.ended_at, now=now,
                         thresholds=thresholds)


def episode_of_client(client: User, episode_id: int | None) -> Episode | None:
    """The chosen episode of this client (DoesNotExist if it is not theirs), else the current
    one."""
    if episode_id is not None:
        return Episode.objects.get(client=client, pk=episode_id)
    return current_episode(client)
