"""Reads for the notification pipeline: whom a notification may reach, on which channels and
when; the practice's rules; the owner's delivery log."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING

from django.db.models import Count, Q, QuerySet
from django.utils import timezone as django_timezone

from portal.models import ClientAccess
from practice.models import ClientProfile
from practice.notifications.models import (
    CHANNELS,
    Notification,
    NotificationPreference,
    NotificationSettings,
    PushSubscription,
)
from practice.notifications.policies import NO_QUIET_HOURS, QuietHours, zone
from tenants.accounts.models import Role, User

if TYPE_CHECKING:
    from practice.notifications.kinds import NotificationKind


def notification_settings() -> NotificationSettings:
    """The practice's notification rules (defaults until the owner saves them)."""
    row = NotificationSettings.objects.filter(singleton=True).first()
    return row if row is not None else NotificationSettings()


def preference_for(user: User) -> NotificationPreference | None:
    return NotificationPreference.objects.filter(user=user).first()


def channels_for(recipient: User, kind: NotificationKind) -> list[str]:
    """The channels on which `recipient` accepts notifications of `kind`, from their own
    preferences (a client's portal settings; a staff member's notification settings). A kind
    whose preference is not among the choices offered (a test push) is accepted."""
    if not recipient.is_active:
        return []
    if recipient.role == Role.CLIENT:
        # Read afresh: the caller's user object may carry settings from before a change.
        access = ClientAccess.objects.filter(user=recipient).only(
            "revoked_at", "notifications").first()
        if access is None or access.revoked_at is not None:
            return []
        preferences = access.notifications or {}
    elif recipient.role == Role.PROXY:
        # A family member: by email only, while their own settings want email notices
        # (practice.family.models.ProxyAccount, read by its related name).
        wants = User.objects.filter(pk=recipient.pk,
                                    proxy_account__email_notifications=True).exists()
        return ["email"] if wants else []
    else:
        preference = preference_for(recipient)
        preferences = preference.channels if preference is not None else {}
    return [
        channel for channel in CHANNELS
        if (preferences.get(channel) or {}).get(kind.preference, True)
    ]


def has_push_device(user: User) -> bool:
    return PushSubscription.objects.filter(user=user).exists()


@dataclass(frozen=True)
class RecipientClock:
    """Where and when it is quiet for one recipient."""

    timezone: str
    quiet_hours: QuietHours


def recipient_clock(recipient: User) -> RecipientClock:
    """The recipient's timezone (a client's profile; a staff member's own choice, else the
    practice default) and quiet hours (their own, else the practice's, if it keeps any)."""
    rules = notification_settings()
    preference = preference_for(recipient)
    if recipient.role == Role.CLIENT:
        profile = ClientProfile.objects.filter(user=recipient).only("timezone").first()
        timezone = profile.timezone if profile else rules.default_timezone
    else:
        timezone = (preference.timezone if preference else "") or rules.default_timezone
    if preference is not None and preference.quiet_hours_start is not None:
        assert preference.quiet_hours_end is not None
        quiet = QuietHours(preference.quiet_hours_start, preference.quiet_hours_end)
    elif rules.quiet_hours_enabled:
        quiet = QuietHours(rules.quiet_hours_start, rules.quiet_hours_end)
    else:
        quiet = NO_QUIET_HOURS
    return RecipientClock(timezone, quiet)


def local_today(user: User, now: datetime | None = None) -> date:
    """The date it is for `user` (their timezone, as `recipient_clock` finds it): "today" for a
    staff member in Auckland is a day ahead of UTC's in the morning, a day behind in New York in
    the evening."""
    moment = now or django_timezone.now()
    return moment.astimezone(zone(recipient_clock(user).timezone)).date()


def due_notifications(now: datetime, lease_expired_before: datetime) -> QuerySet[Notification]:
    """Rows to hand to a worker: waiting or failed and due now, and not handed out already
    (or handed out before the lease, whose message must have been lost)."""
    is_due = (
        Q(status=Notification.Status.PENDING, not_before__lte=now)
        | Q(status=Notification.Status.FAILED, next_attempt_at__lte=now)
    )
    not_leased = Q(dispatched_at__isnull=True) | Q(dispatched_at__lt=lease_expired_before)
    return Notification.objects.filter(is_due & not_leased).order_by("not_before", "id")


# --- the owner's delivery log ------------------------------------------------------------------

LOG_STATUSES = tuple(value for value, _ in Notification.Status.choices)


def delivery_log(*, status: str | None = None, channel: str | None = None,
                 kind: str | None = None) -> QuerySet[Notification]:
    """Outbox rows, newest first, with the recipient's role (never who) and what the latest
    attempt said. No PHI: kinds, channels, counts and error classes only."""
    rows = Notification.objects.select_related("recipient").only(
        "id", "kind", "channel", "status", "attempts", "not_before", "created_at", "sent_at",
        "last_error", "recipient__role",
    ).order_by("-created_at", "-id")
    if status:
        rows = rows.filter(status=status)
    if channel:
        rows = rows.filter(channel=channel)
    if kind:
        rows = rows.filter(kind=kind)
    return rows


def delivery_counts() -> dict[str, int]:
    """How many rows are in each status."""
    counts = dict.fromkeys(LOG_STATUSES, 0)
    for row in Notification.objects.values("status").annotate(total=Count("id")):
        counts[row["status"]] = row["total"]
    return counts
