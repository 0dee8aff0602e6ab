"""What the notification tests share: a client with portal access in a timezone, a test kind
registered the way features register theirs, and quick looks at a practice's outbox."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

from django.utils import timezone
from django_tenants.utils import schema_context

from portal.models import ClientAccess
from practice.models import ClientProfile
from practice.notifications.kinds import NotificationKind, register
from practice.notifications.models import Notification, NotificationSettings, PushSubscription
from tests.conftest import PracticeWorld

CLIENT_ZONE = "America/Chicago"
# Appointment ids the test kind considers cancelled (its is_still_due reads the context's id).
CANCELLED: set[int] = set()

REMINDER = register(NotificationKind(
    key="tests_reminder",
    preference="reminders",
    subject="You have a session tomorrow",
    push_body="You have a session tomorrow.",
    link=lambda context: "/portal/",
    is_still_due=lambda notification: notification.context.get("appointment_id") not in CANCELLED,
))


@contextmanager
def inside(world: PracticeWorld) -> Iterator[None]:
    # schema_context puts back whichever schema was current, so these nest.
    with schema_context(world.practice.schema_name):
        yield


def give_portal(world: PracticeWorld, zone: str = CLIENT_ZONE, *,
                quiet_hours: bool = False) -> None:
    """The client accepted their invitation, with a profile in `zone`. Unless asked for, the
    practice keeps no quiet hours, so what a test sends does not depend on the hour it runs."""
    with inside(world):
        if not quiet_hours:
            NotificationSettings.objects.update_or_create(
                singleton=True, defaults={"quiet_hours_enabled": False})
        ClientProfile.objects.update_or_create(user=world.client, defaults={"timezone": zone})
        ClientAccess.objects.update_or_create(user=world.client, defaults={
            "accepted_at": timezone.now() - timedelta(days=1),
            "visible_modules": ["assessments"]})


def give_device(world: PracticeWorld, user: Any, endpoint: str, p256dh: str = "p",
                auth: str = "a") -> PushSubscription:
    with inside(world):
        return PushSubscription.objects.create(user=user, endpoint=endpoint, p256dh=p256dh,
                                               auth=auth, device_label="Phone")


def outbox(world: PracticeWorld) -> list[dict[str, Any]]:
    with inside(world):
        return list(Notification.objects.order_by("id").values(
            "id", "recipient_id", "kind", "channel", "idempotency_key", "status", "attempts",
            "not_before"))
