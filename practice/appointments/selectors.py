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

from django.db.models import Count, F, Q, QuerySet

from practice.access import (
    Capability,
    clients_in_reach,
    holds,
    reaches_whole_practice,
    roles_with,
)
from practice.appointments import slots
from practice.appointments.models import (
    ACTIVE_STATUSES,
    Appointment,
    AppointmentSeries,
    AppointmentType,
    AvailabilityException,
    BookingSettings,
    ClinicianCalendar,
    OnlineBookingApproval,
    SessionQuestionnaire,
    SlotOffer,
    WaitlistEntry,
    WaitlistOffer,
    WeeklyAvailability,
)
from practice.appointments.policies import BookingRules, TypeRules, rules_from
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
        client_reschedule_enabled=settings_row.client_reschedule_enabled,
        slot_step_minutes=settings_row.slot_step_minutes,
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


def sessions_led_by(user: User) -> QuerySet[Appointment]:
    """The appointments `user` holds as the clinician: within ``appointments_visible_to`` for
    anyone who may see appointments at all (a clinician sees their own sessions), without its
    caseload join."""
    if user.is_client or not holds(user, Capability.APPOINTMENTS):
        return Appointment.objects.none()
    return Appointment.objects.filter(clinician=user)


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
                   end: datetime, except_appointment_id: int | None = None,
                   buffer: timedelta = timedelta(0)) -> list[slots.Interval]:
    """Time already taken by the clinician's (and the client's) active appointments; the
    clinician's widened by `buffer` on each side. `except_appointment_id`: the session being
    moved does not stand in its own way."""
    people = Q(clinician=clinician) | Q(client=client) if client is not None else Q(
        clinician=clinician)
    rows = Appointment.objects.filter(people, status__in=ACTIVE_STATUSES,
                                      starts_at__lt=end + buffer, ends_at__gt=start - buffer)
    if except_appointment_id is not None:
        rows = rows.exclude(pk=except_appointment_id)
    return [(starts_at - buffer, ends_at + buffer) if clinician_id == clinician.pk
            else (starts_at, ends_at)
            for starts_at, ends_at, clinician_id in rows.values_list("starts_at", "ends_at",
                                                                     "clinician_id")]


def free_slots(*, clinician: User, appointment_type: AppointmentType, earliest: datetime,
               latest: datetime, client: User | None = None,
               except_appointment_id: int | None = None,
               with_buffer: bool = False) -> list[datetime]:
    """Starts (UTC) where a session of this type fits the clinician's hours and nobody's
    existing appointments, on the practice's slot step. A fixed number of queries whatever
    the range."""
    if latest < earliest:
        return []
    margin = timedelta(days=1)
    availability = availability_of(clinician, first=(earliest - margin).date(),
                                   last=(latest + margin).date())
    buffer = timedelta(minutes=appointment_type.buffer_minutes if with_buffer else 0)
    busy = busy_intervals(clinician=clinician, client=client, start=earliest - margin,
                          end=latest + margin, except_appointment_id=except_appointment_id,
                          buffer=buffer)
    hours = slots.Hours(availability.zone, availability.weekly, availability.exceptions)
    return slots.free_slots(hours=hours, busy=busy,
                            duration=timedelta(minutes=appointment_type.duration_minutes),
                            earliest=earliest, latest=latest, step=booking_rules().slot_step)


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


# --- series ------------------------------------------------------------------------------------

def series_for(user: User, series_id: int) -> AppointmentSeries:
    """A series whose client `user` may book for; else AppointmentSeries.DoesNotExist."""
    return (AppointmentSeries.objects.select_related("client", "clinician", "appointment_type")
            .get(pk=series_id, client__in=clients_in_reach(user, Capability.APPOINTMENTS)))


def series_of_client(client: User) -> list[AppointmentSeries]:
    return list(AppointmentSeries.objects.select_related("clinician", "appointment_type")
                .filter(client=client, ended_at__isnull=True))


# --- waitlist and offers -----------------------------------------------------------------------

def waitlist_visible_to(user: User) -> QuerySet[WaitlistEntry]:
    rows = WaitlistEntry.objects.select_related("client", "clinician", "appointment_type")
    if user.is_authenticated and user.is_active and user.is_client:
        return rows.filter(client=user)
    if not holds(user, Capability.APPOINTMENTS):
        return rows.none()
    if not reaches_whole_practice(user, Capability.APPOINTMENTS):
        return rows.filter(Q(clinician=user) | Q(client__client_profile__clinicians=user)
                           ).distinct()
    return rows


def waitlist_waiting(user: User) -> list[WaitlistEntry]:
    return list(waitlist_visible_to(user).filter(status=WaitlistEntry.Status.WAITING)
                .order_by("created_at", "pk"))


def open_offers_for_client(client: User, now: datetime) -> list[WaitlistOffer]:
    return list(WaitlistOffer.objects.select_related("slot__clinician", "entry__appointment_type")
                .filter(entry__client=client, status=WaitlistOffer.Status.SENT,
                        slot__status=SlotOffer.Status.OPEN, slot__expires_at__gt=now)
                .order_by("slot__starts_at", "pk"))


@dataclass(frozen=True)
class OfferStats:
    made: int
    accepted: int
    expired: int
    taken: int
    declined: int


def offer_stats(since: datetime) -> OfferStats:
    """What the owner sees: offers made since `since`, and what became of them."""
    counts = dict(WaitlistOffer.objects.filter(created_at__gte=since).values_list("status")
                  .annotate(total=Count("pk")).values_list("status", "total"))
    return OfferStats(made=sum(counts.values()),
                      accepted=counts.get(WaitlistOffer.Status.ACCEPTED, 0),
                      expired=counts.get(WaitlistOffer.Status.EXPIRED, 0),
                      taken=counts.get(WaitlistOffer.Status.TAKEN, 0),
                      declined=counts.get(WaitlistOffer.Status.DECLINED, 0))


def recent_slot_offers(limit: int = 30) -> list[SlotOffer]:
    return list(SlotOffer.objects.select_related("clinician").annotate(
        offers_made=Count("offers"),
    ).order_by("-created_at", "-pk")[:limit])


# --- online booking rules of each type ---------------------------------------------------------

def type_rules(appointment_type: AppointmentType) -> TypeRules:
    return TypeRules(audience=appointment_type.online_audience,
                     same_day_allowed=appointment_type.same_day_allowed,
                     daily_cap=appointment_type.daily_cap,
                     weekly_cap=appointment_type.weekly_cap,
                     buffer=timedelta(minutes=appointment_type.buffer_minutes),
                     is_intake=appointment_type.is_intake)


def client_standing(client: User) -> tuple[bool, bool]:
    """(has had or has booked a session, approved to book approved-only types)."""
    has_sessions = Appointment.objects.filter(client=client,
                                              status__in=ACTIVE_STATUSES).exists()
    return has_sessions, OnlineBookingApproval.objects.filter(client=client).exists()


def online_types_for(client: User) -> list[AppointmentType]:
    """The types this client may book online (audience, intake)."""
    has_sessions, is_approved = client_standing(client)
    return [kind for kind in appointment_types(online_only=True)
            if type_rules(kind).offered_to(has_sessions=has_sessions, is_approved=is_approved)]


def online_slots(*, client: User, clinician: User, appointment_type: AppointmentType,
                 earliest: datetime, latest: datetime, now: datetime,
                 except_appointment_id: int | None = None) -> list[datetime]:
    """The starts a client may book online: free (with the type's buffer around the
    clinician's sessions), on days the type still allows (same day, daily and weekly caps
    per clinician, in the clinician's timezone)."""
    rules = type_rules(appointment_type)
    starts = free_slots(clinician=clinician, appointment_type=appointment_type,
                        earliest=earliest, latest=latest, client=client,
                        except_appointment_id=except_appointment_id, with_buffer=True)
    if rules.same_day_allowed and not rules.daily_cap and not rules.weekly_cap:
        return starts
    zone = clinician_zone(clinician)
    booked = Appointment.objects.filter(
        clinician=clinician, appointment_type=appointment_type, status__in=ACTIVE_STATUSES,
        starts_at__gte=earliest - timedelta(days=8), starts_at__lte=latest + timedelta(days=8))
    if except_appointment_id is not None:
        booked = booked.exclude(pk=except_appointment_id)
    per_day: dict[date, int] = defaultdict(int)
    for moment in booked.values_list("starts_at", flat=True):
        per_day[moment.astimezone(zone).date()] += 1
    today = now.astimezone(zone).date()

    def week_count(day: date) -> int:
        monday = day - timedelta(days=day.weekday())
        return sum(per_day.get(monday + timedelta(days=offset), 0) for offset in range(7))

    return [start for start in starts if rules.allows_day(
        day=start.astimezone(zone).date(), today=today,
        booked_that_day=per_day.get(start.astimezone(zone).date(), 0),
        booked_that_week=week_count(start.astimezone(zone).date()))]


def clinician_free_from(clinician_id: int, starts_at: datetime, length: timedelta) -> datetime:
    """The first hour from `starts_at` (stepping an hour at a time) at which the clinician's
    diary has no active session overlapping `length`: for demo and seeded data, which book at
    times derived from the clock and must not meet each other's sessions at some hour of the
    day."""
    while Appointment.objects.filter(clinician_id=clinician_id, status__in=ACTIVE_STATUSES,
                                     starts_at__lt=starts_at + length,
                                     ends_at__gt=starts_at).exists():
        starts_at += timedelta(hours=1)
    return starts_at
