"""Building engagement situations quickly and exactly: clients using the portal (access
accepted), their check-ins, scores, journal entries, homework and schedules, written straight
to the practice's tables with the times a test needs; then the engine run at a chosen moment."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from itertools import count
from zoneinfo import ZoneInfo

from django.db import connection
from django_tenants.utils import schema_context

from portal.models import ClientAccess
from practice.engagement import services
from practice.engagement.models import RuleSetting
from practice.measurement.models import Alert, Response
from practice.models import ClientProfile
from practice.notifications.models import Notification
from tenants.accounts.models import Role, User
from tests.conftest import PASSWORD, PracticeWorld

ZONE = "America/Chicago"
# A fixed moment, 15:00 in Chicago (CST), far from midnight and from daylight-saving changes.
NOW = datetime(2026, 1, 21, 21, 0, tzinfo=ZoneInfo("UTC"))
_numbers = count(1)


@contextmanager
def inside(world: PracticeWorld) -> Iterator[None]:
    with schema_context(world.practice.schema_name):
        yield
    connection.set_schema_to_public()


def local_day(moment: datetime = NOW) -> date:
    return moment.astimezone(ZoneInfo(ZONE)).date()


def midnight(day: date) -> datetime:
    return datetime.combine(day, datetime.min.time(), tzinfo=ZoneInfo(ZONE))


def portal_client(world: PracticeWorld, name: str = "", *, clinician: User | None = None,
                  last_login: datetime | None = NOW, accepted_at: datetime | None = None,
                  with_clinician: bool = True) -> User:
    """A client using the portal (call inside the practice's schema)."""
    number = next(_numbers)
    client = User.objects.create_user(f"watched{number}@example.org", PASSWORD,
                                      full_name=name or f"Watched Client {number}",
                                      role=Role.CLIENT)
    if last_login is not None:
        User.objects.filter(pk=client.pk).update(last_login=last_login)
    ClientAccess.objects.create(user=client, visible_modules=["assessments", "journal"],
                                invited_at=NOW - timedelta(days=400),
                                accepted_at=accepted_at or NOW - timedelta(days=400))
    profile = ClientProfile.objects.create(user=client, timezone=ZONE)
    if with_clinician:
        profile.clinicians.add(clinician or world.clinician)
    client.refresh_from_db()
    return client


def score(client: User, instrument: str, total: float, submitted_at: datetime) -> Response:
    return Response.objects.create(
        client=client, instrument_key=instrument, definition_version=1,
        status=Response.Status.SUBMITTED, answers={}, submitted_at=submitted_at,
        started_at=submitted_at, is_scored=True, total=Decimal(str(total)),
        scorer="sum", scorer_version="1")


def set_rule(key: str, *, threshold: int, is_enabled: bool = True) -> None:
    RuleSetting.objects.update_or_create(rule_key=key, defaults={"threshold": threshold,
                                                                 "is_enabled": is_enabled})


def evaluate(world: PracticeWorld, now: datetime = NOW) -> services.Evaluation:
    return services.engagement_evaluate(practice=world.practice, now=now)


@dataclass(frozen=True)
class Seen:
    client_id: int
    kind: str
    summary: str
    cleared: bool
    recipients: tuple[int, ...]


def alerts(kind: str | None = None) -> list[Seen]:
    rows = Alert.objects.order_by("pk").prefetch_related("recipients")
    if kind:
        rows = rows.filter(kind=kind)
    return [Seen(alert.client_id, alert.kind, alert.summary,
                 alert.condition_cleared_at is not None,
                 tuple(sorted(person.pk for person in alert.recipients.all())))
            for alert in rows]


def alerted(kind: str) -> list[int]:
    """The clients with an alert of this kind whose condition is ongoing."""
    return sorted(Alert.objects.filter(kind=kind, condition_cleared_at__isnull=True)
                  .values_list("client_id", flat=True))


ALERT_KINDS = ("alert_raised", "alert_raised_routine")


def outbox(kind: str | None = None) -> list[tuple[int, str, str, dict]]:
    """Outbox rows of `kind`, or of either alert kind (urgent and routine)."""
    kinds = (kind,) if kind else ALERT_KINDS
    return [(row.recipient_id, row.channel, row.idempotency_key, row.context)
            for row in Notification.objects.filter(kind__in=kinds).order_by("pk")]
