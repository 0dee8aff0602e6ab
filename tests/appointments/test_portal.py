"""The client's side: free times in their own timezone after the minimum notice, booking one,
the slot gone and a second try told it was taken, cancelling before the cut-off, the Join
button from 10 minutes before a video session, and the next session on the portal home."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tenants.utils import schema_context

from practice.appointments.models import Appointment, BookingSettings
from tests.appointments.helpers import (
    CLIENT_ZONE,
    CLINICIAN_ZONE,
    VIDEO_LINK,
    audit_actions,
    next_weekday_at,
    page_text,
    prepare,
)

SLOT = re.compile(r'name="starts_at" value="([^"]+)" required> ([^<]+)</label>')
CHICAGO, NEW_YORK = ZoneInfo(CLIENT_ZONE), ZoneInfo(CLINICIAN_ZONE)


def offered(page: str) -> list[tuple[datetime, str]]:
    return [(datetime.fromisoformat(value), label) for value, label in SLOT.findall(page)]


def test_booking_online_in_the_clients_timezone(alpha, beta) -> None:
    booking, beta_booking = prepare(alpha), prepare(beta)
    http = booking.http(alpha.client)
    listing = page_text(http.get("/portal/appointments/"))
    assert '<a class="button" href="/portal/appointments/book/">Book a session</a>' in listing
    assert "No sessions booked." in listing
    now = timezone.now()
    page = http.get(f"/portal/appointments/book/?type={booking.video_type}")
    assert page.status_code == 200
    slots = offered(page_text(page))
    assert len(slots) > 10
    for start, label in slots:
        assert start >= now + timedelta(hours=24)  # the minimum notice
        local = start.astimezone(NEW_YORK)
        assert local.weekday() < 5 and 9 * 60 <= local.hour * 60 + local.minute <= 16 * 60
        # Shown in Chicago, an hour behind New York.
        assert label == f"{start.astimezone(CHICAGO):%-I:%M} " + (
            "a.m." if start.astimezone(CHICAGO).hour < 12 else "p.m.")
    first, _ = slots[0]
    form = {"clinician": alpha.clinician.pk, "appointment_type": booking.video_type,
            "starts_at": first.isoformat()}
    done = http.post("/portal/appointments/book/", form)
    assert (done.status_code, done["Location"]) == (302, "/portal/appointments/")
    listing = page_text(http.get("/portal/appointments/"))
    local = first.astimezone(CHICAGO)
    assert f"{local:%A} {local.day} {local:%B}, {local:%-I:%M}" in listing
    assert "with Casey Clinician" in listing and "Cancel this session" in listing
    # The time is gone from what is offered; trying it again is refused, nothing added.
    again = http.get(f"/portal/appointments/book/?type={booking.video_type}")
    assert first not in [start for start, _ in offered(page_text(again))]
    taken = http.post("/portal/appointments/book/", form)
    assert taken.status_code == 409
    assert "That time was just taken. Please choose another." in page_text(taken)
    # Inside the minimum notice: refused.
    too_soon = http.post("/portal/appointments/book/", {
        **form, "starts_at": (now + timedelta(hours=2)).isoformat()})
    assert too_soon.status_code == 400
    assert "That time cannot be booked." in page_text(too_soon)
    # Garbage: a clear message, not an error page.
    assert http.post("/portal/appointments/book/", {"starts_at": "soon"}).status_code == 400
    with schema_context(booking.schema):
        appointment = Appointment.objects.get()
        assert (appointment.client_id, appointment.booked_by_id, appointment.starts_at) == (
            alpha.client.pk, alpha.client.pk, first)
    connection.set_schema_to_public()
    # The portal home shows the next session.
    home = page_text(http.get("/portal/"))
    assert "Your next session" in home and f"{local:%-I:%M}" in home
    # Cancel it (more than 24 hours ahead).
    confirm = http.get(f"/portal/appointments/{appointment.pk}/cancel/")
    assert "Yes, cancel this session" in page_text(confirm)
    cancelled = http.post(f"/portal/appointments/{appointment.pk}/cancel/", {"reason": "Ill"})
    assert cancelled.status_code == 302
    with schema_context(booking.schema):
        assert Appointment.objects.get().status == "cancelled"
        BookingSettings.objects.update(online_booking_enabled=False)
    connection.set_schema_to_public()
    assert "Your next session" not in page_text(http.get("/portal/"))
    closed = http.get("/portal/appointments/book/")
    assert "Online booking is not available." in page_text(closed)
    assert http.post("/portal/appointments/book/", form).status_code == 400
    assert audit_actions(booking, "appointment.") == ["appointment.booked",
                                                      "appointment.cancelled"]
    with schema_context(beta_booking.schema):
        assert Appointment.objects.count() == 0


def test_join_from_ten_minutes_before_and_cancel_cut_off(alpha) -> None:
    booking = prepare(alpha)
    now = timezone.now()
    starting = booking.book(now + timedelta(minutes=5))
    later = booking.book(now + timedelta(hours=3))
    office = booking.book(now + timedelta(hours=5), kind="office")
    http = booking.http(alpha.client)
    listing = page_text(http.get("/portal/appointments/"))
    join_link = f'href="/portal/appointments/{starting.pk}/join/">Join the video session</a>'
    assert join_link in listing
    assert f"/portal/appointments/{later.pk}/join/" not in listing
    opens = (later.starts_at - timedelta(minutes=10)).astimezone(CHICAGO)
    assert f"The Join button appears here at {opens:%-I:%M}" in listing
    assert f"/portal/appointments/{office.pk}/join/" not in listing
    # All three are within the 24-hour cut-off: no cancel link, the page says why.
    assert "Cancel this session" not in listing
    assert "You can cancel online up to 24 hours before a session." in listing
    joined = http.get(f"/portal/appointments/{starting.pk}/join/")
    assert (joined.status_code, joined["Location"]) == (302, VIDEO_LINK)
    early = http.get(f"/portal/appointments/{later.pk}/join/")
    assert (early.status_code, early["Location"]) == (302, "/portal/appointments/")
    refused = http.post(f"/portal/appointments/{later.pk}/cancel/", {})
    assert refused.status_code == 302
    with schema_context(booking.schema):
        assert Appointment.objects.get(pk=later.pk).status == "booked"
    connection.set_schema_to_public()
    assert audit_actions(booking, "portal.session_joined") == ["portal.session_joined"]
    # The portal home's card offers Join too.
    assert join_link in page_text(http.get("/portal/"))


def _queries(http, path: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert http.get(path).status_code == 200
    return len(captured)


def test_list_pages_do_not_grow_with_history(alpha) -> None:
    booking = prepare(alpha)
    start = next_weekday_at(10)
    for day in range(2):
        booking.book(start + timedelta(days=day))
    booking.book(start - timedelta(days=20), now=start - timedelta(days=30))
    client, desk = booking.http(alpha.client), booking.http(alpha.front_desk)
    day_view = f"/appointments/?clinician={alpha.clinician.pk}&date=" + (
        start.astimezone(NEW_YORK).date().isoformat())
    paths = [(client, "/portal/appointments/"), (desk, f"/appointments/clients/{alpha.client.pk}/"),
             (desk, day_view)]
    for http, path in paths:  # the first visit fills the session (consent, modules)
        http.get(path)
    before = [_queries(http, path) for http, path in paths]
    for hour in range(1, 6):
        booking.book(start + timedelta(hours=hour))
        booking.book(start - timedelta(days=hour + 1), now=start - timedelta(days=30))
    assert [_queries(http, path) for http, path in paths] == before
