"""Reads of the practice's audit trail: a fixed number of queries whatever its length."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.db.models import QuerySet

from practice.notifications.selectors import recipient_clock
from tenants.accounts.models import User
from tenants.audit.actions import Action
from tenants.audit.models import AuditEvent


@dataclass(frozen=True)
class TrailFilters:
    """Events from ``start`` (included) to ``end`` (excluded), aware moments; any may be
    None."""

    action: str | None = None
    actor_id: int | None = None
    object_type: str | None = None
    object_id: str | None = None
    start: datetime | None = None
    end: datetime | None = None

    def as_detail(self) -> dict[str, object]:
        """What the read of the trail records about itself: ids and kinds, no one's email."""
        return {key: value.isoformat() if isinstance(value, datetime) else value
                for key, value in self.__dict__.items() if value not in (None, "")}


def audit_events(filters: TrailFilters) -> QuerySet[AuditEvent]:
    """Newest first."""
    events = AuditEvent.objects.all()
    if filters.action:
        events = events.filter(action=filters.action)
    if filters.actor_id is not None:
        events = events.filter(actor_id=filters.actor_id)
    if filters.object_type:
        events = events.filter(object_type=filters.object_type)
    if filters.object_id:
        events = events.filter(object_id=filters.object_id)
    if filters.start is not None:
        events = events.filter(occurred_at__gte=filters.start)
    if filters.end is not None:
        events = events.filter(occurred_at__lt=filters.end)
    return events.order_by("-occurred_at", "-id")


@dataclass(frozen=True)
class Person:
    name: str
    email: str
    role: str


def people(actor_ids: Iterable[int | None]) -> dict[int, Person]:
    """The people behind the events' actor ids, in one query (an id of someone no longer in
    the practice, or of the platform's staff, is simply absent)."""
    ids = {actor_id for actor_id in actor_ids if actor_id is not None}
    if not ids:
        return {}
    return {pk: Person(name or email, email, role) for pk, name, email, role in
            User.objects.filter(pk__in=ids).values_list("pk", "full_name", "email", "role")}


def action_groups() -> list[tuple[str, list[str]]]:
    """Every kind of event, grouped by the thing it is about (`client.invited` under
    "client"), for the filter's <optgroup>s."""
    groups: dict[str, list[str]] = {}
    for action in sorted(Action, key=lambda member: member.value):
        groups.setdefault(action.value.split(".", 1)[0], []).append(action.value)
    return sorted(groups.items())


def person_by_email(email: str) -> User | None:
    return User.objects.filter(email__iexact=email.strip()).first()


def viewer_zone(user: User) -> ZoneInfo:
    """The reader's own timezone, else the practice's default (as notifications find it)."""
    try:
        return ZoneInfo(recipient_clock(user).timezone)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")
