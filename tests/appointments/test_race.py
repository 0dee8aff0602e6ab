"""Two clients, one slot, two requests at the same moment in real, committed transactions:
exactly one is booked and the other is told the time was just taken. Then two staff bookings
with no check at all before the insert: the database's exclusion constraint alone decides."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
from django.db import connection, connections
from django.utils import timezone
from django_tenants.utils import schema_context

from portal.consent import current_consent
from portal.invitations import consent_accept
from portal.models import ClientAccess
from practice.appointments import services
from practice.appointments.models import Appointment
from practice.models import ClientProfile
from tenants.accounts.models import Role, User
from tests.appointments.helpers import (
    CLIENT_ZONE,
    BookingWorld,
    next_weekday_at,
    outbox,
    page_text,
    prepare,
)
from tests.conftest import PASSWORD


def _rival(booking: BookingWorld) -> User:
    with schema_context(booking.schema):
        rival = User.objects.create_user("rival@example.org", PASSWORD, full_name="Robin Rival",
                                         role=Role.CLIENT)
        profile = ClientProfile.objects.create(user=rival, timezone=CLIENT_ZONE)
        profile.clinicians.add(booking.clinician)
        ClientAccess.objects.create(user=rival, visible_modules=["booking"],
                                    accepted_at=timezone.now())
        consent_accept(user=rival, version=current_consent().version)
    connection.set_schema_to_public()
    return rival


def _together(attempts: list[Callable[[], str]]) -> list[str]:
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


@pytest.mark.usefixtures("committed_db")
def test_two_clients_one_slot_exactly_one_wins(practice_factory) -> None:
    booking = prepare(practice_factory("racing", "Racing Practice"))
    rival = _rival(booking)
    start = next_weekday_at(14)
    https = [booking.http(booking.client), booking.http(rival)]
    form = {"clinician": booking.clinician.pk, "appointment_type": booking.video_type,
            "starts_at": start.isoformat()}

    def online(index: int) -> Callable[[], str]:
        def attempt() -> str:
            response = https[index].post("/portal/appointments/book/", form)
            if response.status_code == 409:
                assert "That time was just taken. Please choose another." in page_text(response)
            return str(response.status_code)
        return attempt

    assert _together([online(0), online(1)]) == ["302", "409"]
    with schema_context(booking.schema):
        winner = Appointment.objects.get()
        assert (winner.starts_at, winner.status, winner.booked_by_id) == (
            start, "booked", winner.client_id)
    # Only the winner's reminders were written (the loser's transaction left nothing).
    assert [key for _, key, _ in outbox(booking)] == [
        f"session_reminder:{winner.pk}:v1:1440:email", f"session_reminder:{winner.pk}:v1:60:email"]

    # Staff booking checks nothing before the insert: only the constraint stands in the way.
    later = start + timezone.timedelta(days=1)

    def staff(client: User) -> Callable[[], str]:
        def attempt() -> str:
            with schema_context(booking.schema):
                try:
                    services.appointment_book(
                        client_id=client.pk, clinician_id=booking.clinician.pk,
                        appointment_type_id=booking.office_type, starts_at=later,
                        acting_user=booking.world.front_desk)
                except services.SlotTaken as taken:
                    return str(taken)
            return "booked"
        return attempt

    assert _together([staff(booking.client), staff(rival)]) == [
        "That time was just taken. Please choose another.", "booked"]
    with schema_context(booking.schema):
        assert list(Appointment.objects.order_by("starts_at").values_list("starts_at", flat=True)
                    ) == [start, later]
