"""Demo notifications: the practice keeps quiet hours of 21:00-08:00 in New York time, the
clinician has chosen what reaches them, and the delivery log has a short history (sent, retried,
given up, skipped) to read. Idempotent: nothing is done once the practice's rules exist."""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from practice.notifications.models import (
    DeliveryAttempt,
    Notification,
    NotificationPreference,
    NotificationSettings,
)
from tenants.accounts.models import User
from tenants.models import Practice

DEMO_CLINICIAN = "clinician@demo.localhost"
DEMO_CLIENT = "client@demo.localhost"
# (days ago, kind, channel, recipient email, attempt outcomes, final status, last error)
HISTORY = [
    (6, "alert_raised", "email", DEMO_CLINICIAN, ["sent"], "sent", ""),
    (5, "alert_raised", "push", DEMO_CLINICIAN, ["failed", "sent"], "sent", ""),
    (4, "push_test", "push", DEMO_CLINICIAN, ["skipped"], "skipped", ""),
    (3, "alert_raised", "email", DEMO_CLINICIAN,
     ["failed", "failed", "failed", "failed", "gave_up"], "gave_up", "SMTPServerDisconnected"),
    (2, "alert_raised", "email", DEMO_CLINICIAN, ["interrupted", "sent"], "sent", ""),
]
DETAILS = {"failed": "ConnectionRefusedError", "gave_up": "SMTPServerDisconnected",
           "skipped": "No device to send to.",
           "interrupted": "The worker stopped before recording the outcome."}


@transaction.atomic
def seed(practice: Practice) -> None:
    if NotificationSettings.objects.exists():
        return
    NotificationSettings.objects.create(default_timezone="America/New_York")
    clinician = User.objects.filter(email=DEMO_CLINICIAN).first()
    if clinician is None:
        return
    NotificationPreference.objects.get_or_create(user=clinician, defaults={
        "channels": {"email": {"alerts": True, "messages": True, "digest": True},
                     "push": {"alerts": True, "messages": False, "digest": False}},
        "timezone": "America/New_York"})
    now = timezone.now()
    for number, (days, kind, channel, _email, outcomes, status, error) in enumerate(HISTORY):
        created = now - timedelta(days=days)
        row = Notification.objects.create(
            recipient=clinician, kind=kind, channel=channel,
            idempotency_key=f"demo:history:{number}:{channel}", context={},
            not_before=created, created_at=created, status=status, attempts=len(
                [outcome for outcome in outcomes if outcome != "skipped"]),
            sent_at=created + timedelta(minutes=len(outcomes)) if status == "sent" else None,
            last_error=error)
        for step, outcome in enumerate(outcomes):
            started = created + timedelta(minutes=step)
            DeliveryAttempt.objects.create(
                notification=row, started_at=started, finished_at=started + timedelta(seconds=2),
                outcome=outcome, detail=DETAILS.get(outcome, ""))
