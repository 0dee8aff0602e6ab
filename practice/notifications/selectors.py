"""Reads for the notification pipeline."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tenants.accounts.models import Role, User

if TYPE_CHECKING:
    from practice.notifications.kinds import NotificationKind

CHANNELS = ("email", "push")


def channels_for(recipient: User, kind: NotificationKind) -> list[str]:
    """The channels on which `recipient` accepts notifications of `kind`, from their own
    preferences (a client's portal settings; a staff member's notification settings)."""
    if not recipient.is_active:
        return []
    if recipient.role == Role.CLIENT:
        access = getattr(recipient, "portal_access", None)
        if access is None or access.revoked_at is not None:
            return []
        preferences = access.notifications or {}
        return [
            channel for channel in CHANNELS
            if preferences.get(channel, {}).get(kind.preference, True)
        ]
    # Staff: email for everything until staff preferences exist.
    return ["email"]
