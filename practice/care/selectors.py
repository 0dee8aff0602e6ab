"""Reads for care between sessions. Staff reads take a client the caller already reached through
practice.access; the staff journal never loads the text of a private entry. Each selector runs a
fixed number of queries, whatever the length of the history."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.db.models import Case, CharField, Count, F, Prefetch, QuerySet, Value, When
from django.utils import timezone

from practice.access import clients_visible_to
from practice.care.models import (
    ClientResource,
    Goal,
    GoalProgress,
    Homework,
    HomeworkCompletion,
    JournalEntry,
    Resource,
)
from practice.models import ClientProfile, SafetyPlan
from tenants.accounts.models import User


def client_today(client: User) -> date:
    """Today in the client's own timezone (UTC when unknown)."""
    try:
        zone = ZoneInfo(client.client_profile.timezone)
    except (ClientProfile.DoesNotExist, ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("UTC")
    return timezone.now().astimezone(zone).date()


# --- goals -------------------------------------------------------------------------------------

def goals_for_client(client: User) -> list[Goal]:
    """The client's goals with milestones and the full progress history (oldest first), in
    three queries."""
    progress = GoalProgress.objects.select_related("author").only(
        "id", "goal_id", "value", "note", "created_at", "author__id", "author__full_name",
        "author__role")
    return list(Goal.objects.filter(client=client)
                .prefetch_related("milestones", Prefetch("progress_entries", queryset=progress))
                .order_by("status", "created_at", "pk"))


def goal_for_client(client: User, goal_id: int) -> Goal:
    return Goal.objects.get(pk=goal_id, client=client)


# --- homework ----------------------------------------------------------------------------------

def occurrences_due(homework: Homework, today: date) -> int:
    """How many occurrences of the homework have fallen due by `today` (the client's)."""
    last = today
    if homework.ended_at is not None:
        last = min(last, homework.ended_at.date())
    if last < homework.due_on:
        return 0
    if not homework.repeats_weekly:
        return 1
    return (last - homework.due_on).days // 7 + 1


@dataclass(frozen=True)
class CompletionRate:
    done: int
    expected: int

    @property
    def percent(self) -> int | None:
        return round(100 * self.done / self.expected) if self.expected else None


def completion_rate(homework: list[Homework], done: dict[int, int], today: date) -> CompletionRate:
    """Done over due so far; an occurrence done early counts as due."""
    total_done = total_expected = 0
    for item in homework:
        count = done.get(item.pk, 0)
        total_done += count
        total_expected += max(occurrences_due(item, today), count)
    return CompletionRate(done=total_done, expected=total_expected)


def homework_for_client(client: User, *, active_only: bool = False) -> list[Homework]:
    """The client's homework with its resource and completions (newest first): two queries."""
    completions = HomeworkCompletion.objects.order_by("-due_on", "-pk")
    rows = (Homework.objects.filter(client=client).select_related("resource")
            .prefetch_related(Prefetch("completions", queryset=completions))
            .order_by("-is_active", "due_on", "pk"))
    if active_only:
        rows = rows.filter(is_active=True)
    return list(rows)


@dataclass(frozen=True)
class CaseloadHomework:
    client: User
    rate: CompletionRate
    active: int


def homework_rates_for_caseload(user: User) -> list[CaseloadHomework]:
    """Each client `user` may see, with their homework completion rate: two queries."""
    clients = list(clients_visible_to(user).select_related("client_profile")
                   .order_by("full_name", "pk"))
    by_client: dict[int, list[Homework]] = defaultdict(list)
    done: dict[int, int] = {}
    for item in (Homework.objects.filter(client__in=[client.pk for client in clients])
                 .annotate(done=Count("completions"))):
        by_client[item.client_id].append(item)
        done[item.pk] = item.done
    rows = []
    for client in clients:
        items = by_client.get(client.pk, [])
        rows.append(CaseloadHomework(
            client=client, rate=completion_rate(items, done, client_today(client)),
            active=sum(1 for item in items if item.is_active)))
    return rows


# --- journal -----------------------------------------------------------------------------------

def journal_for_client(client: User) -> list[JournalEntry]:
    """The client's own journal, every entry in full, newest first."""
    return list(JournalEntry.objects.filter(client=client).order_by("-created_at", "-pk"))


@dataclass(frozen=True)
class StaffJournalItem:
    """What staff may know of an entry: a shared one in full; of a private one, only that it
    exists and when (its text is never read from the database)."""

    entry_id: int
    created_at: datetime
    is_shared: bool
    text: str


def journal_for_staff(client: User) -> list[StaffJournalItem]:
    rows = (JournalEntry.objects.filter(client=client)
            .annotate(shared_text=Case(When(is_shared=True, then=F("body")), default=Value(""),
                                       output_field=CharField()))
            .values("id", "created_at", "is_shared", "shared_text")
            .order_by("-created_at", "-id"))
    return [StaffJournalItem(entry_id=row["id"], created_at=row["created_at"],
                             is_shared=row["is_shared"],
                             text=row["shared_text"] if row["is_shared"] else "")
            for row in rows]


# --- resources ---------------------------------------------------------------------------------

def resource_library() -> list[Resource]:
    return list(Resource.objects.filter(is_archived=False).order_by("title", "pk"))


def resources_for_client(client: User) -> list[Resource]:
    """The client's set, newest share first: one query."""
    shares = (ClientResource.objects.filter(client=client, resource__is_archived=False)
              .select_related("resource").order_by("-shared_at", "-pk"))
    return [share.resource for share in shares]


def resource_for_client(client: User, resource_id: int) -> Resource:
    """A resource in the client's set; any other raises Resource.DoesNotExist."""
    return Resource.objects.get(pk=resource_id, is_archived=False, shares__client=client)


def resources_query() -> QuerySet[Resource]:
    return Resource.objects.filter(is_archived=False)


# --- safety plan -------------------------------------------------------------------------------

def active_safety_plan(client: User) -> SafetyPlan | None:
    return (SafetyPlan.objects.filter(client=client, is_active=True)
            .order_by("-created_at", "-pk").first())
