"""Setting up booking: the practice's rules and appointment types (owner), clinicians' hours and
exceptions (the clinician, the owner or front desk), calendar feeds (the clinician), and
questionnaires before each session (clinical staff)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date, datetime, time

from django.db import transaction

from practice.access import Capability, client_for_staff, holds
from practice.appointments import selectors
from practice.appointments.models import (
    Appointment,
    AppointmentType,
    AvailabilityException,
    BookingSettings,
    ClinicianCalendar,
    OnlineBookingApproval,
    SessionQuestionnaire,
    WeeklyAvailability,
)
from practice.appointments.policies import MAX_REMINDER_OFFSET, MAX_REMINDERS, SLOT_STEPS
from practice.appointments.services.common import (
    BookingError,
    audit,
    may_manage_schedule_of,
    now_or,
    require_owner,
)
from practice.appointments.services.reminders import session_response_open
from practice.measurement.models import Response
from practice.measurement.selectors import instruments_offered
from tenants.accounts.models import User
from tenants.actor import Actor
from tenants.audit.actions import Action

# --- the practice's rules ----------------------------------------------------------------------


@dataclass(frozen=True)
class BookingSettingsInput:
    online_booking_enabled: bool
    minimum_notice_hours: int
    cancellation_cutoff_hours: int
    booking_horizon_days: int
    reminder_offsets_minutes: list[int]
    timezone: str
    slot_step_minutes: int = 30
    client_reschedule_enabled: bool = True
    waitlist_offers_at_once: int = 3
    waitlist_offer_hours: int = 12


def _check_settings(data: BookingSettingsInput) -> None:
    if not 0 <= data.minimum_notice_hours <= 24 * 30:
        raise BookingError("Minimum notice is between 0 hours and 30 days.")
    if not 0 <= data.cancellation_cutoff_hours <= 24 * 14:
        raise BookingError("The cancellation cut-off is between 0 hours and 14 days.")
    if not 1 <= data.booking_horizon_days <= 365:
        raise BookingError("Clients can book between 1 and 365 days ahead.")
    if len(data.reminder_offsets_minutes) > MAX_REMINDERS:
        raise BookingError(f"At most {MAX_REMINDERS} reminders.")
    limit = MAX_REMINDER_OFFSET.total_seconds() // 60
    if any(not 0 < minutes <= limit for minutes in data.reminder_offsets_minutes):
        raise BookingError("Reminders go between a few minutes and 7 days before a session.")
    if selectors.zone_or_utc(data.timezone).key != data.timezone:
        raise BookingError("Choose a timezone from the list.")
    if data.slot_step_minutes not in SLOT_STEPS:
        raise BookingError("Free times are offered every 5, 10, 15, 30 or 60 minutes.")
    if not 1 <= data.waitlist_offers_at_once <= 10:
        raise BookingError("A freed time is offered to between 1 and 10 people at once.")
    if not 1 <= data.waitlist_offer_hours <= 72:
        raise BookingError("An offer lasts between 1 and 72 hours.")


@transaction.atomic
def booking_settings_update(*, data: BookingSettingsInput, actor: Actor) -> BookingSettings:
    require_owner(actor.person)
    _check_settings(data)
    row, _ = BookingSettings.objects.select_for_update().get_or_create(singleton=True)
    row.online_booking_enabled = data.online_booking_enabled
    row.minimum_notice_hours = data.minimum_notice_hours
    row.cancellation_cutoff_hours = data.cancellation_cutoff_hours
    row.booking_horizon_days = data.booking_horizon_days
    row.reminder_offsets_minutes = sorted(set(data.reminder_offsets_minutes), reverse=True)
    row.timezone = data.timezone
    row.slot_step_minutes = data.slot_step_minutes
    row.client_reschedule_enabled = data.client_reschedule_enabled
    row.waitlist_offers_at_once = data.waitlist_offers_at_once
    row.waitlist_offer_hours = data.waitlist_offer_hours
    row.save()
    audit(Action.BOOKING_SETTINGS_UPDATED, actor, "booking_settings", row.pk,
          online_booking=row.online_booking_enabled, notice=row.minimum_notice_hours,
          cutoff=row.cancellation_cutoff_hours, reminders=row.reminder_offsets_minutes,
          slot_step=row.slot_step_minutes, client_reschedule=row.client_reschedule_enabled,
          offers_at_once=row.waitlist_offers_at_once, offer_hours=row.waitlist_offer_hours)
    return row


# --- appointment types -------------------------------------------------------------------------

@dataclass(frozen=True)
class AppointmentTypeInput:
    name: str
    duration_minutes: int
    mode: str
    video_link: str = ""
    is_bookable_online: bool = True
    name_es: str = ""
    online_audience: str = "all"
    same_day_allowed: bool = True
    daily_cap: int = 0
    weekly_cap: int = 0
    buffer_minutes: int = 0
    is_intake: bool = False


def _check_type(data: AppointmentTypeInput) -> None:
    if not data.name.strip():
        raise BookingError("Give the type a name.")
    if not 5 <= data.duration_minutes <= 480:
        raise BookingError("A session lasts between 5 minutes and 8 hours.")
    if data.mode not in AppointmentType.Mode.values:
        raise BookingError("Choose in person or video.")
    if data.video_link and not data.video_link.startswith("https://"):
        raise BookingError("A video link starts with https://.")
    if data.online_audience not in AppointmentType.Audience.values:
        raise BookingError("Choose who may book this type online.")
    if not (0 <= data.daily_cap <= 50 and 0 <= data.weekly_cap <= 200):
        raise BookingError("A cap is between 0 (none) and 50 a day or 200 a week.")
    if not 0 <= data.buffer_minutes <= 120:
        raise BookingError("A buffer is between 0 and 120 minutes.")


@transaction.atomic
def appointment_type_save(*, data: AppointmentTypeInput, actor: Actor,
                          appointment_type_id: int | None = None) -> AppointmentType:
    """Create a type, or change one (booked sessions keep what they were booked with)."""
    require_owner(actor.person)
    _check_type(data)
    if appointment_type_id is None:
        row = AppointmentType()
    else:
        row = AppointmentType.objects.select_for_update().get(pk=appointment_type_id)
    row.name = data.name.strip()[:100]
    row.name_es = " ".join(data.name_es.split())[:100]
    row.duration_minutes = data.duration_minutes
    row.mode = data.mode
    row.video_link = data.video_link.strip() if data.mode == AppointmentType.Mode.VIDEO else ""
    row.is_bookable_online = data.is_bookable_online
    row.online_audience = data.online_audience
    row.same_day_allowed = data.same_day_allowed
    row.daily_cap = data.daily_cap
    row.weekly_cap = data.weekly_cap
    row.buffer_minutes = data.buffer_minutes
    row.is_intake = data.is_intake
    row.save()
    audit(Action.APPOINTMENT_TYPE_SAVED, actor, "appointment_type", row.pk,
          created=appointment_type_id is None, duration=row.duration_minutes, mode=row.mode)
    return row


@transaction.atomic
def appointment_type_set_active(*, appointment_type_id: int, is_active: bool,
                                actor: Actor) -> AppointmentType:
    """Retire a type (no new bookings; booked sessions stay) or bring it back."""
    require_owner(actor.person)
    row = AppointmentType.objects.select_for_update().get(pk=appointment_type_id)
    row.is_active = is_active
    row.save(update_fields=["is_active"])
    audit(Action.APPOINTMENT_TYPE_ACTIVITY_CHANGED, actor, "appointment_type", row.pk,
          is_active=is_active)
    return row


# --- clinicians' hours -------------------------------------------------------------------------

def _schedule_owner(acting_user: User, clinician_id: int) -> User:
    """The clinician whose hours `acting_user` may manage; else User.DoesNotExist."""
    clinician = selectors.clinician_by_id(clinician_id)
    if not may_manage_schedule_of(acting_user, clinician):
        raise User.DoesNotExist
    return clinician


def _check_windows(windows: list[tuple[int, time, time]]) -> None:
    by_day: dict[int, list[tuple[time, time]]] = {}
    for weekday, start, end in windows:
        if weekday not in range(7):
            raise BookingError("Unknown day of the week.")
        if end <= start:
            raise BookingError("Each period of hours ends after it starts.")
        by_day.setdefault(weekday, []).append((start, end))
    for ranges in by_day.values():
        ranges.sort()
        if any(later[0] < earlier[1] for earlier, later in zip(ranges, ranges[1:],
                                                                strict=False)):
            raise BookingError("Two periods of hours on the same day overlap.")


@transaction.atomic
def availability_set_weekly(*, clinician_id: int, windows: list[tuple[int, time, time]],
                            timezone_name: str, actor: Actor) -> list[WeeklyAvailability]:
    """Replace a clinician's weekly hours (wall-clock times in `timezone_name`)."""
    clinician = _schedule_owner(actor.person, clinician_id)
    _check_windows(windows)
    if selectors.zone_or_utc(timezone_name).key != timezone_name:
        raise BookingError("Choose a timezone from the list.")
    calendar, _ = ClinicianCalendar.objects.select_for_update().get_or_create(
        clinician=clinician, defaults={"timezone": timezone_name})
    calendar.timezone = timezone_name
    calendar.save(update_fields=["timezone"])
    WeeklyAvailability.objects.filter(clinician=clinician).delete()
    rows = WeeklyAvailability.objects.bulk_create([
        WeeklyAvailability(clinician=clinician, weekday=weekday, starts_at=start, ends_at=end)
        for weekday, start, end in sorted(windows)])
    audit(Action.AVAILABILITY_WEEKLY_SET, actor, "clinician", clinician.pk,
          periods=len(rows), timezone=timezone_name)
    return rows


@transaction.atomic
def availability_exception_add(*, clinician_id: int, day: date, kind: str,
                               starts_at: time | None, ends_at: time | None, note: str = "",
                               actor: Actor
                               ) -> AvailabilityException:
    clinician = _schedule_owner(actor.person, clinician_id)
    if kind not in AvailabilityException.Kind.values:
        raise BookingError("Choose time off or extra hours.")
    if (starts_at is None) != (ends_at is None):
        raise BookingError("Give both a start and an end, or neither for the whole day.")
    if starts_at is None and kind == AvailabilityException.Kind.EXTRA:
        raise BookingError("Extra hours need a start and an end.")
    if starts_at is not None and ends_at is not None and ends_at <= starts_at:
        raise BookingError("The end is before the start.")
    exception = AvailabilityException.objects.create(
        clinician=clinician, date=day, kind=kind, starts_at=starts_at, ends_at=ends_at,
        note=note.strip()[:120], created_by=actor.person)
    audit(Action.AVAILABILITY_EXCEPTION_ADDED, actor, "clinician", clinician.pk,
          exception_id=exception.pk, kind=kind)
    return exception


@transaction.atomic
def availability_exception_remove(*, exception_id: int, actor: Actor) -> None:
    exception = AvailabilityException.objects.select_related("clinician").get(pk=exception_id)
    if not may_manage_schedule_of(actor.person, exception.clinician):
        raise AvailabilityException.DoesNotExist
    clinician_id = exception.clinician_id
    exception.delete()
    audit(Action.AVAILABILITY_EXCEPTION_REMOVED, actor, "clinician", clinician_id,
          exception_id=exception_id)


# --- calendar feeds ----------------------------------------------------------------------------

def _own_calendar(acting_user: User) -> ClinicianCalendar:
    clinician = selectors.clinician_by_id(acting_user.pk)
    calendar, _ = ClinicianCalendar.objects.select_for_update().get_or_create(
        clinician=clinician, defaults={"timezone": selectors.booking_settings().timezone})
    return calendar


@transaction.atomic
def calendar_feed_regenerate(*, actor: Actor, now: datetime | None = None) -> str:
    """A new secret address for the clinician's own feed; the old one stops working. The
    token is returned once (only its hash is kept)."""
    calendar = _own_calendar(actor.person)
    token = secrets.token_urlsafe(32)
    calendar.feed_token_hash = selectors.feed_token_hash(token)
    calendar.feed_created_at = now_or(now)
    calendar.save(update_fields=["feed_token_hash", "feed_created_at"])
    audit(Action.CALENDAR_FEED_REGENERATED, actor, "clinician", actor.person.pk)
    return token


@transaction.atomic
def calendar_feed_update(*, full_names: bool, actor: Actor) -> ClinicianCalendar:
    calendar = _own_calendar(actor.person)
    calendar.feed_full_names = full_names
    calendar.save(update_fields=["feed_full_names"])
    audit(Action.CALENDAR_FEED_UPDATED, actor, "clinician", actor.person.pk,
          full_names=full_names)
    return calendar


@transaction.atomic
def calendar_feed_turn_off(*, actor: Actor) -> None:
    calendar = _own_calendar(actor.person)
    calendar.feed_token_hash = ""
    calendar.feed_created_at = None
    calendar.save(update_fields=["feed_token_hash", "feed_created_at"])
    audit(Action.CALENDAR_FEED_TURNED_OFF, actor, "clinician", actor.person.pk)


# --- questionnaires before each session --------------------------------------------------------

@transaction.atomic
def session_questionnaire_add(*, client_id: int, instrument_key: str,
                              hours_before: int = 24, actor: Actor,
                              now: datetime | None = None
                              ) -> SessionQuestionnaire:
    """"PHQ-9 before every session": opened for each booked session as its time comes."""
    if not holds(actor.person, Capability.CLINICAL_RECORD):
        raise PermissionError("Only clinicians assign instruments.")
    now = now_or(now)
    client = client_for_staff(actor.person, client_id)
    offered = instruments_offered(actor.in_practice)
    if instrument_key not in {definition.key for definition in offered}:
        raise BookingError("Your practice does not offer this instrument.")
    if not 1 <= hours_before <= 7 * 24:
        raise BookingError("Due between 1 hour and 7 days before the session.")
    if SessionQuestionnaire.objects.filter(client=client, instrument_key=instrument_key,
                                           ended_at__isnull=True).exists():
        raise BookingError("This questionnaire is already asked before each session.")
    questionnaire = SessionQuestionnaire.objects.create(
        client=client, instrument_key=instrument_key, hours_before=hours_before,
        created_by=actor.person, created_at=now)
    for appointment in Appointment.objects.select_related("client").filter(
            client=client, status=Appointment.Status.BOOKED, starts_at__gt=now):
        session_response_open(appointment, questionnaire, now)
    audit(Action.SESSION_QUESTIONNAIRE_ADDED, actor, "session_questionnaire",
          questionnaire.pk, client_id=client.pk, instrument=instrument_key,
          hours_before=hours_before)
    return questionnaire


@transaction.atomic
def session_questionnaire_end(*, questionnaire_id: int, actor: Actor,
                              now: datetime | None = None) -> SessionQuestionnaire:
    """Stop asking; occurrences not yet started for sessions to come are withdrawn."""
    if not holds(actor.person, Capability.CLINICAL_RECORD):
        raise PermissionError("Only clinicians assign instruments.")
    questionnaire = SessionQuestionnaire.objects.select_for_update().get(pk=questionnaire_id)
    client_for_staff(actor.person, questionnaire.client_id)
    if questionnaire.ended_at is None:
        now = now_or(now)
        questionnaire.ended_at = now
        questionnaire.save(update_fields=["ended_at"])
        Response.objects.filter(session_link__questionnaire=questionnaire,
                                session_link__appointment__starts_at__gt=now,
                                status=Response.Status.PENDING).delete()
        audit(Action.SESSION_QUESTIONNAIRE_ENDED, actor, "session_questionnaire",
              questionnaire.pk, client_id=questionnaire.client_id)
    return questionnaire


# --- approval to book approved-only types ------------------------------------------------------

@transaction.atomic
def online_booking_approval_set(*, client_id: int, is_approved: bool, actor: Actor,
                                now: datetime | None = None) -> bool:
    """A clinician (of the client's care team) or the owner lets a client book the types open
    to approved clients only, or withdraws it."""
    if not holds(actor.person, Capability.CLINICAL_RECORD):
        raise PermissionError("Only clinicians approve online booking.")
    client = client_for_staff(actor.person, client_id)
    if is_approved:
        OnlineBookingApproval.objects.get_or_create(
            client=client, defaults={"approved_by": actor.person, "approved_at": now_or(now)})
    else:
        OnlineBookingApproval.objects.filter(client=client).delete()
    audit(Action.BOOKING_ONLINE_APPROVAL_SET, actor, "client", client.pk,
          is_approved=is_approved)
    return is_approved
