"""Recurring series: every occurrence judged by both exclusion constraints (a clash in week 7
of 12 is named, nothing is saved, then the rest can be booked), edits and cancellations of one,
this and following, and all, reminders and questionnaires following a moved occurrence, a 10:00
series staying at 10:00 local across the US and EU clock changes, and the open-ended series kept
booked 12 weeks ahead by the scheduler. The look-alike practice is never touched."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django_tenants.utils import schema_context

from practice.appointments import recurrence, services
from practice.appointments.models import Appointment, AppointmentSeries, ClinicianCalendar
from practice.appointments.notifications import SESSION_REMINDER
from practice.appointments.services import SeriesClash, SeriesInput
from practice.appointments.tasks import scheduling_due_job
from practice.measurement.models import Response
from practice.notifications import kinds
from practice.notifications.models import Notification
from tenants.actor import Actor
from tenants.models import Practice
from tests.appointments.helpers import BookingWorld, audit_actions, prepare
from tests.appointments.test_booking import second_client

NEW_YORK = ZoneInfo("America/New_York")
LONDON = ZoneInfo("Europe/London")


def local(day: date, hour: int, zone: ZoneInfo = NEW_YORK, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=zone).astimezone(UTC)


def weekly(booking: BookingWorld, first: date, *, count: int | None = 12,
           until: date | None = None, frequency: str = "weekly", hour: int = 10,
           book_the_rest: bool = False) -> services.SeriesResult:
    with schema_context(booking.schema):
        result = services.series_book(data=SeriesInput(
            client_id=booking.client.pk, clinician_id=booking.clinician.pk,
            appointment_type_id=booking.office_type, frequency=frequency, first_date=first,
            local_time=time(hour), occurrences=count, until=until),
            actor=Actor.of(booking.world.front_desk), book_the_rest=book_the_rest)
    connection.set_schema_to_public()
    return result


def starts(booking: BookingWorld, **filters) -> list[datetime]:
    with schema_context(booking.schema):
        found = list(Appointment.objects.filter(status="booked", **filters)
                     .order_by("starts_at").values_list("starts_at", flat=True))
    connection.set_schema_to_public()
    return found


def test_dates_of_each_frequency() -> None:
    assert recurrence.occurrence_dates(frequency="weekly", first=date(2026, 6, 22),
                                       occurrences=3) == [
        date(2026, 6, 22), date(2026, 6, 29), date(2026, 7, 6)]
    assert recurrence.occurrence_dates(frequency="fortnightly", first=date(2026, 6, 22),
                                       until=date(2026, 7, 20)) == [
        date(2026, 6, 22), date(2026, 7, 6), date(2026, 7, 20)]
    # The 2nd Tuesday of each month; a 5th Friday is read as the month's last Friday.
    assert recurrence.occurrence_dates(frequency="monthly", first=date(2026, 3, 10),
                                       occurrences=3) == [
        date(2026, 3, 10), date(2026, 4, 14), date(2026, 5, 12)]
    assert recurrence.occurrence_dates(frequency="monthly", first=date(2026, 1, 30),
                                       occurrences=3) == [
        date(2026, 1, 30), date(2026, 2, 27), date(2026, 3, 27)]
    # Open-ended: up to the horizon, and an extension books only what lies after it.
    assert recurrence.occurrence_dates(frequency="weekly", first=date(2026, 6, 22),
                                       after=date(2026, 7, 1), through=date(2026, 7, 13)) == [
        date(2026, 7, 6), date(2026, 7, 13)]


def test_a_clash_in_week_7_of_12_is_named_and_nothing_is_saved_until_the_rest_is_booked(
        clock, alpha, beta) -> None:
    # Wednesday 17 June 2026; the series runs Mondays from 22 June at 10:00 New York.
    booking, beta_booking = prepare(alpha), prepare(beta)
    other = second_client(booking)
    first = date(2026, 6, 22)
    week_7 = first + timedelta(weeks=6)
    week_3 = first + timedelta(weeks=2)
    # The clinician is busy in week 7 (another client); the client in week 3 (another
    # clinician): each exclusion constraint refuses one date.
    booking.book(local(week_7, 10, minute=30), client=other, kind="office")
    with schema_context(booking.schema):
        services.appointment_book(client_id=booking.client.pk, clinician_id=booking.outsider.pk,
                                  appointment_type_id=booking.video_type,
                                  starts_at=local(week_3, 9, minute=30),
                                  actor=Actor.of(alpha.front_desk))
    connection.set_schema_to_public()
    before = starts(booking)
    with pytest.raises(SeriesClash) as refused:
        weekly(booking, first)
    assert [clash.day for clash in refused.value.clashes] == [week_3, week_7]
    assert [clash.reason for clash in refused.value.clashes] == [
        "The client already has a session at that time.",
        "That time was just taken. Please choose another."]
    assert refused.value.free == 10
    assert str(refused.value) == ("2 of the dates clash with other sessions: "
                                  "Mon 6 Jul 2026, Mon 3 Aug 2026.")
    with schema_context(booking.schema):
        assert AppointmentSeries.objects.count() == 0
    assert starts(booking) == before
    # Booking the rest: ten sessions, each an ordinary appointment with its own reminders.
    result = weekly(booking, first, book_the_rest=True)
    assert [clash.day for clash in result.skipped] == [week_3, week_7]
    booked = starts(booking, series=result.series)
    assert booked == [local(first + timedelta(weeks=week), 10) for week in range(12)
                      if week not in (2, 6)]
    with schema_context(booking.schema):
        assert Notification.objects.filter(kind=SESSION_REMINDER,
                                           context__appointment_id__in=[
                                               row.pk for row in result.booked]).count() == 20
    assert audit_actions(booking, "appointment_series.") == ["appointment_series.booked"]
    with schema_context(beta_booking.schema):
        assert (Appointment.objects.count(), AppointmentSeries.objects.count()) == (0, 0)


def test_edit_one_following_and_all_and_reminders_and_questionnaires_follow(
        clock, alpha, beta) -> None:
    clock.at(datetime(2026, 6, 20, 12, tzinfo=UTC))
    booking, beta_booking = prepare(alpha), prepare(beta)
    Practice.objects.filter(pk=booking.practice.pk).update(instrument_keys=["phq9"])
    booking.practice.refresh_from_db()
    first = date(2026, 6, 22)
    result = weekly(booking, first, count=6)
    second, fourth = result.booked[1], result.booked[3]
    with schema_context(booking.schema):
        services.session_questionnaire_add(
            client_id=booking.client.pk, instrument_key="phq9",
            actor=Actor.of(alpha.clinician, practice=booking.practice))
        # Only the first session (two days ahead) is within the questionnaire's window yet.
        assert list(Response.objects.values_list("due_at", flat=True)) == [
            local(first, 10) - timedelta(hours=24)]
        # One: the second session moves to Tuesday 11:00; nothing else moves.
        services.series_change(appointment_id=second.pk, scope="one",
                               new_date=date(2026, 6, 30), new_time=time(11),
                               actor=Actor.of(alpha.front_desk))
        second.refresh_from_db()
        assert (second.starts_at, second.schedule_version, second.series_date) == (
            local(date(2026, 6, 30), 11), 2, date(2026, 6, 29))
        # Its reminders for the old time are stale, new ones follow the new time.
        stale = Notification.objects.filter(idempotency_key__startswith=(
            f"session_reminder:{second.pk}:v1:"))
        assert [kinds.get(row.kind).is_still_due(row) for row in stale] == [False, False]
        assert list(Notification.objects.filter(idempotency_key__startswith=(
            f"session_reminder:{second.pk}:v2:")).values_list("not_before", flat=True)) == [
            local(date(2026, 6, 30), 11) - timedelta(hours=24),
            local(date(2026, 6, 30), 11) - timedelta(hours=1)]
        # The first session moves a day earlier: its questionnaire follows it.
        services.series_change(appointment_id=result.booked[0].pk, scope="one",
                               new_date=date(2026, 6, 21), new_time=time(10),
                               actor=Actor.of(alpha.front_desk))
        assert list(Response.objects.values_list("due_at", flat=True)) == [
            local(date(2026, 6, 21), 10) - timedelta(hours=24)]
        # This and following: from the fourth, Tuesdays at 9:00, as a new series.
        services.series_change(appointment_id=fourth.pk, scope="following",
                               new_date=date(2026, 7, 14), new_time=time(9),
                               actor=Actor.of(alpha.front_desk))
        original = AppointmentSeries.objects.get(pk=result.series.pk)
        follower = AppointmentSeries.objects.exclude(pk=original.pk).get()
        assert (original.occurrences, original.ended_at) == (3, None)
        assert (follower.first_date, follower.local_time, follower.occurrences) == (
            date(2026, 7, 14), time(9), 3)
        assert list(Appointment.objects.filter(series=follower).order_by("starts_at")
                    .values_list("series_date", "starts_at")) == [
            (date(2026, 7, 14), local(date(2026, 7, 14), 9)),
            (date(2026, 7, 21), local(date(2026, 7, 21), 9)),
            (date(2026, 7, 28), local(date(2026, 7, 28), 9))]
        # All: every session still to come of the follower moves to Wednesdays 16:00.
        services.series_change(appointment_id=fourth.pk, scope="all",
                               new_date=date(2026, 7, 15), new_time=time(16),
                               actor=Actor.of(alpha.front_desk))
        assert list(Appointment.objects.filter(series=follower).order_by("starts_at")
                    .values_list("starts_at", flat=True)) == [
            local(date(2026, 7, 15), 16), local(date(2026, 7, 22), 16),
            local(date(2026, 7, 29), 16)]
        follower.refresh_from_db()
        assert (follower.first_date, follower.local_time) == (date(2026, 7, 15), time(16))
        # The original's first three are where they were left.
        assert list(Appointment.objects.filter(series=original).order_by("starts_at")
                    .values_list("starts_at", flat=True)) == [
            local(date(2026, 6, 21), 10), local(date(2026, 6, 30), 11),
            local(date(2026, 7, 6), 10)]
    connection.set_schema_to_public()
    assert audit_actions(booking, "appointment_series.changed") == [
        "appointment_series.changed"] * 4
    with schema_context(beta_booking.schema):
        assert (Appointment.objects.count(), Response.objects.count()) == (0, 0)


def test_a_change_that_clashes_moves_nothing(clock, alpha) -> None:
    booking = prepare(alpha)
    other = second_client(booking)
    first = date(2026, 6, 22)
    result = weekly(booking, first, count=4)
    # Someone else is booked on the Tuesday of the third week at 10:00.
    booking.book(local(date(2026, 7, 7), 10), client=other, kind="office")
    before = starts(booking, series=result.series)
    with schema_context(booking.schema), pytest.raises(SeriesClash) as refused:
        services.series_change(appointment_id=result.booked[0].pk, scope="all",
                               new_date=date(2026, 6, 23), new_time=time(10),
                               actor=Actor.of(alpha.front_desk))
    connection.set_schema_to_public()
    assert [clash.day for clash in refused.value.clashes] == [date(2026, 7, 7)]
    assert starts(booking, series=result.series) == before


def test_cancel_one_following_and_all(clock, alpha, beta) -> None:
    booking, beta_booking = prepare(alpha), prepare(beta)
    first = date(2026, 6, 22)
    result = weekly(booking, first, count=6)
    rows = result.booked
    with schema_context(booking.schema):
        services.series_cancel(appointment_id=rows[1].pk, scope="one",
                               actor=Actor.of(alpha.front_desk))
        services.series_cancel(appointment_id=rows[4].pk, scope="following",
                               actor=Actor.of(alpha.front_desk))
        series = AppointmentSeries.objects.get()
        assert (series.occurrences, series.ended_at) == (4, None)
        assert list(Appointment.objects.order_by("starts_at").values_list("status", flat=True)
                    ) == ["booked", "cancelled", "booked", "booked", "cancelled", "cancelled"]
        services.series_cancel(appointment_id=rows[2].pk, scope="all",
                               actor=Actor.of(alpha.front_desk))
        series.refresh_from_db()
        assert series.ended_at is not None
        assert Appointment.objects.filter(status="booked").count() == 0
        # The one cancelled alone is not part of "following": it was never booked twice.
        assert Appointment.objects.filter(status="cancelled").count() == 6
    connection.set_schema_to_public()
    assert audit_actions(booking, "appointment_series.") == [
        "appointment_series.booked"] + ["appointment_series.cancelled"] * 3
    with schema_context(beta_booking.schema):
        assert Appointment.objects.count() == 0


def _clinician_in(booking: BookingWorld, zone: str) -> None:
    with schema_context(booking.schema):
        ClinicianCalendar.objects.filter(clinician=booking.clinician).update(timezone=zone)
    connection.set_schema_to_public()


def test_a_10_oclock_series_stays_at_10_across_the_us_clock_changes(clock, alpha) -> None:
    clock.at(datetime(2026, 2, 20, 15, tzinfo=UTC))
    booking = prepare(alpha)
    # New York moves forward on Sunday 8 March 2026: 10:00 is 15:00 UTC before, 14:00 after.
    spring = weekly(booking, date(2026, 3, 4), count=3)
    assert starts(booking, series=spring.series) == [
        datetime(2026, 3, 4, 15, tzinfo=UTC), datetime(2026, 3, 11, 14, tzinfo=UTC),
        datetime(2026, 3, 18, 14, tzinfo=UTC)]
    # ...and back on Sunday 1 November 2026.
    autumn = weekly(booking, date(2026, 10, 28), count=2)
    assert starts(booking, series=autumn.series) == [
        datetime(2026, 10, 28, 14, tzinfo=UTC), datetime(2026, 11, 4, 15, tzinfo=UTC)]
    assert {moment.astimezone(NEW_YORK).hour for moment in starts(booking)} == {10}


def test_a_10_oclock_series_stays_at_10_across_the_eu_clock_changes(clock, alpha) -> None:
    clock.at(datetime(2026, 3, 1, 12, tzinfo=UTC))
    booking = prepare(alpha)
    _clinician_in(booking, "Europe/London")
    # London moves forward on Sunday 29 March 2026 and back on Sunday 25 October.
    spring = weekly(booking, date(2026, 3, 25), count=2)
    autumn = weekly(booking, date(2026, 10, 21), count=2)
    assert starts(booking, series=spring.series) == [
        datetime(2026, 3, 25, 10, tzinfo=UTC), datetime(2026, 4, 1, 9, tzinfo=UTC)]
    assert starts(booking, series=autumn.series) == [
        datetime(2026, 10, 21, 9, tzinfo=UTC), datetime(2026, 10, 28, 10, tzinfo=UTC)]
    assert {moment.astimezone(LONDON).hour for moment in starts(booking)} == {10}


def test_an_open_ended_series_is_kept_booked_12_weeks_ahead_by_the_scheduler(
        clock, alpha, beta) -> None:
    booking, beta_booking = prepare(alpha), prepare(beta)
    other = second_client(booking)
    first = date(2026, 6, 22)
    result = weekly(booking, first, count=None)
    # Wednesday 17 June + 12 weeks = Wednesday 9 September: Mondays 22 June .. 7 September.
    assert len(result.booked) == 12
    assert result.series.booked_through == date(2026, 9, 9)
    # Three weeks on (horizon Wednesday 30 September), someone else has taken Monday 28
    # September: the job books the two Mondays before it, skips it, and books nothing twice.
    booking.book(local(date(2026, 9, 28), 10), client=other, kind="office",
                 now=datetime(2026, 6, 18, tzinfo=UTC))
    clock.shift(timedelta(weeks=3))
    with schema_context(booking.schema):
        scheduling_due_job.fn()
        scheduling_due_job.fn()  # a second run books nothing more
    connection.set_schema_to_public()
    assert starts(booking, series=result.series)[-3:] == [
        local(date(2026, 9, 7), 10), local(date(2026, 9, 14), 10),
        local(date(2026, 9, 21), 10)]
    assert len(starts(booking, series=result.series)) == 14
    assert audit_actions(booking, "appointment_series.") == [
        "appointment_series.booked", "appointment_series.extended"]
    with schema_context(beta_booking.schema):
        assert Appointment.objects.count() == 0
