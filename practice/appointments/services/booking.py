"""Booking, moving, cancelling and closing appointments.

Whether a time is free is decided by the database: the insert (or the move) either passes the
exclusion constraints or fails, and the failure becomes "that time was just taken". A check
before the insert would let two requests at the same moment both pass.

Two inserts that overlap, made at the same moment, can also end in a deadlock rather than a
violation: each has put its row in the constraint's index and waits for the other to finish
(PostgreSQL checks exclusion constraints after inserting). The deadlock detector then stops one
of them. That one tries again once the savepoint is gone: it now waits for the other to commit
and meets the violation by name, so its client is told the time was taken, not shown a 500."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db import IntegrityError, OperationalError, transaction
from psycopg import errors as pg_errors

from practice.access import Capability, client_in_reach
from practice.appointments import selectors
from practice.appointments.models import Appointment, AppointmentSeries, AppointmentType
from practice.appointments.services.common import (
    SLOT_TAKEN,
    BookingError,
    SlotTaken,
    audit,
    now_or,
    require_booking_staff,
    require_client,
    waitlist_offer_freed_on_commit,
)
from practice.appointments.services.reminders import (
    session_reminders_enqueue,
    session_responses_open_for,
    session_responses_reschedule,
    session_responses_withdraw,
)
from tenants.accounts.models import User
from tenants.actor import Actor
from tenants.audit.actions import Action

CLINICIAN_BUSY_CONSTRAINT = "appointment_clinician_no_overlap"
CLIENT_BUSY_CONSTRAINT = "appointment_client_no_overlap"
CLIENT_BUSY_FOR_STAFF = "The client already has a session at that time."
CLIENT_BUSY_FOR_CLIENT = "You already have a session at that time."


def _constraint_of(error: IntegrityError) -> str:
    diag = getattr(error.__cause__, "diag", None)
    return getattr(diag, "constraint_name", "") or ""


DEADLOCK_RETRIES = 3


def _save(appointment: Appointment, *, by_client: bool, update_fields: list[str] | None = None
          ) -> None:
    """Insert or move, letting the database decide whether the time is free."""
    for attempt in range(DEADLOCK_RETRIES + 1):
        try:
            _save_once(appointment, by_client=by_client, update_fields=update_fields)
            return
        except OperationalError as error:
            if (not isinstance(error.__cause__, pg_errors.DeadlockDetected)
                    or attempt == DEADLOCK_RETRIES):
                raise
            if update_fields is None:
                appointment.pk = None  # the insert was rolled back with its savepoint


def _save_once(appointment: Appointment, *, by_client: bool,
               update_fields: list[str] | None) -> None:
    try:
        with transaction.atomic():
            appointment.save(update_fields=update_fields)
    except IntegrityError as error:
        constraint = _constraint_of(error)
        if constraint == CLINICIAN_BUSY_CONSTRAINT:
            raise SlotTaken(SLOT_TAKEN) from None
        if constraint == CLIENT_BUSY_CONSTRAINT:
            raise SlotTaken(CLIENT_BUSY_FOR_CLIENT if by_client
                            else CLIENT_BUSY_FOR_STAFF) from None
        raise


def _active_type(appointment_type_id: int, *, online: bool) -> AppointmentType:
    try:
        return selectors.appointment_types(online_only=online).get(pk=appointment_type_id)
    except AppointmentType.DoesNotExist:
        raise BookingError("Choose one of the types of session offered.") from None


def _clinician(clinician_id: int) -> User:
    try:
        return selectors.clinician_by_id(clinician_id)
    except User.DoesNotExist:
        raise BookingError("Choose one of the practice's clinicians.") from None


@dataclass(frozen=True)
class NewSession:
    """What a booking writes: who, with whom, what kind, when; for an occurrence of a series,
    which one."""

    client: User
    clinician: User
    appointment_type: AppointmentType
    starts_at: datetime
    video_link: str = ""
    series: AppointmentSeries | None = None
    series_date: date | None = None


def _book(session: NewSession, *, actor: Actor, now: datetime) -> Appointment:
    kind = session.appointment_type
    appointment = Appointment(
        series=session.series, series_date=session.series_date,
        client=session.client, clinician=session.clinician, appointment_type=kind,
        starts_at=session.starts_at,
        ends_at=session.starts_at + timedelta(minutes=kind.duration_minutes),
        mode=kind.mode,
        video_link=(session.video_link or kind.video_link
                    if kind.mode == AppointmentType.Mode.VIDEO else ""),
        booked_by=actor.user, created_at=now,
    )
    _save(appointment, by_client=actor.person.is_client)
    session_reminders_enqueue(appointment, selectors.booking_rules(), now)
    session_responses_open_for(appointment, now)
    return appointment


@transaction.atomic
def appointment_book(*, client_id: int, clinician_id: int, appointment_type_id: int,
                     starts_at: datetime, actor: Actor, video_link: str = "",
                     now: datetime | None = None
                     ) -> Appointment:
    """Staff book a session for a client, at any future time (inside the clinician's hours or
    not: staff know when they can see someone)."""
    require_booking_staff(actor.person)
    now = now_or(now)
    client = client_in_reach(actor.person, Capability.APPOINTMENTS, client_id)
    clinician = _clinician(clinician_id)
    appointment_type = _active_type(appointment_type_id, online=False)
    if starts_at <= now:
        raise BookingError("Choose a time in the future.")
    if video_link and not video_link.startswith("https://"):
        raise BookingError("A video link starts with https://.")
    appointment = _book(NewSession(client, clinician, appointment_type, starts_at, video_link),
                        actor=actor, now=now)
    audit(Action.APPOINTMENT_BOOKED, actor, "appointment", appointment.pk,
          client_id=client.pk, clinician_id=clinician.pk, online=False)
    return appointment


@transaction.atomic
def appointment_book_online(*, clinician_id: int, appointment_type_id: int,
                            starts_at: datetime, actor: Actor,
                            now: datetime | None = None
                            ) -> Appointment:
    """A client books one of the free slots the portal offered them."""
    require_client(actor.person)
    now = now_or(now)
    rules = selectors.booking_rules()
    if not rules.online_booking_enabled:
        raise BookingError("Online booking is not available. Please contact the practice.")
    clinician = _clinician(clinician_id)
    if clinician.pk not in {person.pk for person in selectors.client_clinicians(actor.person)}:
        raise BookingError("Choose one of your clinicians.")
    appointment_type = _active_type(appointment_type_id, online=True)
    if appointment_type.pk not in {kind.pk for kind in selectors.online_types_for(actor.person)}:
        raise BookingError("Choose one of the types of session offered.")
    if not rules.client_may_book_at(starts_at, now):
        raise BookingError("That time can no longer be booked online. Please choose another.")
    earliest, latest = rules.online_window(now)
    free = selectors.online_slots(client=actor.person, clinician=clinician,
                                  appointment_type=appointment_type, earliest=earliest,
                                  latest=latest, now=now)
    if starts_at not in free:
        raise SlotTaken("That time is not available any more. Please choose another.")
    appointment = _book(NewSession(actor.person, clinician, appointment_type, starts_at),
                        actor=actor, now=now)
    audit(Action.APPOINTMENT_BOOKED, actor, "appointment", appointment.pk,
          client_id=actor.person.pk, clinician_id=clinician.pk, online=True)
    return appointment


def _locked(acting_user: User, appointment_id: int) -> Appointment:
    """The appointment, locked, if `acting_user` reaches it; else Appointment.DoesNotExist."""
    visible = selectors.appointments_visible_to(acting_user).values("pk")
    return (Appointment.objects.select_for_update(of=("self",))
            .select_related("client", "appointment_type")
            .get(pk=appointment_id, pk__in=visible))


@transaction.atomic
def appointment_cancel(*, appointment_id: int, actor: Actor, reason: str = "",
                       by_client: bool = True, now: datetime | None = None) -> Appointment:
    """A client cancels online up to the practice's cut-off. Staff cancel at any time: at the
    client's request after the cut-off it is recorded as a late cancellation; at the
    practice's own request it never is."""
    now = now_or(now)
    if not actor.person.is_client:
        require_booking_staff(actor.person)
    appointment = _locked(actor.person, appointment_id)
    if appointment.status != Appointment.Status.BOOKED:
        raise BookingError("Only a booked session can be cancelled.")
    if appointment.starts_at <= now:
        raise BookingError("This session has already started; record what happened instead.")
    rules = selectors.booking_rules()
    if actor.person.is_client:
        by_client = True
        if not rules.client_may_cancel(appointment.starts_at, now):
            hours = int(rules.cancellation_cutoff.total_seconds() // 3600)
            raise BookingError(f"Sessions can be cancelled online up to {hours} hours before "
                               "they start. Please contact the practice.")
    late = by_client and rules.is_late_cancellation(appointment.starts_at, now)
    appointment.status = (Appointment.Status.LATE_CANCELLED if late
                          else Appointment.Status.CANCELLED)
    appointment.cancelled_at = now
    appointment.cancelled_by = appointment.client if by_client else actor.user
    appointment.cancellation_reason = reason.strip()[:300]
    appointment.save(update_fields=["status", "cancelled_at", "cancelled_by",
                                    "cancellation_reason"])
    session_responses_withdraw(appointment)
    waitlist_offer_freed_on_commit(appointment.pk, appointment.starts_at, appointment.ends_at)
    audit(Action.APPOINTMENT_CANCELLED, actor, "appointment", appointment.pk,
          client_id=appointment.client_id, status=appointment.status, by_client=by_client)
    return appointment


OUTCOMES = (Appointment.Status.COMPLETED, Appointment.Status.NO_SHOW)


@transaction.atomic
def appointment_record_outcome(*, appointment_id: int, outcome: str, actor: Actor,
                               now: datetime | None = None
                               ) -> Appointment:
    """Staff record that a session took place or that the client did not come (a mistake
    can be corrected between the two)."""
    require_booking_staff(actor.person)
    now = now_or(now)
    appointment = _locked(actor.person, appointment_id)
    if outcome not in OUTCOMES:
        raise BookingError("Choose completed or no-show.")
    if appointment.status not in (Appointment.Status.BOOKED, *OUTCOMES):
        raise BookingError("A cancelled session has no outcome to record.")
    if appointment.starts_at > now:
        raise BookingError("This session has not started yet.")
    previous = appointment.status
    appointment.status = outcome
    appointment.outcome_recorded_at = now
    appointment.save(update_fields=["status", "outcome_recorded_at"])
    audit(Action.APPOINTMENT_OUTCOME_RECORDED, actor, "appointment", appointment.pk,
          client_id=appointment.client_id, old=previous, new=outcome)
    return appointment


def move_to(appointment: Appointment, starts_at: datetime, *, now: datetime,
            by_client: bool) -> None:
    """Move a locked, booked appointment in one UPDATE (so there is no moment where both the
    old and the new time, or neither, are held); the database decides whether the new time is
    free. Reminders for the old time go stale (the schedule version changes), new ones are
    written, and its questionnaires take the new time."""
    duration = appointment.ends_at - appointment.starts_at
    appointment.starts_at, appointment.ends_at = starts_at, starts_at + duration
    appointment.schedule_version += 1
    _save(appointment, by_client=by_client,
          update_fields=["starts_at", "ends_at", "schedule_version"])
    session_reminders_enqueue(appointment, selectors.booking_rules(), now)
    session_responses_reschedule(appointment, now)


@transaction.atomic
def appointment_reschedule(*, appointment_id: int, starts_at: datetime, actor: Actor,
                           now: datetime | None = None
                           ) -> Appointment:
    """Staff move a booked session. Reminders written for the old time become stale (the
    schedule version changes) and new ones are written for the new time."""
    require_booking_staff(actor.person)
    now = now_or(now)
    appointment = _locked(actor.person, appointment_id)
    if appointment.status != Appointment.Status.BOOKED:
        raise BookingError("Only a booked session can be moved.")
    if starts_at <= now:
        raise BookingError("Choose a time in the future.")
    old_start, old_end = appointment.starts_at, appointment.ends_at
    move_to(appointment, starts_at, now=now, by_client=False)
    waitlist_offer_freed_on_commit(appointment.pk, old_start, old_end)
    audit(Action.APPOINTMENT_RESCHEDULED, actor, "appointment", appointment.pk,
          client_id=appointment.client_id, version=appointment.schedule_version)
    return appointment
