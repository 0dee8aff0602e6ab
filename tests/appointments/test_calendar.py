"""The staff week calendar (per clinician and for the practice), booking one session or a series
from a free time (the clashing dates named, the rest offered), series through the API, the slot
step with session lengths that are not multiples of it, per-type booking rules, and the
calendar's query count, which does not grow with the number of sessions in the week. The
look-alike practice's calendar is never shown nor touched."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from urllib.parse import unquote, urlencode
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import schema_context

from practice.appointments import selectors, services, week
from practice.appointments.models import (
    Appointment,
    AppointmentSeries,
    AppointmentType,
    BookingSettings,
    OnlineBookingApproval,
)
from tenants.accounts.models import Role, User
from tenants.actor import Actor
from tests.appointments.helpers import MARKER, BookingWorld, audit_actions, page_text, prepare
from tests.conftest import PASSWORD

NEW_YORK = ZoneInfo("America/New_York")
MONDAY = date(2026, 6, 22)  # the clock fixture's Wednesday 17 June 2026 is the week before
JSON = "application/json"


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=NEW_YORK).astimezone(UTC)


def clients(booking: BookingWorld, count: int) -> list[User]:
    with schema_context(booking.schema):
        made = [User.objects.create_user(f"week{index}@example.org", PASSWORD,
                                         full_name=f"Week Client {index}", role=Role.CLIENT)
                for index in range(count)]
    connection.set_schema_to_public()
    return made


def week_queries(booking: BookingWorld, user: User, query: str) -> tuple[int, str]:
    http = booking.http(user)
    http.get(f"/appointments/week/?{query}")  # warm the session and caches
    with CaptureQueriesContext(connection) as queries:
        response = http.get(f"/appointments/week/?{query}")
    assert response.status_code == 200
    return len(queries), page_text(response)


def test_the_week_shows_sessions_and_free_times_in_a_fixed_number_of_queries(
        clock, alpha, beta) -> None:
    booking = prepare(alpha)
    beta_booking = prepare(beta, client_name="Bea Lookalike")
    beta_booking.book(at(MONDAY, 10), kind="office")
    query = f"clinician=all&date={MONDAY.isoformat()}&type={booking.office_type}"
    booking.book(at(MONDAY, 10), kind="office")
    few, page = week_queries(booking, alpha.front_desk, query)
    assert MARKER in page and "Bea Lookalike" not in page
    # Nine more sessions across the week, for nine clients: the same number of queries.
    for index, person in enumerate(clients(booking, 9)):
        booking.book(at(MONDAY + timedelta(days=index % 5), 13 + index // 5), client=person,
                     kind="office")
    many, page = week_queries(booking, alpha.front_desk, query)
    assert many == few
    assert page.count('class="entry-session') == 10
    # Monday, 50-minute sessions on the 30-minute step: free at 9:00, then on the hour where
    # nobody is booked (10:00-10:50, 13:00-13:50 and 14:00-14:50 are taken; 10:30 would
    # overlap the first).
    monday = page.split('id="day-20260622"')[1].split("</section>")[0]
    links = re.findall(r'class="entry-free"><a href="/appointments/book/\?clinician=(\d+)'
                       r'&amp;type=(\d+)&amp;start=([^"]+)"', monday)
    assert [(int(person), int(kind), datetime.fromisoformat(unquote(start)))
            for person, kind, start in links] == [
        (alpha.clinician.pk, booking.office_type, at(MONDAY, hour))
        for hour in (9, 11, 12, 15, 16)]
    assert audit_actions(booking, "booking.week_viewed") == ["booking.week_viewed"] * 4
    with schema_context(beta_booking.schema):
        assert Appointment.objects.count() == 1


def test_the_slot_step_and_a_session_length_not_a_multiple_of_it(clock, alpha) -> None:
    booking = prepare(alpha)
    booking.book(at(MONDAY, 10), kind="office")
    with schema_context(booking.schema):
        kind = AppointmentType.objects.get(pk=booking.office_type)
        for step, expected in (
                (15, [(9, 0), (11, 0), (12, 0), (13, 0), (14, 0), (15, 0), (16, 0)]),
                (5, [(9, 0), (10, 50), (11, 40), (12, 30), (13, 20), (14, 10), (15, 0),
                     (15, 50)])):
            BookingSettings.objects.update(slot_step_minutes=step)
            calendar = week.week_of(alpha.front_desk, clinicians=[alpha.clinician],
                                    first=MONDAY, zone=NEW_YORK, appointment_type=kind,
                                    now=datetime(2026, 6, 17, 18, tzinfo=UTC))
            free = [entry.starts_at for entry in calendar.days[0].lanes[0].entries
                    if entry.is_free]
            assert free == [at(MONDAY, hour, minute) for hour, minute in expected]
        with pytest.raises(services.BookingError):
            services.booking_settings_update(data=services.BookingSettingsInput(
                online_booking_enabled=True, minimum_notice_hours=24,
                cancellation_cutoff_hours=24, booking_horizon_days=60,
                reminder_offsets_minutes=[60], timezone="America/New_York",
                slot_step_minutes=20), actor=Actor.of(alpha.owner))
    connection.set_schema_to_public()


def test_who_sees_which_week(clock, alpha) -> None:
    booking = prepare(alpha)
    booking.book(at(MONDAY, 10), kind="office")
    query = f"date={MONDAY.isoformat()}"
    # A clinician sees their own week; another clinician's is a 404.
    own = booking.http(alpha.clinician).get(f"/appointments/week/?{query}")
    assert own.status_code == 200 and MARKER in page_text(own)
    assert booking.http(booking.outsider).get(
        f"/appointments/week/?{query}&clinician={alpha.clinician.pk}").status_code == 404
    outsider_own = page_text(booking.http(booking.outsider).get(f"/appointments/week/?{query}"))
    assert MARKER not in outsider_own
    # Billing, a client, anonymous: nothing.
    assert booking.http(alpha.billing).get("/appointments/week/").status_code == 404
    assert booking.http(alpha.client).get("/appointments/week/").status_code == 404
    assert booking.http().get("/appointments/week/").status_code == 302
    # htmx asks for the week alone: the fragment, not the page.
    fragment = booking.http(alpha.front_desk).get(f"/appointments/week/?{query}&clinician=all",
                                                  HTTP_HX_REQUEST="true")
    text = page_text(fragment)
    assert text.lstrip().startswith("<div id=\"week\"") and "<html" not in text
    # The API gives the same week.
    data = booking.http(alpha.front_desk).get(
        f"/api/v1/booking/week?clinician={alpha.clinician.pk}&date={MONDAY.isoformat()}"
        f"&appointment_type={booking.office_type}").json()
    assert (data["first"], data["timezone"], data["slot_step_minutes"]) == (
        "2026-06-22", "America/New_York", 30)
    sessions = [entry for day in data["days"] for lane in day["lanes"]
                for entry in lane["entries"] if not entry["is_free"]]
    assert [(entry["client_id"], entry["status"]) for entry in sessions] == [
        (alpha.client.pk, "booked")]
    assert booking.http(alpha.client).get("/api/v1/booking/week").status_code == 404


def test_click_a_free_time_book_a_series_and_the_clash_is_named(clock, alpha, beta) -> None:
    booking, beta_booking = prepare(alpha), prepare(beta)
    other = clients(booking, 1)[0]
    # Someone else has the clinician on the fourth Monday.
    booking.book(at(MONDAY + timedelta(weeks=3), 10), client=other, kind="office")
    http = booking.http(alpha.front_desk)
    query = urlencode({"clinician": alpha.clinician.pk, "type": booking.office_type,
                       "start": at(MONDAY, 10).isoformat()})
    form_page = page_text(http.get(f"/appointments/book/?{query}"))
    assert 'value="2026-06-22"' in form_page and 'value="10:00:00"' in form_page
    form = {"client": alpha.client.pk, "clinician": alpha.clinician.pk,
            "appointment_type": booking.office_type, "date": "2026-06-22", "time": "10:00",
            "repeat": "weekly", "ends": "count", "occurrences": "6"}
    clash = http.post("/appointments/book/", form)
    assert clash.status_code == 409
    text = page_text(clash)
    assert "Monday 13 July 2026: That time was just taken. Please choose another." in text
    assert "Book the other 5 dates" in text
    with schema_context(booking.schema):
        assert AppointmentSeries.objects.count() == 0
    connection.set_schema_to_public()
    done = http.post("/appointments/book/", {**form, "book_the_rest": "on"})
    assert done.status_code == 302
    with schema_context(booking.schema):
        series = AppointmentSeries.objects.get()
        assert Appointment.objects.filter(series=series).count() == 5
        first = Appointment.objects.filter(series=series).order_by("starts_at").first()
    connection.set_schema_to_public()
    detail = page_text(http.get(f"/appointments/{first.pk}/"))
    assert "Part of a series: every week at 10:00" in detail
    # Cancel this and the following ones from the session's page.
    http.post(f"/appointments/{first.pk}/series/cancel/",
              {"scope": "following", "requested_by": "practice"})
    with schema_context(booking.schema):
        assert Appointment.objects.filter(series=series, status="booked").count() == 0
    connection.set_schema_to_public()
    # Bad input: a message, nothing booked, never an error page.
    bad = http.post("/appointments/book/", {**form, "occurrences": "", "date": "someday"})
    assert bad.status_code == 400
    with schema_context(beta_booking.schema):
        assert (Appointment.objects.count(), AppointmentSeries.objects.count()) == (0, 0)


def test_series_through_the_api(clock, alpha) -> None:
    booking = prepare(alpha)
    other = clients(booking, 1)[0]
    booking.book(at(MONDAY + timedelta(weeks=2), 10), client=other, kind="office")
    desk = booking.http(alpha.front_desk)
    body = {"client_id": alpha.client.pk, "clinician_id": alpha.clinician.pk,
            "appointment_type_id": booking.office_type, "frequency": "fortnightly",
            "first_date": "2026-06-22", "local_time": "10:00", "occurrences": 3}
    clash = desk.post("/api/v1/appointment-series", body, content_type=JSON)
    assert clash.status_code == 409
    assert clash.json() == {
        "detail": "1 of the dates clash with other sessions: Mon 6 Jul 2026.",
        "clashes": [{"date": "2026-07-06",
                     "reason": "That time was just taken. Please choose another."}],
        "free": 2}
    created = desk.post("/api/v1/appointment-series", {**body, "book_the_rest": True},
                        content_type=JSON)
    assert created.status_code == 201
    data = created.json()
    assert (len(data["appointments"]), data["skipped"][0]["date"]) == (2, "2026-07-06")
    moved = desk.post(f"/api/v1/appointments/{data['appointments'][0]}/series-change",
                      {"scope": "all", "date": "2026-06-23", "time": "11:00"},
                      content_type=JSON)
    assert moved.status_code == 200
    assert [row["starts_at"] for row in moved.json()] == [
        "2026-06-23T15:00:00Z", "2026-07-21T15:00:00Z"]
    # A client cannot book series (404, like a missing endpoint).
    assert booking.http(alpha.client).post("/api/v1/appointment-series", body,
                                           content_type=JSON).status_code == 404


def test_booking_rules_of_each_type(clock, alpha) -> None:
    booking = prepare(alpha)
    http = booking.http(alpha.client)
    with schema_context(booking.schema):
        intake = AppointmentType.objects.create(name="Intake", duration_minutes=60,
                                                mode="in_person", is_intake=True)
        approved = AppointmentType.objects.create(name="Couples", duration_minutes=80,
                                                  mode="in_person", online_audience="approved")
        existing = AppointmentType.objects.create(name="Follow-up", duration_minutes=45,
                                                  mode="in_person", online_audience="existing",
                                                  buffer_minutes=15, daily_cap=1,
                                                  same_day_allowed=False)
    connection.set_schema_to_public()

    def offered() -> list[str]:
        return [row["name"] for row in http.get("/api/v1/appointment-types").json()]

    # A new client: the intake, not the existing-only nor the approved-only types.
    assert offered() == ["Intake", "Office session", "Video session"]
    with schema_context(booking.schema):
        OnlineBookingApproval.objects.create(client=alpha.client, approved_by=alpha.clinician)
    connection.set_schema_to_public()
    assert offered() == ["Couples", "Intake", "Office session", "Video session"]
    # After a first session: no more intake; the follow-up appears.
    booking.book(at(MONDAY, 10), kind="office")
    assert offered() == ["Couples", "Follow-up", "Office session", "Video session"]
    assert http.post("/api/v1/appointments", {
        "clinician_id": alpha.clinician.pk, "appointment_type_id": intake.pk,
        "starts_at": at(MONDAY, 14).isoformat()}, content_type=JSON).json() == {
        "detail": "Choose one of the types of session offered."}
    # The follow-up keeps 15 minutes clear around the clinician's sessions, and once one is
    # booked on a day (the cap), that day offers no more.
    with schema_context(booking.schema):
        starts = selectors.online_slots(client=alpha.client, clinician=alpha.clinician,
                                        appointment_type=existing, earliest=at(MONDAY, 0),
                                        latest=at(MONDAY, 23),
                                        now=datetime(2026, 6, 17, 18, tzinfo=UTC))
        # 9:00-9:45 leaves the 15 minutes before 10:00; 9:30 would not, nor 11:00 after
        # the session's end at 10:50.
        assert at(MONDAY, 9) in starts and at(MONDAY, 9, 30) not in starts
        assert at(MONDAY, 11) not in starts and at(MONDAY, 11, 30) in starts
        services.appointment_book(client_id=alpha.client.pk, clinician_id=alpha.clinician.pk,
                                  appointment_type_id=existing.pk,
                                  starts_at=at(MONDAY, 14), actor=Actor.of(alpha.front_desk))
        assert selectors.online_slots(client=alpha.client, clinician=alpha.clinician,
                                      appointment_type=existing, earliest=at(MONDAY, 0),
                                      latest=at(MONDAY, 23),
                                      now=datetime(2026, 6, 17, 18, tzinfo=UTC)) == []
        # Same day off: nothing today even with hours free.
        today = datetime(2026, 6, 17, 18, tzinfo=UTC)
        assert selectors.online_slots(client=alpha.client, clinician=alpha.clinician,
                                      appointment_type=existing, earliest=today,
                                      latest=at(date(2026, 6, 17), 23), now=today) == []
        assert approved.online_audience == "approved"
    connection.set_schema_to_public()


def test_the_owner_sets_the_slot_step_rescheduling_offers_and_type_rules(alpha) -> None:
    booking = prepare(alpha)
    owner = booking.http(alpha.owner)
    settings = {"online_booking_enabled": "on", "minimum_notice_hours": "24",
                "cancellation_cutoff_hours": "24", "booking_horizon_days": "60",
                "reminder_hours": "24", "timezone": "America/New_York",
                "slot_step_minutes": "15", "waitlist_offers_at_once": "2",
                "waitlist_offer_hours": "6"}
    assert owner.post("/appointments/settings/", settings).status_code == 302
    refused = owner.post("/appointments/settings/", {**settings, "slot_step_minutes": "20"})
    assert refused.status_code == 400
    assert "Select a valid choice" in page_text(refused)
    assert owner.post("/appointments/types/", {
        "name": "Intake", "duration_minutes": "60", "mode": "in_person",
        "is_bookable_online": "on", "online_audience": "all", "is_intake": "on",
        "daily_cap": "2", "weekly_cap": "5", "buffer_minutes": "10"}).status_code == 302
    with schema_context(booking.schema):
        assert list(BookingSettings.objects.values_list(
            "slot_step_minutes", "client_reschedule_enabled", "waitlist_offers_at_once",
            "waitlist_offer_hours")) == [(15, False, 2, 6)]
        assert list(AppointmentType.objects.filter(name="Intake").values_list(
            "is_intake", "same_day_allowed", "daily_cap", "weekly_cap", "buffer_minutes",
            "online_audience")) == [(True, False, 2, 5, 10, "all")]
    connection.set_schema_to_public()
    assert ("a first session: new clients only), not on the same day, at most 2 a day, at most "
            "5 a week, 10 minutes' buffer") in page_text(
        owner.get("/appointments/types/"))
    # Front desk does not reach the owner's pages.
    assert booking.http(alpha.front_desk).get("/appointments/settings/").status_code == 404
