"""The authorisation matrix of the booking pages and API: anonymous, the client, a client of
another practice, front desk, billing, a clinician not on the client's care team, the assigned
clinician and the owner. A refused request shows nothing of the client and changes nothing;
another practice's id answers exactly like a missing one; the module off hides everything."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django_tenants.utils import schema_context

from practice.appointments.models import Appointment
from tenants.models import Practice
from tests.appointments.helpers import (
    MARKER,
    BookingWorld,
    next_weekday_at,
    page_text,
    prepare,
    snapshot,
)

SIGN_IN = "/accounts/sign-in/"
WHO = ("anonymous", "client", "other_client", "front_desk", "billing", "outsider", "clinician",
       "owner")


def expect(**overrides: int) -> dict[str, int]:
    """Staff booking pages: signed-out people go to sign in, the rest 404 unless allowed."""
    base = {"anonymous": 302, "other_client": 302}
    return {who: overrides.get(who, base.get(who, 404)) for who in WHO}


BOOKERS = expect(front_desk=200, clinician=200, owner=200)
SCHEDULE_READERS = BOOKERS  # another clinician's day: not for a clinician
OWNER_ONLY = expect(owner=200)
FEED_HOLDERS = expect(outsider=200, clinician=200, owner=200)
PORTAL = {"anonymous": 302, "client": 200, "other_client": 302, "front_desk": 404,
          "billing": 404, "outsider": 404, "clinician": 404, "owner": 404}


@pytest.fixture
def worlds(alpha, beta) -> tuple[BookingWorld, BookingWorld, Appointment]:
    booking, beta_booking = prepare(alpha), prepare(beta)
    start = next_weekday_at(15)
    appointment = booking.book(start)
    beta_booking.book(start)
    beta_booking.book(start + timedelta(days=1))
    return booking, beta_booking, appointment


def _http(booking: BookingWorld, beta_booking: BookingWorld, who: str):
    if who == "other_client":
        http = beta_booking.http(beta_booking.client)
        http.defaults["HTTP_HOST"] = booking.world.host
        return http
    return booking.http(booking.people()[who])


def _no_leak(response, who: str, path: str) -> None:
    assert MARKER not in response.content.decode(), (who, path)
    if response.status_code == 302:
        assert response["Location"].startswith(SIGN_IN), (who, path)


def staff_reads(booking: BookingWorld, appointment: Appointment) -> list[tuple[str, dict, bool]]:
    """(path, expected statuses, whether the page shows the client's name to those it lets
    in; the outsider's client list is empty)."""
    day = appointment.starts_at.astimezone(next_weekday_at(15).tzinfo).date()
    clinician = booking.clinician.pk
    return [
        (f"/appointments/?clinician={clinician}&date={day.isoformat()}", SCHEDULE_READERS,
         True),
        ("/appointments/clients/", BOOKERS | {"outsider": 200}, True),
        (f"/appointments/clients/{booking.client.pk}/", BOOKERS, True),
        (f"/appointments/{appointment.pk}/", BOOKERS, True),
        (f"/appointments/availability/{clinician}/", BOOKERS, False),
        ("/appointments/availability/", BOOKERS | {"outsider": 302, "clinician": 302}, False),
        ("/appointments/types/", OWNER_ONLY, False),
        ("/appointments/settings/", OWNER_ONLY, False),
        ("/appointments/calendar/", FEED_HOLDERS, False),
    ]


def test_staff_pages(worlds) -> None:
    booking, beta_booking, appointment = worlds
    for path, expected, shows_client in staff_reads(booking, appointment):
        for who in WHO:
            response = _http(booking, beta_booking, who).get(path)
            assert response.status_code == expected[who], (who, path)
            if expected[who] == 200:
                shows = shows_client and who != "outsider"
                assert (MARKER in page_text(response)) is shows, (who, path)
            elif not (who in ("outsider", "clinician")
                      and path == "/appointments/availability/"):
                _no_leak(response, who, path)


def staff_writes(booking: BookingWorld, appointment: Appointment) -> list[tuple[str, dict]]:
    start = next_weekday_at(11, days_ahead=6).astimezone(next_weekday_at(15).tzinfo)
    clinician = booking.clinician.pk
    return [
        (f"/appointments/clients/{booking.client.pk}/", {
            "clinician": clinician, "appointment_type": booking.office_type,
            "date": start.date().isoformat(), "time": "11:00"}),
        (f"/appointments/{appointment.pk}/reschedule/",
         {"date": start.date().isoformat(), "time": "13:00"}),
        (f"/appointments/{appointment.pk}/cancel/", {"requested_by": "practice"}),
        (f"/appointments/availability/{clinician}/", {"timezone": "UTC", "day_0": "1-2"}),
        ("/appointments/types/", {"name": "X", "duration_minutes": "30",
                                  "mode": "in_person"}),
        (f"/appointments/types/{booking.office_type}/active/", {"is_active": "0"}),
        ("/appointments/settings/", {"minimum_notice_hours": "1",
                                     "cancellation_cutoff_hours": "1",
                                     "booking_horizon_days": "1", "reminder_hours": "",
                                     "timezone": "UTC"}),
        ("/appointments/calendar/", {"action": "regenerate"}),
    ]


def test_refused_staff_writes_change_nothing_and_the_owner_may(worlds) -> None:
    booking, beta_booking, appointment = worlds
    before, beta_before = snapshot(booking), snapshot(beta_booking)
    for who in ("anonymous", "client", "other_client", "billing", "outsider", "front_desk"):
        http = _http(booking, beta_booking, who)
        for path, data in staff_writes(booking, appointment):
            allowed = (who == "front_desk" and not path.startswith(
                ("/appointments/types/", "/appointments/settings/", "/appointments/calendar/"))
            ) or (who == "outsider" and path == "/appointments/calendar/")  # their own feed
            if allowed:
                continue
            response = http.post(path, data)
            assert response.status_code == (302 if who in ("anonymous", "other_client")
                                            else 404), (who, path)
            _no_leak(response, who, path)
    assert snapshot(booking) == before
    assert snapshot(beta_booking) == beta_before
    # The owner may do all of it, in their own practice only.
    http = booking.http(booking.world.owner)
    for path, data in staff_writes(booking, appointment):
        assert http.post(path, data).status_code in (200, 302), path
    after = snapshot(booking)
    assert [row[3] for row in after["appointments"]] == ["cancelled", "booked"]
    assert after["types"][-1] == ("X", 30, True)
    assert after["settings"] == [(False, 1, [])]
    assert snapshot(beta_booking) == beta_before


def test_portal_pages_other_practices_ids_and_the_module_off(worlds) -> None:
    booking, beta_booking, appointment = worlds
    paths = ["/portal/appointments/", "/portal/appointments/book/",
             f"/portal/appointments/{appointment.pk}/cancel/"]
    for who in WHO:
        http = _http(booking, beta_booking, who)
        for path in paths:
            response = http.get(path)
            assert response.status_code == PORTAL[who], (who, path)
            if PORTAL[who] != 200:
                _no_leak(response, who, path)
        join = http.get(f"/portal/appointments/{appointment.pk}/join/")
        assert join.status_code == (302 if who in ("anonymous", "client", "other_client")
                                    else 404), who
    # Beta has a second appointment (id 2); on alpha's host that id is as missing as id 999.
    staff = booking.http(booking.world.owner)
    missing, foreign = staff.get("/appointments/999/"), staff.get("/appointments/2/")
    assert missing.status_code == foreign.status_code == 404
    assert page_text(missing) == page_text(foreign)
    client = booking.http(booking.client)
    assert client.get("/portal/appointments/2/cancel/").status_code == 404
    assert client.post("/portal/appointments/2/cancel/", {}).status_code == 404
    assert client.get("/api/v1/appointments/2").status_code == 404
    with schema_context(beta_booking.schema):
        assert list(Appointment.objects.values_list("status", flat=True)) == ["booked",
                                                                              "booked"]
    connection.set_schema_to_public()

    # Booking off: every page and endpoint is gone, the home's card too; nothing deleted.
    practice = booking.practice
    Practice.objects.filter(pk=practice.pk).update(
        enabled_modules=[key for key in practice.enabled_modules if key != "booking"])
    owner, client = booking.http(booking.world.owner), booking.http(booking.client)
    for http, path in [(owner, "/appointments/"), (owner, f"/appointments/{appointment.pk}/"),
                       (owner, "/api/v1/appointments"), (client, "/portal/appointments/"),
                       (client, "/api/v1/booking/slots")]:
        assert http.get(path).status_code == 404, path
    home = page_text(client.get("/portal/"))
    assert "Your next session" not in home and "/portal/appointments/" not in home
    with schema_context(booking.schema):
        assert Appointment.objects.count() == 1
    connection.set_schema_to_public()
    # The other practice keeps it.
    assert beta_booking.http(beta_booking.client).get("/portal/appointments/").status_code == 200
