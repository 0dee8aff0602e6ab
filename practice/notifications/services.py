"""Writes of the notification outbox."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from practice.notifications import kinds
from practice.notifications.models import Notification
from practice.notifications.selectors import channels_for
from tenants.accounts.models import User


@transaction.atomic
def notification_enqueue(
    *,
    recipient: User,
    kind: str,
    idempotency_key: str,
    context: dict[str, Any] | None = None,
    not_before: datetime | None = None,
    channels: Sequence[str] | None = None,
) -> list[Notification]:
    """Write the notification to the outbox, in the caller's transaction: one row per channel
    the recipient accepts for this kind (or per `channels` given, still filtered by the
    recipient's preferences). The same idempotency key twice writes nothing more. Returns the
    rows created now."""
    registered = kinds.get(kind)
    allowed = channels_for(recipient, registered)
    if channels is not None:
        allowed = [channel for channel in allowed if channel in channels]
    when = not_before or timezone.now()
    rows = [
        Notification(
            recipient=recipient,
            kind=kind,
            channel=channel,
            idempotency_key=f"{idempotency_key}:{channel}",
            context=context or {},
            not_before=when,
        )
        for channel in allowed
    ]
    if not rows:
        return []
    existing = set(
        Notification.objects.filter(
            idempotency_key__in=[row.idempotency_key for row in rows]
        ).values_list("idempotency_key", flat=True)
    )
    fresh = [row for row in rows if row.idempotency_key not in existing]
    Notification.objects.bulk_create(fresh, ignore_conflicts=True)
    return fresh
