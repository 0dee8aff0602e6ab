"""A practice ready for booking: the module on, online booking on (24 hours' notice and
cut-off), a clinician in New York with weekday hours, a video and an in-person type, the client
(in Chicago, with portal access and consent, as after an invitation) on the clinician's
caseload, and a second clinician who is not on it."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db import connection, connections
from django.test import Client
from django.utils import timezone
from django_tenants.utils import schema_context

from portal.consent import current_consent
from portal.invitations import consent_accept
from portal.models import ClientAccess
from practice.appointments import services
from practice.appointments.models import (
    Appointment,
    AppointmentType,
    BookingSettings,
    ClinicianCalendar,
    WeeklyAvailability,
)
from practice.models import ClientProfile
from practice.notifications.models import Notification
from tenants.accounts.models import Role, User
from tenants.actor import Actor
from tenants.audit.models import AuditEvent
from tenants.models import Practice
from tests.conftest import PASSWORD, PracticeWorld

CLINICIAN_ZONE = "America/New_York"
CLIENT_ZONE = "America/Chicago"
VIDEO_LINK = "https://meet.example.com/room-7f3"
MARKER = "Zed Marker-7f3"  # the client's name: must never show where it should not


def page_text(response) -> str:
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"| nonce="[^"]*"', "",
                  response.content.decode())


@dataclass
class BookingWorld:
    world: PracticeWorld
    outsider: User  # a clinician not on the client's care team
    video_type: int
    office_type: int

    @property
    def practice(self) -> Practice:
        return self.world.practice

    @property
    def schema(self) -> str:
        return self.world.practice.schema_name

    @property
    def client(self) -> User:
        return self.world.client

    @property
    def clinician(self) -> User:
        return self.world.clinician

    def http(self, user: User | None = None) -> Client:
        return self.world.http(user)

    def people(self) -> dict[str, User | None]:
        return {"anonymous": None, "client": self.world.client,
                "front_desk": self.world.front_desk, "billing": self.world.billing,
                "outsider": self.outsider, "clinician": self.world.clinician,
                "owner": self.world.owner}

    def book(self, starts_at: datetime, *, kind: str = "video", client: User | None = None,
             by: User | None = None, now: datetime | None = None) -> Appointment:
        with schema_context(self.schema):
            appointment = services.appointment_book(
                client_id=(client or self.client).pk, clinician_id=self.clinician.pk,
                appointment_type_id=self.video_type if kind == "video" else self.office_type,
                starts_at=starts_at, actor=Actor.of(by or self.world.front_desk), now=now)
        connection.set_schema_to_public()
        return appointment


def turn_on_booking(world: PracticeWorld) -> None:
    modules = sorted(set(world.practice.enabled_modules) | {"booking"})
    Practice.objects.filter(pk=world.practice.pk).update(enabled_modules=modules)
    world.practice.refresh_from_db()


def prepare(world: PracticeWorld, *, client_name: str = MARKER) -> BookingWorld:
    turn_on_booking(world)
    with schema_context(world.practice.schema_name):
        User.objects.filter(pk=world.client.pk).update(full_name=client_name)
        world.client.refresh_from_db()
        profile, _ = ClientProfile.objects.get_or_create(user=world.client,
                                                         defaults={"timezone": CLIENT_ZONE})
        profile.clinicians.add(world.clinician)
        ClientAccess.objects.create(user=world.client,
                                    visible_modules=list(world.practice.enabled_modules),
                                    invited_at=timezone.now(), accepted_at=timezone.now())
        consent_accept(user=world.client, version=current_consent().version)
        outsider = User.objects.create_user("other-clinician@example.org", PASSWORD,
                                            full_name="Otto Other", role=Role.CLINICIAN)
        BookingSettings.objects.create(online_booking_enabled=True)
        ClinicianCalendar.objects.create(clinician=world.clinician, timezone=CLINICIAN_ZONE)
        WeeklyAvailability.objects.bulk_create([
            WeeklyAvailability(clinician=world.clinician, weekday=day, starts_at=time(9),
                               ends_at=time(17)) for day in range(5)])
        video = AppointmentType.objects.create(name="Video session", duration_minutes=50,
                                               mode="video", video_link=VIDEO_LINK)
        office = AppointmentType.objects.create(name="Office session", duration_minutes=50,
                                                mode="in_person")
    connection.set_schema_to_public()
    return BookingWorld(world=world, outsider=outsider, video_type=video.pk,
                        office_type=office.pk)


def next_weekday_at(hour: int, *, days_ahead: int = 3, zone: str = CLINICIAN_ZONE) -> datetime:
    """A weekday `days_ahead` days or more from now, at `hour` o'clock in `zone`, as UTC."""
    local = timezone.now().astimezone(ZoneInfo(zone)) + timedelta(days=days_ahead)
    while local.weekday() >= 5:
        local += timedelta(days=1)
    return local.replace(hour=hour, minute=0, second=0, microsecond=0).astimezone(UTC)


def outbox(booking: BookingWorld, kind: str | None = None) -> list[tuple[str, str, datetime]]:
    """(kind, idempotency key, not before) of the practice's outbox rows, in order."""
    with schema_context(booking.schema):
        rows = Notification.objects.order_by("pk")
        if kind:
            rows = rows.filter(kind=kind)
        found = list(rows.values_list("kind", "idempotency_key", "not_before"))
    connection.set_schema_to_public()
    return found


def audit_actions(booking: BookingWorld, prefix: str) -> list[str]:
    with schema_context(booking.schema):
        rows = list(AuditEvent.objects.filter(action__startswith=prefix).order_by("pk")
                    .values_list("action", flat=True))
    connection.set_schema_to_public()
    return rows


def snapshot(booking: BookingWorld) -> dict[str, list]:
    """Everything the booking pages can change."""
    with schema_context(booking.schema):
        state = {
            "appointments": list(Appointment.objects.order_by("pk").values_list(
                "client_id", "clinician_id", "starts_at", "status", "schedule_version")),
            "types": list(AppointmentType.objects.order_by("pk").values_list(
                "name", "duration_minutes", "is_active")),
            "hours": list(WeeklyAvailability.objects.order_by("pk").values_list(
                "clinician_id", "weekday", "starts_at", "ends_at")),
            "settings": list(BookingSettings.objects.values_list(
                "online_booking_enabled", "minimum_notice_hours", "reminder_offsets_minutes")),
            "calendars": list(ClinicianCalendar.objects.order_by("pk").values_list(
                "clinician_id", "feed_token_hash", "feed_full_names")),
        }
    connection.set_schema_to_public()
    return state


def booking_client(booking: BookingWorld, email: str, name: str) -> User:
    """A client of the booking world's clinician, with portal access and consent given."""
    with schema_context(booking.schema):
        person = User.objects.create_user(email, PASSWORD, full_name=name, role=Role.CLIENT)
        profile = ClientProfile.objects.create(user=person, timezone=CLIENT_ZONE)
        profile.clinicians.add(booking.clinician)
        ClientAccess.objects.create(user=person, visible_modules=["booking"],
                                    accepted_at=timezone.now())
        consent_accept(user=person, version=current_consent().version)
    connection.set_schema_to_public()
    return person


def together(attempts: list[Callable[[], str]]) -> list[str]:
    """Run the attempts in threads released at once; their outcomes, sorted."""
    barrier = threading.Barrier(len(attempts))
    outcomes: list[str] = []

    def run(attempt: Callable[[], str]) -> None:
        try:
            barrier.wait(timeout=10)
            outcomes.append(attempt())
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(attempt,)) for attempt in attempts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return sorted(outcomes)
