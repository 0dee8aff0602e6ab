"""Reads of appointments. Who reaches which appointment:

- the owner and front desk: every client's (front desk sees names, times and types, never
  clinical content);
- a clinician: their own sessions and those of clients on their caseload;
- a client: their own;
- anyone else (billing): none.

A record out of reach raises DoesNotExist, exactly like a missing one."""

from __future__ import annotations

import hashlib
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.db.models import F, Q, QuerySet

from practice.access import Capability, holds, reaches_whole_practice, roles_with
from practice.appointments import slots
from practice.appointments.models import (
    ACTIVE_STATUSES,
    Appointment,
    AppointmentType,
    AvailabilityException,
    BookingSettings,
    ClinicianCalendar,
    SessionQuestionnaire,
    WeeklyAvailability,
)
from practice.appointments.policies import BookingRules, rules_from
from practice.models import ClientProfile
from tenants.accounts.models import User


def zone_or_utc(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


# --- settings ----------------------------------------------------------------------------------

def booking_settings() -> BookingSettings:
    """The practice's row, or the defaults (unsaved) until the owner saves one."""
    return BookingSettings.objects.first() or BookingSettings()


def rules_of(settings_row: BookingSettings) -> BookingRules:
    return rules_from(
        online_booking_enabled=settings_row.online_booking_enabled,
        minimum_notice_hours=settings_row.minimum_notice_hours,
        cancellation_cutoff_hours=settings_row.cancellation_cutoff_hours,
        booking_horizon_days=settings_row.booking_horizon_days,
        reminder_offsets_minutes=list(settings_row.reminder_offsets_minutes or []),
    )


def booking_rules() -> BookingRules:
    return rules_of(booking_settings())


# --- people ------------------------------------------------------------------------------------

def clinicians() -> QuerySet[User]:
    """Staff who can be booked."""
    return User.objects.filter(role__in=roles_with(Capability.HOLD_CASELOAD),
                               is_active=True).order_by("full_name", "pk")


def clinician_by_id(clinician_id: int) -> User:
    return clinicians().get(pk=clinician_id)


def client_clinicians(client: User) -> list[User]:
    """The clinicians a client may book online: their care team."""
    return list(clinicians().filter(caseload__user=client))


def client_zone(client: User) -> ZoneInfo:
    """The client's own timezone (UTC when unknown); free when the profile was selected."""
    try:
        return zone_or_utc(client.client_profile.timezone)
    except ClientProfile.DoesNotExist:
        return ZoneInfo("UTC")


def calendar_of(clinician: User) -> ClinicianCalendar:
    """The clinician's calendar, or an unsaved one in the practice's timezone."""
    calendar = ClinicianCalendar.objects.filter(clinician=clinician).first()
    if calendar is None:
        calendar = ClinicianCalendar(clinician=clinician, timezone=booking_settings().timezone)
    return calendar


def clinician_zone(clinician: User) -> ZoneInfo:
    return zone_or_utc(calendar_of(clinician).timezone)


def clinician_zones(clinician_ids: set[int]) -> dict[int, ZoneInfo]:
    """Each clinician's timezone, in one query (the practice's for those without a calendar)."""
    found = dict(ClinicianCalendar.objects.filter(clinician_id__in=clinician_ids)
                 .values_list("clinician_id", "timezone"))
    default = booking_settings().timezone if len(found) < len(clinician_ids) else "UTC"
    return {pk: zone_or_utc(found.get(pk, default)) for pk in clinician_ids}


def feed_token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def calendar_by_feed_token(token: str) -> ClinicianCalendar:
    if not token:
        raise ClinicianCalendar.DoesNotExist
    return (ClinicianCalendar.objects.select_related("clinician")
            .get(feed_token_hash=feed_token_hash(token), clinician__is_active=True))


# --- types -------------------------------------------------------------------------------------

def appointment_types(*, active_only: bool = True,
                      online_only: bool = False) -> QuerySet[AppointmentType]:
    types = AppointmentType.objects.all()
    if active_only:
        types = types.filter(is_active=True)
    if online_only:
        types = types.filter(is_bookable_online=True)
    return types


# --- appointments ------------------------------------------------------------------------------

def _with_people(appointments: QuerySet[Appointment]) -> QuerySet[Appointment]:
    return appointments.select_related("client", "clinician", "appointment_type")


def appointments_visible_to(user: User) -> QuerySet[Appointment]:
    appointments = Appointment.objects.all()
    if user.is_authenticated and user.is_active and user.is_client:
        return appointments.filter(client=user)
    if not holds(user, Capability.APPOINTMENTS):
        return appointments.none()
    if not reaches_whole_practice(user, Capability.APPOINTMENTS):
        return appointments.filter(Q(clinician=user) | Q(client__client_profile__clinicians=user)
                                   ).distinct()
    return appointments


def appointment_for(user: User, appointment_id: int) -> Appointment:
    """The appointment if `user` may see it; else Appointment.DoesNotExist."""
    return _with_people(appointments_visible_to(user)).get(pk=appointment_id)


def appointments_for_client(client: User, *, now: datetime,
                            past_limit: int = 20) -> tuple[list[Appointment], list[Appointment]]:
    """(upcoming, recent past): upcoming soonest first, the past newest first."""
    rows = _with_people(Appointment.objects.filter(client=client))
    upcoming = list(rows.filter(ends_at__gt=now).order_by("starts_at", "pk"))
    past = list(rows.filter(ends_at__lte=now).order_by("-starts_at", "-pk")[:past_limit])
    return upcoming, past


def next_appointment(client: User, now: datetime) -> Appointment | None:
    """The client's next booked session (one still running counts: they may need to join)."""
    return (Appointment.objects.select_related("appointment_type", "clinician")
            .filter(client=client, status=Appointment.Status.BOOKED, ends_at__gt=now)
            .order_by("starts_at", "pk").first())


def clinician_day(clinician: User, day: date, zone: ZoneInfo) -> list[Appointment]:
    """The clinician's appointments on a local date (cancelled ones included, marked)."""
    start = datetime.combine(day, datetime.min.time(), tzinfo=zone)
    end = datetime.combine(day + timedelta(days=1), datetime.min.time(), tzinfo=zone)
    return list(_with_people(Appointment.objects.filter(
        clinician=clinician, starts_at__lt=end, ends_at__gt=start)).order_by("starts_at", "pk"))


def appointments_between(user: User, *, start: datetime, end: datetime,
                         clinician: User | None = None,
                         client: User | None = None) -> QuerySet[Appointment]:
    rows = appointments_visible_to(user).filter(starts_at__lt=end, ends_at__gt=start)
    if clinician is not None:
        rows = rows.filter(clinician=clinician)
    if client is not None:
        rows = rows.filter(client=client)
    return _with_people(rows).order_by("starts_at", "pk")


def feed_appointments(clinician: User, now: datetime) -> list[Appointment]:
    """What a clinician's calendar feed carries: active sessions from 60 days back to a year
    ahead."""
    return list(Appointment.objects.select_related("client", "appointment_type").filter(
        clinician=clinician, status__in=ACTIVE_STATUSES,
        starts_at__gte=now - timedelta(days=60), starts_at__lte=now + timedelta(days=365),
    ).order_by("starts_at", "pk"))


# --- availability and free slots ---------------------------------------------------------------

@dataclass(frozen=True)
class Availability:
    zone: ZoneInfo
    weekly: dict[int, list[slots.TimeRange]]
    exceptions: dict[date, list[slots.DayException]]


def weekly_rows(clinician: User) -> list[WeeklyAvailability]:
    return list(WeeklyAvailability.objects.filter(clinician=clinician))


def exception_rows(clinician: User, *, since: date) -> list[AvailabilityException]:
    return list(AvailabilityException.objects.filter(clinician=clinician, date__gte=since))


def availability_of(clinician: User, *, first: date, last: date) -> Availability:
    weekly: dict[int, list[slots.TimeRange]] = defaultdict(list)
    for row in WeeklyAvailability.objects.filter(clinician=clinician):
        weekly[row.weekday].append((row.starts_at, row.ends_at))
    exceptions: dict[date, list[slots.DayException]] = defaultdict(list)
    for exception in AvailabilityException.objects.filter(clinician=clinician,
                                                          date__range=(first, last)):
        exceptions[exception.date].append(
            slots.DayException(exception.kind, exception.starts_at, exception.ends_at))
    return Availability(zone=clinician_zone(clinician), weekly=dict(weekly),
                        exceptions=dict(exceptions))


def busy_intervals(*, clinician: User, client: User | None, start: datetime,
                   end: datetime) -> list[slots.Interval]:
    """Time already taken by the clinician's (and the client's) active appointments."""
    people = Q(clinician=clinician) | Q(client=client) if client is not None else Q(
        clinician=clinician)
    return list(Appointment.objects.filter(people, status__in=ACTIVE_STATUSES,
                                           starts_at__lt=end, ends_at__gt=start)
                .values_list("starts_at", "ends_at"))


def free_slots(*, clinician: User, appointment_type: AppointmentType, earliest: datetime,
               latest: datetime, client: User | None = None) -> list[datetime]:
    """Starts (UTC) where a session of this type fits the clinician's hours and nobody's
    existing appointments. A fixed number of queries whatever the range."""
    if latest < earliest:
        return []
    margin = timedelta(days=1)
    availability = availability_of(clinician, first=(earliest - margin).date(),
                                   last=(latest + margin).date())
    busy = busy_intervals(clinician=clinician, client=client, start=earliest - margin,
                          end=latest + margin)
    return slots.free_slots(zone=availability.zone, weekly=availability.weekly,
                            exceptions=availability.exceptions, busy=busy,
                            duration=timedelta(minutes=appointment_type.duration_minutes),
                            earliest=earliest, latest=latest)


# --- session questionnaires --------------------------------------------------------------------

def session_questionnaires(client: User) -> list[SessionQuestionnaire]:
    return list(SessionQuestionnaire.objects.filter(client=client, ended_at__isnull=True))


# --- digest counts -----------------------------------------------------------------------------

def booked_online_since(user: User, since: datetime) -> int:
    """Sessions clients booked themselves since `since`, among those `user` reaches."""
    return appointments_visible_to(user).filter(created_at__gte=since,
                                                booked_by=F("client")).count()


def cancelled_by_clients_since(user: User, since: datetime) -> int:
    return appointments_visible_to(user).filter(cancelled_at__gte=since,
                                                cancelled_by=F("client")).count()
