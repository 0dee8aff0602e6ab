"""Booking through the services: the database refuses overlaps, reminders are written in the
booking's transaction and go stale when the session moves or is cancelled, late cancellations
and outcomes follow the practice's rules, questionnaires before each session open and go with
their session, and the periodic job writes assessment-due and homework-due reminders once per
occurrence. The second practice is never touched."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.utils import timezone
from django_tenants.utils import schema_context

from practice.appointments import services
from practice.appointments.models import Appointment
from practice.appointments.notifications import ASSESSMENT_DUE, HOMEWORK_DUE, SESSION_REMINDER
from practice.appointments.services import SLOT_TAKEN, BookingError, SlotTaken
from practice.appointments.tasks import reminders_enqueue_due_job
from practice.care.models import Homework
from practice.care.services import homework_complete
from practice.measurement.models import Response
from practice.measurement.services import assignment_create
from practice.notifications import kinds
from practice.notifications.models import Notification
from practice.notifications.tasks import notification_deliver
from tenants.accounts.models import Role, User
from tenants.actor import Actor
from tenants.models import Practice
from tests.appointments.helpers import (
    CLIENT_ZONE,
    MARKER,
    BookingWorld,
    audit_actions,
    next_weekday_at,
    outbox,
    prepare,
)
from tests.conftest import PASSWORD

DAY, HOUR = timedelta(days=1), timedelta(hours=1)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def second_client(booking: BookingWorld) -> User:
    with schema_context(booking.schema):
        client = User.objects.create_user("second-client@example.org", PASSWORD,
                                          full_name="Sky Second", role=Role.CLIENT)
    connection.set_schema_to_public()
    return client


def still_due(booking: BookingWorld, key_prefix: str) -> list[bool]:
    with schema_context(booking.schema):
        rows = list(Notification.objects.filter(idempotency_key__startswith=key_prefix)
                    .order_by("pk"))
        found = [kinds.get(row.kind).is_still_due(row) for row in rows]
    connection.set_schema_to_public()
    return found


def test_the_database_refuses_overlaps_and_reminders_are_written_with_the_booking(
        alpha, beta) -> None:
    booking, beta_booking = prepare(alpha), prepare(beta)
    other = second_client(booking)
    start = next_weekday_at(14)
    first = booking.book(start)
    assert outbox(booking) == [
        (SESSION_REMINDER, f"session_reminder:{first.pk}:v1:1440:email", start - DAY),
        (SESSION_REMINDER, f"session_reminder:{first.pk}:v1:60:email", start - HOUR),
    ]
    # The clinician is taken for the 50 minutes; back to back is fine.
    with pytest.raises(SlotTaken) as taken:
        booking.book(start + timedelta(minutes=30), client=other)
    assert str(taken.value) == SLOT_TAKEN == "That time was just taken. Please choose another."
    after = booking.book(start + timedelta(minutes=50), client=other)
    # The client cannot be in two sessions at once, even with another clinician.
    with schema_context(booking.schema):
        with pytest.raises(SlotTaken) as busy:
            services.appointment_book(
                client_id=booking.client.pk, clinician_id=booking.outsider.pk,
                appointment_type_id=booking.office_type, starts_at=start + timedelta(minutes=30),
                actor=Actor.of(alpha.owner))
        assert str(busy.value) == "The client already has a session at that time."
        # A cancelled session frees its time.
        services.appointment_cancel(appointment_id=first.pk, by_client=False,
                                    actor=Actor.of(alpha.front_desk))
        services.appointment_cancel(appointment_id=after.pk, by_client=False,
                                    actor=Actor.of(alpha.front_desk))
        moved_in = services.appointment_book(
            client_id=other.pk, clinician_id=alpha.clinician.pk,
            appointment_type_id=booking.office_type, starts_at=start, actor=Actor.of(alpha.owner))
        assert list(Appointment.objects.order_by("pk").values_list("client_id", "status")) == [
            (alpha.client.pk, "cancelled"), (other.pk, "cancelled"), (other.pk, "booked")]
        assert moved_in.mode == "in_person" and moved_in.video_link == ""
        assert first.video_link == "https://meet.example.com/room-7f3"
        # In the past: refused.
        with pytest.raises(BookingError) as past:
            services.appointment_book(
                client_id=other.pk, clinician_id=alpha.clinician.pk,
                appointment_type_id=booking.office_type,
                starts_at=timezone.now() - HOUR, actor=Actor.of(alpha.owner))
        assert str(past.value) == "Choose a time in the future."
    connection.set_schema_to_public()
    assert audit_actions(booking, "appointment.") == [
        "appointment.booked", "appointment.booked", "appointment.cancelled",
        "appointment.cancelled", "appointment.booked"]
    with schema_context(beta_booking.schema):
        assert Appointment.objects.count() == 0
    assert outbox(beta_booking) == []


def test_moving_or_cancelling_makes_earlier_reminders_stale(alpha, mailbox) -> None:
    booking = prepare(alpha)
    start = next_weekday_at(14)
    appointment = booking.book(start)
    assert still_due(booking, f"session_reminder:{appointment.pk}:") == [True, True]
    with schema_context(booking.schema):
        moved = services.appointment_reschedule(appointment_id=appointment.pk,
                                                starts_at=start + DAY, actor=Actor.of(alpha.owner))
        assert (moved.schedule_version, moved.starts_at, moved.ends_at) == (
            2, start + DAY, start + DAY + timedelta(minutes=50))
    connection.set_schema_to_public()
    assert [key for _, key, _ in outbox(booking)][2:] == [
        f"session_reminder:{appointment.pk}:v2:1440:email",
        f"session_reminder:{appointment.pk}:v2:60:email"]
    assert still_due(booking, f"session_reminder:{appointment.pk}:v1:") == [False, False]
    assert still_due(booking, f"session_reminder:{appointment.pk}:v2:") == [True, True]
    # Through the pipeline, as if every reminder had come due: the two written for the old
    # time are skipped, the new ones are sent, and say nothing but that a session is coming.
    with schema_context(booking.schema):
        Notification.objects.update(not_before=timezone.now() - HOUR)
        for pk in Notification.objects.order_by("pk").values_list("pk", flat=True):
            notification_deliver.fn(pk)
        assert list(Notification.objects.order_by("pk").values_list("status", flat=True)) == [
            "skipped", "skipped", "sent", "sent"]
    connection.set_schema_to_public()
    sent = mailbox.to(alpha.client.email)
    assert [message["Subject"] for message in sent] == ["You have an upcoming session"] * 2
    for message in sent:
        text = str(message)
        for secret in (MARKER, "Casey Clinician", "Video session", "meet.example.com"):
            assert secret not in text
    with schema_context(booking.schema):
        services.appointment_cancel(appointment_id=appointment.pk, actor=Actor.of(alpha.client))
    connection.set_schema_to_public()
    assert still_due(booking, f"session_reminder:{appointment.pk}:") == [False] * 4


def test_cut_off_late_cancellation_and_outcomes(alpha) -> None:
    booking = prepare(alpha)
    start = next_weekday_at(14)
    first, second, third = (booking.book(start + DAY * offset) for offset in (0, 1, 2))
    with schema_context(booking.schema):
        # The client, within the 24-hour cut-off: refused, nothing changes.
        with pytest.raises(BookingError) as refused:
            services.appointment_cancel(appointment_id=first.pk, actor=Actor.of(alpha.client),
                                        now=start - 23 * HOUR)
        assert str(refused.value) == ("Sessions can be cancelled online up to 24 hours before "
                                      "they start. Please contact the practice.")
        # Staff, at the client's request after the cut-off: a late cancellation.
        late = services.appointment_cancel(appointment_id=first.pk,
                                           actor=Actor.of(alpha.front_desk), reason="Called in",
                                           now=start - 23 * HOUR)
        # The practice's own cancellation is never late; the client's in time is not either.
        ours = services.appointment_cancel(appointment_id=second.pk, by_client=False,
                                           actor=Actor.of(alpha.clinician),
                                           now=second.starts_at - HOUR)
        theirs = services.appointment_cancel(appointment_id=third.pk, actor=Actor.of(alpha.client),
                                             now=third.starts_at - 25 * HOUR)
        assert [(row.status, row.cancelled_by_id) for row in (late, ours, theirs)] == [
            ("late_cancelled", alpha.client.pk), ("cancelled", alpha.clinician.pk),
            ("cancelled", alpha.client.pk)]
        assert late.cancellation_reason == "Called in"
        with pytest.raises(BookingError):
            services.appointment_cancel(appointment_id=first.pk, actor=Actor.of(alpha.owner))
        # Outcomes: not before the start; completed or no-show after it, correctable.
        fourth = services.appointment_book(
            client_id=alpha.client.pk, clinician_id=alpha.clinician.pk,
            appointment_type_id=booking.video_type, starts_at=start + DAY * 3,
            actor=Actor.of(alpha.owner))
        with pytest.raises(BookingError) as early:
            services.appointment_record_outcome(appointment_id=fourth.pk, outcome="no_show",
                                                actor=Actor.of(alpha.owner))
        assert str(early.value) == "This session has not started yet."
        after = fourth.starts_at + timedelta(minutes=5)
        assert services.appointment_record_outcome(
            appointment_id=fourth.pk, outcome="no_show", actor=Actor.of(alpha.front_desk),
            now=after).status == "no_show"
        assert services.appointment_record_outcome(
            appointment_id=fourth.pk, outcome="completed", actor=Actor.of(alpha.clinician),
            now=after).status == "completed"
        with pytest.raises(BookingError):
            services.appointment_record_outcome(appointment_id=late.pk, outcome="completed",
                                                actor=Actor.of(alpha.owner), now=after)
        # Billing staff and clients of other people reach nothing.
        with pytest.raises(PermissionError):
            services.appointment_record_outcome(appointment_id=fourth.pk, outcome="no_show",
                                                actor=Actor.of(alpha.billing), now=after)
    connection.set_schema_to_public()


def test_reminders_a_day_before_sessions_around_the_clock_change(alpha) -> None:
    """The US moves its clocks on Sunday 14 March 2027. The client is in Chicago (quiet hours
    21:00-8:00 by the practice's default), the clinician in New York."""
    booking = prepare(alpha)
    before_change = utc(2027, 3, 1)
    # Monday 15 March 10:00 New York (EDT) = 14:00 UTC: the 24-hour reminder is Sunday 14:00
    # UTC, 9:00 in Chicago, after the change; the 1-hour one 13:00 UTC.
    monday = datetime(2027, 3, 15, 10, tzinfo=ZoneInfo("America/New_York"))
    after = booking.book(monday.astimezone(UTC), now=before_change)
    # Sunday 14 March 14:00 New York (EDT) = 18:00 UTC: 24 real hours before is Saturday 18:00
    # UTC, which New York's clock (still EST) reads as 13:00.
    sunday = datetime(2027, 3, 14, 14, tzinfo=ZoneInfo("America/New_York"))
    on_the_day = booking.book(sunday.astimezone(UTC), now=before_change)
    assert [(key, when) for _, key, when in outbox(booking)] == [
        (f"session_reminder:{after.pk}:v1:1440:email", utc(2027, 3, 14, 14)),
        (f"session_reminder:{after.pk}:v1:60:email", utc(2027, 3, 15, 13)),
        (f"session_reminder:{on_the_day.pk}:v1:1440:email", utc(2027, 3, 13, 18)),
        (f"session_reminder:{on_the_day.pk}:v1:60:email", utc(2027, 3, 14, 17)),
    ]
    assert utc(2027, 3, 13, 18).astimezone(ZoneInfo("America/New_York")).hour == 13


def _offer_phq9(booking: BookingWorld) -> None:
    Practice.objects.filter(pk=booking.practice.pk).update(instrument_keys=["phq9", "gad7"])
    booking.practice.refresh_from_db()


def test_a_questionnaire_before_each_session(alpha, beta) -> None:
    booking, beta_booking = prepare(alpha), prepare(beta)
    _offer_phq9(booking)
    now = timezone.now()
    soon = next_weekday_at(14, days_ahead=2)
    later = soon + 10 * DAY
    first, second = booking.book(soon), booking.book(later)
    with schema_context(booking.schema):
        with pytest.raises(BookingError):
            services.session_questionnaire_add(
                client_id=alpha.client.pk, instrument_key="pcl5",
                actor=Actor.of(alpha.clinician, practice=booking.practice))
        with pytest.raises(PermissionError):
            services.session_questionnaire_add(
                client_id=alpha.client.pk, instrument_key="phq9",
                actor=Actor.of(alpha.front_desk, practice=booking.practice))
        with pytest.raises(User.DoesNotExist):  # not on the outsider's caseload
            services.session_questionnaire_add(
                client_id=alpha.client.pk, instrument_key="phq9",
                actor=Actor.of(booking.outsider, practice=booking.practice))
        questionnaire = services.session_questionnaire_add(
            client_id=alpha.client.pk, instrument_key="phq9",
            actor=Actor.of(alpha.clinician, practice=booking.practice), now=now)
        # Only the session within the next three days opens now, due 24 hours before it.
        assert list(Response.objects.values_list("instrument_key", "due_at", "status")) == [
            ("phq9", soon - DAY, "pending")]
        # The periodic job opens the later one two days before it is due.
        run = services.reminders_enqueue_due(practice=booking.practice,
                                             now=later - 3 * DAY - timedelta(minutes=1))
        assert run.questionnaires_opened == 0
        run = services.reminders_enqueue_due(practice=booking.practice,
                                             now=later - 3 * DAY + timedelta(minutes=1))
        assert run.questionnaires_opened == 1
        assert list(Response.objects.order_by("pk").values_list("due_at", flat=True)) == [
            soon - DAY, later - DAY]
        # Moving the later session an hour earlier moves its questionnaire; moving it two hours
        # later puts it back outside the window, so it is withdrawn until then.
        services.appointment_reschedule(appointment_id=second.pk, starts_at=later - HOUR,
                                        actor=Actor.of(alpha.front_desk),
                                        now=later - 3 * DAY + timedelta(minutes=2))
        assert sorted(Response.objects.values_list("due_at", flat=True)) == [
            soon - DAY, later - HOUR - DAY]
        services.appointment_reschedule(appointment_id=second.pk, starts_at=later + HOUR,
                                        actor=Actor.of(alpha.front_desk),
                                        now=later - 3 * DAY + timedelta(minutes=2))
        assert list(Response.objects.values_list("due_at", flat=True)) == [soon - DAY]
        services.reminders_enqueue_due(practice=booking.practice,
                                       now=later - 3 * DAY + HOUR + timedelta(minutes=1))
        # Cancelling the first session withdraws its questionnaire; ending the rule the other.
        services.appointment_cancel(appointment_id=first.pk, by_client=False,
                                    actor=Actor.of(alpha.owner))
        assert list(Response.objects.values_list("due_at", flat=True)) == [later + HOUR - DAY]
        services.session_questionnaire_end(questionnaire_id=questionnaire.pk,
                                           actor=Actor.of(alpha.clinician))
        assert Response.objects.count() == 0
    connection.set_schema_to_public()
    assert audit_actions(booking, "session_questionnaire.") == [
        "session_questionnaire.added", "session_questionnaire.ended"]
    with schema_context(beta_booking.schema):
        assert Response.objects.count() == 0


def test_the_job_reminds_of_assessments_and_homework_once_per_occurrence(alpha, beta) -> None:
    booking, beta_booking = prepare(alpha), prepare(beta)
    _offer_phq9(booking)
    now = timezone.now()
    today = now.astimezone(ZoneInfo(CLIENT_ZONE)).date()
    with schema_context(booking.schema):
        assignment_create(client_id=alpha.client.pk,
                          instrument_key="phq9", frequency="once", starts_on=today,
                          actor=Actor.of(alpha.clinician, practice=booking.practice))
        response = Response.objects.get()
        due_today = Homework.objects.create(client=alpha.client, instructions="Walk",
                                            due_on=today, created_by=alpha.clinician)
        Homework.objects.create(client=alpha.client, instructions="Later",
                                due_on=today + DAY, created_by=alpha.clinician)
        reminders_enqueue_due_job.fn()  # the periodic job, as the worker runs it
        run = services.reminders_enqueue_due(practice=booking.practice, now=now)
        assert (run.assessment_reminders, run.homework_reminders) == (0, 0)  # written once
    connection.set_schema_to_public()
    assert [(kind, key) for kind, key, _ in outbox(booking)] == [
        (ASSESSMENT_DUE, f"assessment_due:{response.pk}:email"),
        (HOMEWORK_DUE, f"homework_due:{due_today.pk}:{today.isoformat()}:email")]
    assert still_due(booking, "homework_due:") == [True]
    with schema_context(booking.schema):
        homework_complete(homework_id=due_today.pk, today=today, actor=Actor.of(alpha.client))
    connection.set_schema_to_public()
    assert still_due(booking, "homework_due:") == [False]
    assert still_due(booking, "assessment_due:") == [True]
    with schema_context(beta_booking.schema):
        assert Notification.objects.count() == 0
