"""The notification outbox and the devices that receive Web Push.

Every notification (reminders, alerts, message notices, digests) is a row written in the same
transaction as the event that causes it; a dispatcher hands due rows to dramatiq and each delivery
attempt is recorded. A row carries no PHI: its context holds ids and a link, and what the
recipient reads is rendered from the kind's template at delivery time.
"""

from __future__ import annotations

from datetime import time

from django.db import models
from django.utils import timezone

# Staff preferences: what a staff member hears about, on which channel.
STAFF_PREFERENCES = ("alerts", "messages", "digest")
CHANNELS = ("email", "push")


def default_staff_channels() -> dict[str, dict[str, bool]]:
    return {channel: dict.fromkeys(STAFF_PREFERENCES, True) for channel in CHANNELS}


class Notification(models.Model):
    class Channel(models.TextChoices):
        EMAIL = "email", "Email"
        PUSH = "push", "Push"

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting to be sent"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed, will be retried"
        GAVE_UP = "gave_up", "Gave up"
        SKIPPED = "skipped", "Not needed any more"

    recipient = models.ForeignKey("accounts.User", on_delete=models.PROTECT,
                                  related_name="notifications")
    # A key of the registry in practice.notifications.kinds.
    kind = models.CharField(max_length=64)
    channel = models.CharField(max_length=8, choices=Channel.choices)
    # One notification per key, ever: a retried event or a second dispatcher changes nothing.
    idempotency_key = models.CharField(max_length=200, unique=True)
    # Ids and non-PHI values only (for example {"conversation_id": 4}).
    context = models.JSONField(default=dict, blank=True)
    # Not to be sent before this (quiet hours, "unread after two minutes").
    not_before = models.DateTimeField(default=timezone.now)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    dispatched_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["status", "not_before"], name="notification_due_idx"),
            models.Index(fields=["recipient", "kind"], name="notification_recipient_idx"),
        ]

    def __str__(self) -> str:
        return f"Notification #{self.pk} ({self.kind}, {self.channel})"


class DeliveryAttempt(models.Model):
    class Outcome(models.TextChoices):
        # Claimed and being sent: committed before the email or push leaves, so a worker that
        # dies in the middle leaves a trace (and the attempt still counts towards giving up).
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"
        GAVE_UP = "gave_up", "Gave up"
        SKIPPED = "skipped", "Skipped"
        # The worker stopped between claiming and recording: it may or may not have reached
        # the mail server. The next attempt resends with the same Message-ID.
        INTERRUPTED = "interrupted", "Interrupted"

    notification = models.ForeignKey(Notification, on_delete=models.CASCADE,
                                     related_name="delivery_attempts")
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=12, choices=Outcome.choices)
    # What went wrong, without PHI (an exception class, an HTTP status).
    detail = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["started_at", "id"]

    def __str__(self) -> str:
        return f"Attempt #{self.pk} ({self.outcome})"


class PushSubscription(models.Model):
    """One browser on one device that agreed to receive Web Push for this user."""

    user = models.ForeignKey("accounts.User", on_delete=models.CASCADE,
                             related_name="push_subscriptions")
    endpoint = models.URLField(max_length=1000, unique=True)
    p256dh = models.CharField(max_length=200)
    auth = models.CharField(max_length=100)
    # A label the user recognises ("Chrome on Android"), from the user agent.
    device_label = models.CharField(max_length=120, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    last_success_at = models.DateTimeField(null=True, blank=True)
    last_failure_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"Push subscription #{self.pk}"


class NotificationSettings(models.Model):
    """The practice's notification rules (one row per practice schema), set by the owner."""

    singleton = models.BooleanField(default=True, unique=True)
    # Reminders wait while it is quiet in the recipient's timezone; urgent alerts do not.
    quiet_hours_enabled = models.BooleanField(default=True)
    quiet_hours_start = models.TimeField(default=time(21, 0))
    quiet_hours_end = models.TimeField(default=time(8, 0))
    # For staff who have not chosen their own timezone.
    default_timezone = models.CharField(max_length=64, default="UTC")
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return "Notification settings"


class NotificationPreference(models.Model):
    """One person's own notification settings: for staff, which kinds they hear about on which
    channel and their timezone; for anyone, quiet hours of their own (else the practice's).
    Clients choose channels in their portal settings (portal.ClientAccess.notifications)."""

    user = models.OneToOneField("accounts.User", on_delete=models.CASCADE,
                                related_name="notification_preference")
    # {"email": {"alerts": true, "messages": true, "digest": true}, "push": {...}}
    channels = models.JSONField(default=default_staff_channels, blank=True)
    # Blank: the practice's default timezone.
    timezone = models.CharField(max_length=64, blank=True)
    # Both set: the person's own quiet hours; both blank: the practice's.
    quiet_hours_start = models.TimeField(null=True, blank=True)
    quiet_hours_end = models.TimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(quiet_hours_start__isnull=True, quiet_hours_end__isnull=True)
                | models.Q(quiet_hours_start__isnull=False, quiet_hours_end__isnull=False),
                name="notification_quiet_hours_both_or_neither",
            ),
        ]

    def __str__(self) -> str:
        return f"Notification preferences of #{self.user_id}"
