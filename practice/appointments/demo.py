"""Demo appointments (run inside the demo practice's schema by practice.demo.seed_demo): the
booking module and online booking turned on (and shown to the demo client), the demo
clinician's weekly hours in New York with a day off next week, three types of session, the demo
client's last four weekly sessions (one a no-show) and two to come, one by video, and a day of
sessions today and tomorrow. Then scheduling (seed_scheduling): two series, a waitlist and an
open offer of a freed time.
Idempotent: nothing is added twice."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.utils import timezone

from portal.models import ClientAccess
from practice.appointments import services
from practice.appointments.models import (
    Appointment,
    AppointmentSeries,
    AppointmentType,
    AvailabilityException,
    BookingSettings,
)
from practice.configuration.services import practice_modules_update
from tenants.accounts.models import Role, User
from tenants.actor import Actor
from tenants.models import Practice

DEMO_CLIENT = "client@demo.localhost"
DEMO_CLINICIAN = "clinician@demo.localhost"
ZONE = "America/New_York"
HOURS = [(0, time(9), time(12)), (0, time(13), time(17)), (1, time(9), time(12)),
         (1, time(13), time(17)), (2, time(12), time(19)), (3, time(9), time(12)),
         (3, time(13), time(17)), (4, time(9), time(13))]
VIDEO_LINK = "https://meet.example.com/riverside-ellison"


def seed(practice: Practice) -> None:
    owner = User.objects.filter(role=Role.OWNER).order_by("pk").first()
    client = User.objects.filter(email=DEMO_CLIENT).first()
    clinician = User.objects.filter(email=DEMO_CLINICIAN).first()
    if owner is None or client is None or clinician is None:
        return
    practice.refresh_from_db()  # other seeders may have turned modules on
    if "booking" not in practice.enabled_modules:
        practice_modules_update(practice_id=practice.pk,
                                enabled=[*practice.enabled_modules, "booking"],
                                actor=Actor.of(owner))
    # The demo client's portal modules were chosen (engagement's demo) before booking was on:
    # without it their appointments and booking pages answer 404 and no reminder reaches them.
    access = ClientAccess.objects.filter(user=client).first()
    if access is not None and "booking" not in access.visible_modules:
        access.visible_modules = [*access.visible_modules, "booking"]
        access.save(update_fields=["visible_modules"])
    if Appointment.objects.filter(client=client).exists():
        office = AppointmentType.objects.filter(name="Therapy session (in person)").first()
        if office is not None:
            seed_scheduling(owner, clinician, office, timezone.now())
        return
    if not BookingSettings.objects.exists():
        services.booking_settings_update(data=services.BookingSettingsInput(
            online_booking_enabled=True, minimum_notice_hours=24, cancellation_cutoff_hours=24,
            booking_horizon_days=60, reminder_offsets_minutes=[24 * 60, 60], timezone=ZONE),
            actor=Actor.of(owner))
    video, office = _types(owner)
    services.availability_set_weekly(clinician_id=clinician.pk, windows=HOURS,
                                     timezone_name=ZONE, actor=Actor.of(owner))
    now = timezone.now()
    today = now.astimezone(ZoneInfo(ZONE)).date()
    services.availability_exception_add(
        clinician_id=clinician.pk, day=today + timedelta(days=8),
        kind=AvailabilityException.Kind.OFF, starts_at=None, ends_at=None, note="Training day",
        actor=Actor.of(owner))
    _past_sessions(client, clinician, video, office, now)
    _today_and_tomorrow(owner, clinician, video, office, now)
    for days, kind in ((2, video), (9, office)):
        start = _at(today + timedelta(days=days), time(15))
        services.appointment_book(client_id=client.pk, clinician_id=clinician.pk,
                                  appointment_type_id=kind.pk, starts_at=start,
                                  actor=Actor.of(owner))
    seed_scheduling(owner, clinician, office, now)


def _types(owner: User) -> tuple[AppointmentType, AppointmentType]:
    video = services.appointment_type_save(data=services.AppointmentTypeInput(
        name="Therapy session (video)", duration_minutes=50, mode="video",
        video_link=VIDEO_LINK), actor=Actor.of(owner))
    office = services.appointment_type_save(data=services.AppointmentTypeInput(
        name="Therapy session (in person)", duration_minutes=50, mode="in_person"),
        actor=Actor.of(owner))
    services.appointment_type_save(data=services.AppointmentTypeInput(
        name="Intake assessment", duration_minutes=80, mode="in_person",
        is_bookable_online=False), actor=Actor.of(owner))
    return video, office


def _at(day: date, moment: time) -> datetime:
    return datetime.combine(day, moment, tzinfo=ZoneInfo(ZONE)).astimezone(UTC)


def _past_sessions(client: User, clinician: User, video: AppointmentType,
                   office: AppointmentType, now: datetime) -> None:
    """The last four weekly sessions, already held (past sessions are history, not bookings:
    written as they stand, with no reminders)."""
    today = now.astimezone(ZoneInfo(ZONE)).date()
    rows = []
    for weeks in (4, 3, 2, 1):
        start = _at(today - timedelta(weeks=weeks), time(15))
        kind = video if weeks % 2 else office
        rows.append(Appointment(
            client=client, clinician=clinician, appointment_type=kind, starts_at=start,
            ends_at=start + timedelta(minutes=kind.duration_minutes), mode=kind.mode,
            video_link=kind.video_link,
            status=Appointment.Status.NO_SHOW if weeks == 3 else Appointment.Status.COMPLETED,
            booked_by=clinician, created_at=start - timedelta(days=7),
            outcome_recorded_at=start + timedelta(hours=1)))
    Appointment.objects.bulk_create(rows)


# Today's and tomorrow's sessions, so that the clinician's and the front desk's Today pages have
# a day to show whatever the hour `make run` starts (New York times; none clashes with a series).
DAY_CLIENTS = {0: (("sam.lee@demo.localhost", time(9)), ("riley@demo.localhost", time(13)),
                   ("taylor@demo.localhost", time(16))),
               1: ((DEMO_CLIENT, time(9)), ("sam.lee@demo.localhost", time(16)))}


def _today_and_tomorrow(owner: User, clinician: User, video: AppointmentType,
                        office: AppointmentType, now: datetime) -> None:
    """A session already held today is written as held (history); one still to come is booked
    through the service, with its reminders."""
    today = now.astimezone(ZoneInfo(ZONE)).date()
    for days, sessions in DAY_CLIENTS.items():
        for number, (email, moment) in enumerate(sessions):
            client = User.objects.filter(email=email).first()
            if client is None:
                continue
            kind = video if number % 2 else office
            start = _at(today + timedelta(days=days), moment)
            if start > now:
                services.appointment_book(client_id=client.pk, clinician_id=clinician.pk,
                                          appointment_type_id=kind.pk, starts_at=start,
                                          actor=Actor.of(owner), now=now)
                continue
            Appointment.objects.create(
                client=client, clinician=clinician, appointment_type=kind, starts_at=start,
                ends_at=start + timedelta(minutes=kind.duration_minutes), mode=kind.mode,
                video_link=kind.video_link, status=Appointment.Status.COMPLETED,
                booked_by=clinician, created_at=start - timedelta(days=7),
                outcome_recorded_at=min(now, start + timedelta(hours=1)))


# --- scheduling: series, a waitlist and an open offer ------------------------------------------

SERIES_CLIENTS = ("taylor@demo.localhost", "riley@demo.localhost")
WAITING_CLIENTS = (DEMO_CLIENT, "sam.lee@demo.localhost")


def seed_scheduling(owner: User, clinician: User, office: AppointmentType,
                    now: datetime) -> None:
    """Taylor comes every Tuesday at 10:00 (open-ended: kept booked 12 weeks ahead), Riley
    every other Thursday at 14:00 (six sessions); Jordan and Sam wait for an earlier time, and
    a cancelled session's time is on offer to them now (Jordan sees it in the portal).
    Skipped when those clients are not there (a partial seed) or once a series exists."""
    taylor, riley = (User.objects.filter(email=email).first() for email in SERIES_CLIENTS)
    found = [User.objects.filter(email=email).first() for email in WAITING_CLIENTS]
    waiting = [person for person in found if person is not None]
    if (taylor is None or riley is None or len(waiting) < len(found)
            or AppointmentSeries.objects.exists()):
        return
    today = now.astimezone(ZoneInfo(ZONE)).date()
    for client, weekday, hour, frequency, count in ((taylor, 1, 10, "weekly", None),
                                                    (riley, 3, 14, "fortnightly", 6)):
        first = _next_weekday(today + timedelta(days=1), weekday)
        services.series_book(data=services.SeriesInput(
            client_id=client.pk, clinician_id=clinician.pk, appointment_type_id=office.pk,
            frequency=frequency, first_date=first, local_time=time(hour), occurrences=count),
            actor=Actor.of(owner), book_the_rest=True, now=now)
    for client in waiting:
        services.waitlist_join(data=services.WaitlistInput(
            clinician_id=clinician.pk, appointment_type_id=office.pk, weekdays=[0, 1, 2, 3, 4],
            earliest_time=time(9), latest_time=time(17)), client_id=client.pk,
            actor=Actor.of(owner), now=now)
    # Riley moved to the afternoon: their Friday 11:00 session is cancelled by the practice
    # and its time offered to the waitlist.
    friday = _next_weekday(today + timedelta(days=2), 4)
    freed = services.appointment_book(client_id=riley.pk, clinician_id=clinician.pk,
                                      appointment_type_id=office.pk,
                                      starts_at=_at(friday, time(11)), actor=Actor.of(owner),
                                      now=now)
    services.appointment_cancel(appointment_id=freed.pk, by_client=False, actor=Actor.of(owner),
                                now=now)
    services.waitlist_offer_freed(source_appointment_id=freed.pk, starts_at=freed.starts_at,
                                  ends_at=freed.ends_at, now=now)


def _next_weekday(day: date, weekday: int) -> date:
    return day + timedelta(days=(weekday - day.weekday()) % 7)
