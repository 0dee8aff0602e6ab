"""Reminders and questionnaires tied to sessions.

Session reminders are written to the outbox in the booking's own transaction, one per offset
("24 hours before", "1 hour before"), to be sent no sooner than their moment. Each carries the
appointment's schedule version: moved or cancelled, the session no longer matches and the
pipeline skips the reminder instead of sending it (`is_still_due`).

A session questionnaire ("PHQ-9 before every session") becomes a measurement Response for each
booked session, opened two days before it is due (so booking a month of sessions does not pile
questionnaires up in the portal) and removed if the session is cancelled.

The periodic job (`reminders_enqueue_due`, every half hour for each practice) opens those
questionnaires, creates the responses that clients' schedules owe, and writes the assessment-due
and homework-due reminders, each under an idempotency key of its occurrence, so running it twice
sends nothing twice. Quiet hours are applied by the notification pipeline."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Prefetch

from practice.appointments.models import Appointment, SessionQuestionnaire, SessionResponse
from practice.appointments.notifications import ASSESSMENT_DUE, HOMEWORK_DUE, SESSION_REMINDER
from practice.appointments.policies import BookingRules
from practice.appointments.selectors import client_zone
from practice.care.models import Homework, HomeworkCompletion
from practice.care.services import current_occurrence
from practice.measurement.models import Assignment, Response
from practice.measurement.services import responses_materialize
from practice.notifications.services import notification_enqueue
from tenants.accounts.models import User
from tenants.models import Practice

# A session questionnaire appears in the portal this long before it is due.
OPENS_BEFORE_DUE = timedelta(hours=48)
# An assessment-due reminder is written once the due moment is this close.
ASSESSMENT_REMINDER_AHEAD = timedelta(hours=24)


# --- session reminders -------------------------------------------------------------------------

def session_reminder_key(appointment: Appointment, offset_minutes: int) -> str:
    return (f"session_reminder:{appointment.pk}:v{appointment.schedule_version}:"
            f"{offset_minutes}")


def session_reminders_enqueue(appointment: Appointment, rules: BookingRules,
                              now: datetime) -> int:
    """Write this booking's reminders to the outbox (in the caller's transaction)."""
    written = 0
    for offset_minutes, moment in rules.reminder_times(appointment.starts_at, now):
        written += len(notification_enqueue(
            recipient=appointment.client, kind=SESSION_REMINDER,
            idempotency_key=session_reminder_key(appointment, offset_minutes),
            context={"appointment_id": appointment.pk,
                     "version": appointment.schedule_version},
            not_before=moment,
        ))
    return written


# --- session questionnaires --------------------------------------------------------------------

def _due_at(appointment: Appointment, questionnaire: SessionQuestionnaire,
            now: datetime) -> datetime:
    """Due `hours_before` the start; booked later than that, due by the start itself."""
    due = appointment.starts_at - timedelta(hours=questionnaire.hours_before)
    return due if due > now else appointment.starts_at


def _opens_at(appointment: Appointment, questionnaire: SessionQuestionnaire) -> datetime:
    return appointment.starts_at - timedelta(hours=questionnaire.hours_before) - OPENS_BEFORE_DUE


def session_response_open(appointment: Appointment, questionnaire: SessionQuestionnaire,
                          now: datetime) -> SessionResponse | None:
    """The questionnaire's occurrence for this session, if its time has come (idempotent)."""
    if (appointment.status != Appointment.Status.BOOKED or appointment.starts_at <= now
            or now < _opens_at(appointment, questionnaire)):
        return None
    existing = SessionResponse.objects.filter(appointment=appointment,
                                              questionnaire=questionnaire).first()
    if existing is not None:
        return existing
    due_at = _due_at(appointment, questionnaire, now)
    response = Response.objects.create(
        client_id=appointment.client_id, instrument_key=questionnaire.instrument_key,
        occurrence_date=appointment.starts_at.astimezone(client_zone(appointment.client)).date(),
        due_at=due_at, status=Response.Status.PENDING,
    )
    return SessionResponse.objects.create(appointment=appointment, questionnaire=questionnaire,
                                          response=response)


def session_responses_open_for(appointment: Appointment, now: datetime) -> int:
    opened = 0
    for questionnaire in SessionQuestionnaire.objects.filter(client_id=appointment.client_id,
                                                             ended_at__isnull=True):
        opened += session_response_open(appointment, questionnaire, now) is not None
    return opened


def session_responses_withdraw(appointment: Appointment) -> int:
    """The session is off: its questionnaires not yet started go (answers begun are kept)."""
    pending = Response.objects.filter(session_link__appointment=appointment,
                                      status=Response.Status.PENDING)
    count, _ = pending.delete()
    return count


def session_responses_reschedule(appointment: Appointment, now: datetime) -> None:
    """The session moved: unstarted questionnaires are opened afresh for the new time; one
    already begun keeps its answers and takes the new due time."""
    session_responses_withdraw(appointment)
    for link in SessionResponse.objects.select_related("questionnaire", "response").filter(
            appointment=appointment):
        link.response.due_at = _due_at(appointment, link.questionnaire, now)
        link.response.save(update_fields=["due_at"])
    session_responses_open_for(appointment, now)


def session_responses_open_due(now: datetime) -> int:
    """Open every session questionnaire whose time has come (the periodic job)."""
    opened = 0
    for questionnaire in SessionQuestionnaire.objects.filter(ended_at__isnull=True):
        horizon = now + timedelta(hours=questionnaire.hours_before) + OPENS_BEFORE_DUE
        sessions = Appointment.objects.select_related("client").filter(
            client_id=questionnaire.client_id, status=Appointment.Status.BOOKED,
            starts_at__gt=now, starts_at__lte=horizon,
        ).exclude(session_responses__questionnaire=questionnaire)
        for appointment in sessions:
            with transaction.atomic():
                opened += session_response_open(appointment, questionnaire, now) is not None
    return opened


# --- assessment-due and homework-due reminders -------------------------------------------------

def _sees_module(client: User, key: str) -> bool:
    """Staff may have chosen fewer modules for this client than the practice has on."""
    access = getattr(client, "portal_access", None)
    if access is None:
        return False
    return key in (access.visible_modules or [])


def assessment_reminders_enqueue(now: datetime) -> int:
    """Create what schedules owe, then remind of every questionnaire due within a day."""
    clients = User.objects.filter(pk__in=Assignment.objects.filter(
        ended_at__isnull=True).values("client_id"))
    for client in clients:
        responses_materialize(client=client, now=now)
    due = Response.objects.select_related("client__portal_access").filter(
        status__in=[Response.Status.PENDING, Response.Status.IN_PROGRESS],
        due_at__gt=now, due_at__lte=now + ASSESSMENT_REMINDER_AHEAD,
    )
    written = 0
    for response in due:
        if not _sees_module(response.client, "assessments"):
            continue
        written += len(notification_enqueue(
            recipient=response.client, kind=ASSESSMENT_DUE,
            idempotency_key=f"assessment_due:{response.pk}",
            context={"response_id": response.pk}))
    return written


def homework_reminders_enqueue(now: datetime) -> int:
    """Remind of each homework occurrence due today (the client's today), not yet done."""
    homework = Homework.objects.filter(is_active=True).select_related(
        "client__portal_access", "client__client_profile").prefetch_related(
        Prefetch("completions", queryset=HomeworkCompletion.objects.only("homework_id",
                                                                         "due_on")))
    written = 0
    for item in homework:
        if not _sees_module(item.client, "homework"):
            continue
        today = now.astimezone(client_zone(item.client)).date()
        occurrence = current_occurrence(item, today)
        if occurrence != today or any(done.due_on == occurrence
                                      for done in item.completions.all()):
            continue
        written += len(notification_enqueue(
            recipient=item.client, kind=HOMEWORK_DUE,
            idempotency_key=f"homework_due:{item.pk}:{occurrence.isoformat()}",
            context={"homework_id": item.pk, "due_on": occurrence.isoformat()}))
    return written


@dataclass(frozen=True)
class ReminderRun:
    questionnaires_opened: int
    assessment_reminders: int
    homework_reminders: int


def reminders_enqueue_due(*, practice: Practice, now: datetime) -> ReminderRun:
    """The periodic job's work for one practice (run inside its schema)."""
    opened = session_responses_open_due(now) if practice.has_module("booking") else 0
    assessments = (assessment_reminders_enqueue(now) if practice.has_module("assessments")
                   else 0)
    homework = homework_reminders_enqueue(now) if practice.has_module("homework") else 0
    return ReminderRun(opened, assessments, homework)
