"""Reads for the client's portal: a client's own measurement data, never anyone else's.

Every selector runs a fixed number of queries, whatever the length of the client's history."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime

from django.db.models import F, OuterRef, QuerySet, Subquery, Window
from django.db.models.functions import RowNumber

from portal.models import ClientAccess
from practice.care.models import Goal, GoalProgress, Homework, HomeworkCompletion
from practice.care.services import current_occurrence
from practice.measurement.models import Response
from tenants.accounts.models import User

SCORE_FIELDS = ("id", "client_id", "instrument_key", "definition_version", "total", "band_key",
                "band_label", "subscales", "submitted_at", "prorated")


def client_language(client: User) -> str:
    """The language the client chose for the portal ("en" until they choose)."""
    language = ClientAccess.objects.filter(user=client).values_list("language", flat=True).first()
    return language or "en"


def client_response(client: User, response_id: int) -> Response:
    """One of the client's own responses; another client's and a missing one both raise
    Response.DoesNotExist."""
    return Response.objects.get(pk=response_id, client=client)


def _scored(client: User) -> QuerySet[Response]:
    """Submitted, scored responses that count (entered-in-error ones never do)."""
    return Response.objects.filter(client=client, status=Response.Status.SUBMITTED,
                                   is_scored=True, entered_in_error_at__isnull=True)


def recent_scores(client: User, *, per_instrument: int = 5,
                  exclude: tuple[str, ...] = ()) -> dict[str, list[Response]]:
    """The latest `per_instrument` scores of each instrument, oldest first, in one query."""
    rows = (_scored(client).exclude(instrument_key__in=exclude)
            .annotate(recency=Window(RowNumber(), partition_by=[F("instrument_key")],
                                     order_by=[F("submitted_at").desc(), F("pk").desc()]))
            .filter(recency__lte=per_instrument)
            .only(*SCORE_FIELDS)
            .order_by("instrument_key", "submitted_at", "pk"))
    grouped: dict[str, list[Response]] = defaultdict(list)
    for row in rows:
        grouped[row.instrument_key].append(row)
    return dict(grouped)


def completions_since(client: User, since: datetime) -> int:
    return Response.objects.filter(client=client, status=Response.Status.SUBMITTED,
                                   submitted_at__gte=since).count()


def recent_results(client: User, *, limit: int = 20,
                   exclude: tuple[str, ...] = ()) -> list[Response]:
    """The client's latest submitted responses, newest first (entered-in-error ones included,
    so a client can see that one was set aside)."""
    return list(Response.objects.filter(client=client, status=Response.Status.SUBMITTED)
                .exclude(instrument_key__in=exclude)
                .only(*SCORE_FIELDS, "entered_in_error_at")
                .order_by("-submitted_at", "-pk")[:limit])


def mood_entries(client: User, since: datetime) -> list[Response]:
    """Mood check-ins submitted since `since`, oldest first."""
    return list(_scored(client).filter(instrument_key="mood", submitted_at__gte=since)
                .only("id", "total", "note", "submitted_at").order_by("submitted_at", "pk"))


def display_name(client: User) -> str:
    """What the portal calls the client: their preferred name, else their name."""
    preferred = (ClientAccess.objects.filter(user=client)
                 .values_list("preferred_name", flat=True).first())
    return preferred or client.full_name


@dataclass(frozen=True)
class HomeworkDue:
    homework: Homework
    due_on: date


def homework_due(client: User, today: date) -> list[HomeworkDue]:
    """Active homework whose current occurrence is not done yet, earliest first: two queries,
    whatever the length of the history."""
    active = list(Homework.objects.filter(client=client, is_active=True)
                  .only("id", "instructions", "due_on", "repeats_weekly")
                  .order_by("due_on", "pk"))
    occurrences = {item.pk: current_occurrence(item, today) for item in active}
    done = set(HomeworkCompletion.objects.filter(
        homework__in=active, due_on__in=set(occurrences.values()))
        .values_list("homework_id", "due_on")) if active else set()
    rows = [HomeworkDue(item, occurrences[item.pk]) for item in active
            if (item.pk, occurrences[item.pk]) not in done]
    return sorted(rows, key=lambda row: (row.due_on, row.homework.pk))


def homework_completions_since(client: User, since: datetime) -> int:
    return HomeworkCompletion.objects.filter(homework__client=client,
                                             completed_at__gte=since).count()


def active_goals(client: User) -> list[Goal]:
    """Active goals, oldest first, each with its latest progress entry's value and date
    (`latest_value`, `latest_at`): one query."""
    latest = GoalProgress.objects.filter(goal=OuterRef("pk")).order_by("-created_at", "-pk")
    return list(Goal.objects.filter(client=client, status=Goal.Status.ACTIVE)
                .annotate(latest_value=Subquery(latest.values("value")[:1]),
                          latest_at=Subquery(latest.values("created_at")[:1]))
                .only("id", "title", "target_value", "target_unit", "created_at")
                .order_by("created_at", "pk"))
