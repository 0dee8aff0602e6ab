"""Notification kinds of appointments and reminders, and the staff digest's booking counts.

The wording is fixed and carries no PHI: no clinician, no type of session, no time, no name of
a questionnaire or task; the portal shows the details to the signed-in client. Each kind says,
just before sending, whether it is still due, so a cancelled or moved session, a questionnaire
already done or a task already ticked off sends nothing."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from practice.access import Capability, roles_with
from practice.appointments import selectors
from practice.appointments.models import (
    ACTIVE_STATUSES,
    Appointment,
    SlotOffer,
    WaitlistOffer,
)
from practice.care.models import Homework
from practice.measurement.models import Response
from practice.notifications.digest import DigestSection, register_section
from practice.notifications.kinds import NotificationKind, register
from practice.notifications.models import Notification

SESSION_REMINDER = "session_reminder"
ASSESSMENT_DUE = "assessment_due"
HOMEWORK_DUE = "homework_due"
WAITLIST_OFFER = "waitlist_offer"
WAITLIST_OFFER_GONE = "waitlist_offer_gone"
SESSION_MOVED_BY_CLIENT = "session_moved_by_client"


def _session_still_due(notification: Notification) -> bool:
    """Still booked, still at the time the reminder was written for, not yet started."""
    context: Any = notification.context or {}  # free-form JSON
    appointment = Appointment.objects.filter(pk=context.get("appointment_id")).only(
        "status", "schedule_version", "starts_at").first()
    return (appointment is not None and appointment.status == Appointment.Status.BOOKED
            and appointment.schedule_version == context.get("version")
            and appointment.starts_at > timezone.now())


def _assessment_still_due(notification: Notification) -> bool:
    context: Any = notification.context or {}
    return Response.objects.filter(
        pk=context.get("response_id"),
        status__in=[Response.Status.PENDING, Response.Status.IN_PROGRESS]).exists()


def _homework_still_due(notification: Notification) -> bool:
    context: Any = notification.context or {}  # free-form JSON
    homework = Homework.objects.filter(pk=context.get("homework_id"), is_active=True).first()
    return homework is not None and not homework.completions.filter(
        due_on=context.get("due_on")).exists()


def _offer_still_open(notification: Notification) -> bool:
    """Still waiting for an answer, the time still on offer, still free and still ahead: an
    offer of a time someone has taken is never sent."""
    context: Any = notification.context or {}
    offer = WaitlistOffer.objects.select_related("slot").filter(
        pk=context.get("offer_id")).first()
    if offer is None or offer.status != WaitlistOffer.Status.SENT:
        return False
    slot = offer.slot
    now = timezone.now()
    return (slot.status == SlotOffer.Status.OPEN and slot.expires_at > now
            and not Appointment.objects.filter(
                clinician_id=slot.clinician_id, status__in=ACTIVE_STATUSES,
                starts_at__lt=slot.ends_at, ends_at__gt=slot.starts_at).exists())


def _session_moved_still_due(notification: Notification) -> bool:
    context: Any = notification.context or {}  # free-form JSON
    return Appointment.objects.filter(pk=context.get("appointment_id"),
                                      schedule_version=context.get("version"),
                                      status=Appointment.Status.BOOKED).exists()


register(NotificationKind(
    key=WAITLIST_OFFER,
    preference="reminders",
    subject="A session time has opened up",
    push_body="A session time has opened up for you. Open the portal to see it.",
    link=lambda context: "/portal/appointments/offers/",
    is_still_due=_offer_still_open,
    push_ttl=3600,
))

register(NotificationKind(
    key=WAITLIST_OFFER_GONE,
    preference="reminders",
    subject="The session time offered has been taken",
    push_body="The session time offered to you has been taken. You stay on the waitlist.",
    link=lambda context: "/portal/appointments/",
))

register(NotificationKind(
    key=SESSION_MOVED_BY_CLIENT,
    preference="alerts",
    subject="A client moved a session",
    push_body="A client moved a session. Open Tandem for details.",
    link=lambda context: f"/appointments/{context.get('appointment_id')}/",
    is_still_due=_session_moved_still_due,
))

register(NotificationKind(
    key=SESSION_REMINDER,
    preference="reminders",
    subject="You have an upcoming session",
    push_body="You have an upcoming session. Open the portal for details.",
    link=lambda context: "/portal/appointments/",
    is_still_due=_session_still_due,
    push_ttl=3600,
))

register(NotificationKind(
    key=ASSESSMENT_DUE,
    preference="assessments",
    subject="A questionnaire is waiting for you",
    push_body="A questionnaire is waiting for you. Open the portal to answer it.",
    link=lambda context: "/portal/assessments/",
    is_still_due=_assessment_still_due,
))

register(NotificationKind(
    key=HOMEWORK_DUE,
    preference="reminders",
    subject="A task is due today",
    push_body="A task is due today. Open the portal for details.",
    link=lambda context: "/portal/homework/",
    is_still_due=_homework_still_due,
))


register_section(DigestSection(
    key="booking_online",
    label="{count} sessions booked online",
    count=selectors.booked_online_since,
    link="/appointments/",
    roles=roles_with(Capability.APPOINTMENTS),
))

register_section(DigestSection(
    key="booking_client_cancellations",
    label="{count} sessions cancelled by clients",
    count=selectors.cancelled_by_clients_since,
    link="/appointments/",
    roles=roles_with(Capability.APPOINTMENTS),
))
