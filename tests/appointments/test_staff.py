"""The staff side: booking for a client at a wall-clock time in the clinician's timezone,
moving, cancelling and recording the outcome from the session's page, the clinician's day,
weekly hours and exceptions, types and the practice's rules; bad input gets a message, never an
error page. And the clinician's calendar feed at its secret address."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db import connection
from django.utils import timezone
from django_tenants.utils import schema_context
from icalendar import Calendar

from practice.appointments import ical
from practice.appointments.models import (
    Appointment,
    AppointmentType,
    AvailabilityException,
    BookingSettings,
    ClinicianCalendar,
    WeeklyAvailability,
)
from practice.appointments.selectors import feed_appointments
from tenants.models import Practice
from tests.appointments.helpers import (
    CLINICIAN_ZONE,
    MARKER,
    audit_actions,
    next_weekday_at,
    page_text,
    prepare,
)

NEW_YORK = ZoneInfo(CLINICIAN_ZONE)


def test_booking_moving_cancelling_and_the_day_view(alpha) -> None:
    booking = prepare(alpha)
    http = booking.http(alpha.front_desk)
    start = next_weekday_at(15)
    local = start.astimezone(NEW_YORK)
    page = http.get(f"/appointments/clients/{alpha.client.pk}/")
    assert page.status_code == 200 and "No upcoming sessions." in page_text(page)
    # Front desk sees no clinical section.
    assert "Before each session" not in page_text(page)
    form = {"clinician": alpha.clinician.pk, "appointment_type": booking.office_type,
            "date": local.date().isoformat(), "time": "15:00"}
    booked = http.post(f"/appointments/clients/{alpha.client.pk}/", form)
    assert booked.status_code == 302
    with schema_context(booking.schema):
        appointment = Appointment.objects.get()
        assert (appointment.starts_at, appointment.ends_at, appointment.booked_by_id) == (
            start, start + timedelta(minutes=50), alpha.front_desk.pk)
    connection.set_schema_to_public()
    assert booked["Location"] == f"/appointments/{appointment.pk}/"
    taken = http.post(f"/appointments/clients/{alpha.client.pk}/", {**form, "time": "15:30"})
    assert taken.status_code == 400
    assert "That time was just taken. Please choose another." in page_text(taken)
    for bad in ({**form, "time": "25:00"}, {**form, "clinician": "999"}, {}):
        assert http.post(f"/appointments/clients/{alpha.client.pk}/", bad).status_code == 400
    # A time that does not exist (clocks go forward on 14 March 2027 at 2:00).
    gap = http.post(f"/appointments/clients/{alpha.client.pk}/",
                    {**form, "date": "2027-03-14", "time": "02:30"})
    assert "That time does not exist on that day: the clocks change." in page_text(gap)

    # The clinician's day, in their timezone.
    day = page_text(booking.http(alpha.clinician).get(
        f"/appointments/?date={local.date().isoformat()}"))
    assert f'15:00–15:50 {local:%Z}</a>' in day and MARKER in day
    detail = page_text(http.get(f"/appointments/{appointment.pk}/"))
    assert "Move the session" in detail and "What happened" not in detail

    moved = http.post(f"/appointments/{appointment.pk}/reschedule/",
                      {"date": local.date().isoformat(), "time": "16:00"})
    assert moved.status_code == 302
    outcome = http.post(f"/appointments/{appointment.pk}/outcome/", {"outcome": "no_show"})
    assert outcome.status_code == 302
    cancel = http.post(f"/appointments/{appointment.pk}/cancel/",
                       {"requested_by": "practice", "reason": "Clinician ill"})
    assert cancel.status_code == 302
    with schema_context(booking.schema):
        appointment.refresh_from_db()
        assert (appointment.starts_at, appointment.status, appointment.cancellation_reason,
                appointment.schedule_version) == (start + timedelta(hours=1), "cancelled",
                                                  "Clinician ill", 2)
    connection.set_schema_to_public()
    assert "This session has not started yet." in page_text(
        http.get(f"/appointments/{appointment.pk}/"))  # the message from the refused outcome
    assert audit_actions(booking, "appointment.") == [
        "appointment.booked", "appointment.rescheduled", "appointment.cancelled"]
    assert audit_actions(booking, "booking.") == [
        "booking.client_appointments_viewed", "booking.client_appointments_viewed",
        "booking.client_appointments_viewed", "booking.client_appointments_viewed",
        "booking.client_appointments_viewed", "booking.client_appointments_viewed",
        "booking.schedule_viewed", "booking.appointment_viewed", "booking.appointment_viewed"]


def test_hours_types_and_rules(alpha) -> None:
    booking = prepare(alpha)
    clinician = booking.http(alpha.clinician)
    url = f"/appointments/availability/{alpha.clinician.pk}/"
    page = page_text(clinician.get(url))
    assert 'value="09:00-17:00"' in page
    saved = clinician.post(url, {"timezone": "Europe/Berlin", "day_0": "8-12, 13:30-17",
                                 "day_2": "9:00 - 11:00"})
    assert saved.status_code == 302
    refused = clinician.post(url, {"timezone": "Europe/Berlin", "day_0": "9-12, 11-13"})
    assert "Two periods of hours on the same day overlap." in page_text(refused)
    nonsense = clinician.post(url, {"timezone": "Mars/Base", "day_1": "morning"})
    assert nonsense.status_code == 400
    assert "is not a period of hours; write it like 9:00-12:30." in page_text(nonsense)
    day_off = date.today() + timedelta(days=7)
    assert clinician.post(f"{url}exceptions/", {"date": day_off.isoformat(),
                                                "kind": "off"}).status_code == 302
    assert clinician.post(f"{url}exceptions/", {"date": day_off.isoformat(), "kind": "extra"}
                          ).status_code == 400
    with schema_context(booking.schema):
        assert list(WeeklyAvailability.objects.values_list("weekday", "starts_at", "ends_at")
                    ) == [(0, time(8), time(12)), (0, time(13, 30), time(17)),
                          (2, time(9), time(11))]
        assert ClinicianCalendar.objects.get(clinician=alpha.clinician).timezone == (
            "Europe/Berlin")
        exception = AvailabilityException.objects.get()
    connection.set_schema_to_public()
    # Another clinician's hours are out of a clinician's reach; the owner manages them.
    assert booking.http(booking.outsider).get(url).status_code == 404
    assert booking.http(alpha.owner).get(url).status_code == 200
    assert clinician.post(f"/appointments/exceptions/{exception.pk}/remove/").status_code == 302

    owner = booking.http(alpha.owner)
    assert owner.post("/appointments/types/", {"name": "Intake", "duration_minutes": "90",
                                               "mode": "video"}).status_code == 400
    assert owner.post("/appointments/types/", {
        "name": "Intake", "duration_minutes": "90", "mode": "video",
        "video_link": "https://meet.example.com/intake", "is_bookable_online": ""}
    ).status_code == 302
    assert owner.post(f"/appointments/types/{booking.office_type}/active/",
                      {"is_active": "0"}).status_code == 302
    assert owner.post("/appointments/settings/", {
        "online_booking_enabled": "", "minimum_notice_hours": "48",
        "cancellation_cutoff_hours": "12", "booking_horizon_days": "30",
        "reminder_hours": "48, 2, 0.5", "timezone": "America/Chicago"}).status_code == 302
    assert owner.post("/appointments/settings/", {
        "minimum_notice_hours": "-1", "cancellation_cutoff_hours": "12",
        "booking_horizon_days": "30", "reminder_hours": "1, 2, 3, 4",
        "timezone": "America/Chicago"}).status_code == 400
    with schema_context(booking.schema):
        assert list(AppointmentType.objects.order_by("pk").values_list(
            "name", "duration_minutes", "is_active", "is_bookable_online")) == [
            ("Video session", 50, True, True), ("Office session", 50, False, True),
            ("Intake", 90, True, False)]
        assert list(BookingSettings.objects.values_list(
            "online_booking_enabled", "minimum_notice_hours", "cancellation_cutoff_hours",
            "booking_horizon_days", "reminder_offsets_minutes", "timezone")) == [
            (False, 48, 12, 30, [2880, 120, 30], "America/Chicago")]
    connection.set_schema_to_public()
    settings_page = page_text(owner.get("/appointments/settings/"))
    assert 'value="48, 2, 0.5"' in settings_page


def _feed_url(response) -> str:
    text = page_text(response)
    start = text.index('readonly value="') + len('readonly value="')
    return text[start:text.index('"', start)]


def test_calendar_feed_at_a_secret_address(alpha, beta) -> None:
    booking, beta_booking = prepare(alpha), prepare(beta)
    start = next_weekday_at(15)
    appointment = booking.book(start)
    booking.book(start + timedelta(days=1), kind="office")
    http = booking.http(alpha.clinician)
    assert "Your feed is off." in page_text(http.get("/appointments/calendar/"))
    made = http.post("/appointments/calendar/", {"action": "regenerate"})
    assert made["Cache-Control"] == "no-store"
    url = _feed_url(made)
    assert url.startswith("http://alpha.") and url.endswith(".ics")
    path = url.split(alpha.host, 1)[1]
    # Shown once only: the next visit does not show it, and the database keeps only a hash.
    assert path not in page_text(http.get("/appointments/calendar/"))
    token = path.rsplit("/", 1)[1].removesuffix(".ics")
    with schema_context(booking.schema):
        assert token not in str(list(ClinicianCalendar.objects.values_list()))
    connection.set_schema_to_public()

    feed = booking.http().get(path)  # no sign-in: calendar apps fetch it
    assert feed.status_code == 200
    assert feed["Content-Type"] == "text/calendar; charset=utf-8"
    events = Calendar.from_ical(feed.content).walk("VEVENT")
    assert [(str(event["SUMMARY"]), event.decoded("DTSTART"), str(event["LOCATION"]))
            for event in events] == [
        ("Z.M.: Video session", start, "https://meet.example.com/room-7f3"),
        ("Z.M.: Office session", start + timedelta(days=1), "In person")]
    assert str(events[0]["UID"]) == f"appointment-{appointment.pk}@{alpha.host}"
    assert MARKER not in feed.content.decode()
    # Full names when the clinician chooses them.
    http.post("/appointments/calendar/", {"action": "names", "full_names": "on"})
    assert f"SUMMARY:{MARKER}: Video session" in booking.http().get(path).content.decode()

    # The token works on its own practice's host only, and a new one ends the old.
    stranger = beta_booking.http()
    assert stranger.get(path).status_code == 404
    new_path = _feed_url(http.post("/appointments/calendar/", {"action": "regenerate"})
                         ).split(alpha.host, 1)[1]
    assert booking.http().get(path).status_code == 404
    assert booking.http().get(new_path).status_code == 200
    assert booking.http().get("/appointments/feed/not-a-token.ics").status_code == 404
    # Booking turned off: the feed is gone too (nothing deleted).
    Practice.objects.filter(pk=alpha.practice.pk).update(
        enabled_modules=[key for key in alpha.practice.enabled_modules if key != "booking"])
    assert booking.http().get(new_path).status_code == 404
    Practice.objects.filter(pk=alpha.practice.pk).update(
        enabled_modules=alpha.practice.enabled_modules)
    http.post("/appointments/calendar/", {"action": "off"})
    assert booking.http().get(new_path).status_code == 404
    assert audit_actions(booking, "calendar_feed.") == [
        "calendar_feed.regenerated", "calendar_feed.fetched", "calendar_feed.updated",
        "calendar_feed.fetched", "calendar_feed.regenerated", "calendar_feed.fetched",
        "calendar_feed.turned_off"]
    # Front desk has no feed of their own.
    assert booking.http(alpha.front_desk).get("/appointments/calendar/").status_code == 404


def test_feed_event_times_are_absolute(alpha) -> None:
    """The feed is in UTC: a session at 9:00 New York just after the clocks change is 13:00Z."""
    booking = prepare(alpha)
    monday = datetime(2027, 3, 15, 9, tzinfo=NEW_YORK).astimezone(UTC)
    booking.book(monday, now=datetime(2027, 3, 1, tzinfo=UTC))
    with schema_context(booking.schema):
        body = ical.clinician_feed(
            calendar=ClinicianCalendar.objects.get(clinician=alpha.clinician),
            appointments=feed_appointments(alpha.clinician, monday), now=timezone.now(),
            practice_name="Alpha", host="h")
    connection.set_schema_to_public()
    assert b"DTSTART:20270315T130000Z" in body and b"DTEND:20270315T135000Z" in body
