"""Reads of the devices that receive Web Push."""

from __future__ import annotations

from typing import Any

from django.conf import settings

from practice.notifications.models import PushSubscription
from tenants.accounts.models import User


def push_subscription_list(user: User) -> list[PushSubscription]:
    """The person's own devices, oldest first (never the endpoint or keys to a page)."""
    return list(PushSubscription.objects.filter(user=user)
                .only("pk", "user_id", "device_label", "created_at", "last_success_at",
                      "last_failure_at")
                .order_by("created_at", "pk"))


def push_panel_context(user: User) -> dict[str, Any]:
    """What the "Notifications on this device" panel needs (notifications/_push_panel.html)."""
    return {"push_devices": push_subscription_list(user),
            "push_public_key": settings.WEBPUSH_VAPID_PUBLIC_KEY}


def push_devices_of(user_ids: list[int]) -> dict[int, list[PushSubscription]]:
    """Each person's devices (endpoint and keys, to send to), by user id, in one query: a
    delivery group reads its recipients' devices once rather than once per push."""
    devices: dict[int, list[PushSubscription]] = {user_id: [] for user_id in user_ids}
    if user_ids:
        for subscription in PushSubscription.objects.filter(
                user_id__in=sorted(set(user_ids))).order_by("created_at", "pk"):
            devices[subscription.user_id].append(subscription)
    return devices
