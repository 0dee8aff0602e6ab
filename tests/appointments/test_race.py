"""Two clients, one slot, two requests at the same moment in real, committed transactions:
exactly one is booked and the other is told the time was just taken. Then two staff bookings
with no check at all before the insert: the database's exclusion constraint alone decides."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context

from practice.appointments import services
from practice.appointments.models import Appointment
from tenants.accounts.models import User
from tests.appointments.helpers import (
    booking_client,
    next_weekday_at,
    outbox,
    page_text,
    prepare,
    together,
)


@pytest.mark.usefixtures("committed_db")
def test_two_clients_one_slot_exactly_one_wins(practice_factory) -> None:
    booking = prepare(practice_factory("racing", "Racing Practice"))
    rival = booking_client(booking, "rival@example.org", "Robin Rival")
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

    assert together([online(0), online(1)]) == ["302", "409"]
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

    assert together([staff(booking.client), staff(rival)]) == [
        "That time was just taken. Please choose another.", "booked"]
    with schema_context(booking.schema):
        assert list(Appointment.objects.order_by("starts_at").values_list("starts_at", flat=True)
                    ) == [start, later]
