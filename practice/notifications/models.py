"""The notification outbox and the devices that receive Web Push.

Every notification (reminders, alerts, message notices, digests) is a row written in the same
transaction as the event that causes it; a dispatcher hands due rows to dramatiq and each delivery
attempt is recorded. A row carries no PHI: its context holds ids and a link, and what the
recipient reads is rendered from the kind's template at delivery time.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone


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
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"
        GAVE_UP = "gave_up", "Gave up"
        SKIPPED = "skipped", "Skipped"

    notification = models.ForeignKey(Notification, on_delete=models.CASCADE,
                                     related_name="delivery_attempts")
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=10, choices=Outcome.choices)
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
