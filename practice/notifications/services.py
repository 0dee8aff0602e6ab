"""Writes of the notification pipeline: the outbox, the hand-out to workers, the claim before a
delivery and the record after it, and the settings that govern them.

How a crash loses nothing and sends nothing twice:

1. `notification_enqueue` writes the outbox row in the transaction of the event. No event
   without its row, no row without its event; the idempotency key is unique, so an event that is
   retried writes no second row.
2. `notifications_hand_out` marks due rows as handed out (`dispatched_at`) with SELECT ... FOR
   UPDATE SKIP LOCKED, so two dispatchers never hand out one row; a row whose message was lost
   (Redis down, worker killed) is handed out again once its lease has passed.
3. `notification_claim` locks the row, returns nothing if it is already sent, skipped or being
   sent by another worker, and otherwise commits an attempt in the state "sending" *before* the
   email or push leaves. After the send, `notification_record` commits the outcome.
4. The only window left is between the mail server's "250 accepted" and that commit: a worker
   killed there leaves an attempt "sending". The next claim (after the lease) marks it
   "interrupted" and sends again with the same Message-ID, derived from the idempotency key, so
   the recipient's mail system files the two as one message (and a push carries the same tag
   and topic, so the device replaces rather than adds). Exactly once as the recipient sees it;
   at most one extra copy on the wire, and only after a crash in that window.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django_tenants.utils import schema_context

from practice.access import Capability, holds
from practice.notifications import kinds
from practice.notifications.models import (
    DeliveryAttempt,
    Notification,
    NotificationPreference,
    NotificationSettings,
    default_staff_channels,
)
from practice.notifications.policies import RetryPolicy, zone
from practice.notifications.selectors import (
    channels_for,
    due_notifications,
    has_push_device,
    recipient_clock,
)
from tenants.accounts.models import Role, User
from tenants.actor import Actor
from tenants.audit.actions import Action
from tenants.audit.services import RequestMeta, audit_record
from tenants.db import connection

logger = logging.getLogger(__name__)

FINAL_STATUSES = frozenset({
    Notification.Status.SENT, Notification.Status.SKIPPED, Notification.Status.GAVE_UP,
})


def lease() -> timedelta:
    return timedelta(seconds=settings.NOTIFICATION_LEASE_SECONDS)


def retry_policy() -> RetryPolicy:
    return RetryPolicy(
        max_attempts=settings.NOTIFICATION_MAX_ATTEMPTS,
        base=timedelta(seconds=settings.NOTIFICATION_RETRY_BASE_SECONDS),
        cap=timedelta(seconds=settings.NOTIFICATION_RETRY_CAP_SECONDS),
    )


# --- the outbox ---------------------------------------------------------------------------------

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
    recipient's preferences; push only if they have a device). The same idempotency key twice
    writes nothing more. A kind that respects quiet hours waits for their end in the recipient's
    timezone. Returns the rows created now; once the caller's transaction commits, the
    dispatcher is woken for those due at once."""
    registered = kinds.get(kind)
    allowed = channels_for(recipient, registered)
    if channels is not None:
        allowed = [channel for channel in allowed if channel in channels]
    if "push" in allowed and not has_push_device(recipient):
        allowed.remove("push")
    if not allowed:
        return []
    now = timezone.now()
    when = not_before or now
    if registered.respects_quiet_hours:
        clock = recipient_clock(recipient)
        when = clock.quiet_hours.next_allowed(when, clock.timezone)
    rows = [
        Notification(
            recipient=recipient,
            kind=kind,
            channel=channel,
            idempotency_key=f"{idempotency_key}:{channel}",
            context=context or {},
            not_before=when,
            created_at=now,
        )
        for channel in allowed
    ]
    existing = set(
        Notification.objects.filter(
            idempotency_key__in=[row.idempotency_key for row in rows]
        ).values_list("idempotency_key", flat=True)
    )
    fresh = [row for row in rows if row.idempotency_key not in existing]
    Notification.objects.bulk_create(fresh, ignore_conflicts=True)
    if fresh and when <= now:
        schema_name = connection.schema_name
        transaction.on_commit(lambda: _wake_dispatcher(schema_name), robust=True)
    return fresh


def _wake_dispatcher(schema_name: str) -> None:
    """Wake the dispatcher of the practice the rows were written in, whatever schema the
    connection is in when the transaction commits (a tenant message needs its practice)."""
    from practice.notifications.tasks import wake_dispatcher

    with schema_context(schema_name):
        wake_dispatcher()


# --- handing out, claiming, recording ----------------------------------------------------------

@transaction.atomic
def notifications_hand_out(*, now: datetime, limit: int) -> list[int]:
    """Mark up to `limit` due rows as handed out and return their ids (the caller sends one
    message per id once this has committed). Rows another dispatcher is handing out are
    skipped, not waited for."""
    ids = list(
        due_notifications(now, now - lease())
        .select_for_update(skip_locked=True)
        .values_list("id", flat=True)[:limit]
    )
    if ids:
        Notification.objects.filter(pk__in=ids).update(dispatched_at=now)
    return ids


@dataclass(frozen=True)
class Claim:
    notification: Notification
    attempt: DeliveryAttempt
    kind: kinds.NotificationKind


def _is_due(notification: Notification, now: datetime) -> bool:
    if notification.status == Notification.Status.FAILED:
        return notification.next_attempt_at is None or notification.next_attempt_at <= now
    return notification.not_before <= now


def notification_claim(*, notification_id: int, now: datetime) -> Claim | None:
    """Take a due notification for one delivery attempt, committed before anything is sent.
    None when there is nothing to send now: already sent, skipped or given up; not due yet (a
    message that arrived early); being sent by another worker; no longer needed or no longer
    wanted (then recorded as skipped); or out of attempts (recorded as given up)."""
    claims = notifications_claim(notification_ids=[notification_id], now=now)
    return claims[0] if claims else None


@transaction.atomic
def notifications_claim(*, notification_ids: Sequence[int], now: datetime) -> list[Claim]:
    """`notification_claim` for several notifications in one transaction (a worker's batch):
    the same decisions row by row, read and written in a few statements. Rows another worker
    holds are skipped, not waited for. Returns the claims in id order."""
    # Locks the notifications only (of=self): another worker claiming another notification
    # for the same recipient holds the recipient's row no more than this one does. The
    # recipient comes with both rows that may hold their language (a client's portal access, a
    # family member's proxy account, practice.family): the delivery reads it for every email,
    # and a query per email there cost a fifth of the worker's time.
    rows = list(
        Notification.objects.select_for_update(skip_locked=True, of=("self",))
        .select_related("recipient", "recipient__portal_access", "recipient__proxy_account")
        .filter(pk__in=list(notification_ids)).order_by("id")
    )
    rows = [row for row in rows
            if row.status not in FINAL_STATUSES and _is_due(row, now)]
    if not rows:
        return []
    open_attempts: dict[int, DeliveryAttempt] = {}
    for attempt in DeliveryAttempt.objects.filter(
            notification_id__in=[row.pk for row in rows],
            outcome=DeliveryAttempt.Outcome.SENDING).order_by("-started_at"):
        open_attempts.setdefault(attempt.notification_id, attempt)
    interrupted: list[DeliveryAttempt] = []
    taken: list[tuple[Notification, kinds.NotificationKind]] = []
    channels: dict[tuple[int, str], list[str]] = {}
    for notification in rows:
        open_attempt = open_attempts.get(notification.pk)
        if open_attempt is not None:
            if open_attempt.started_at > now - lease():
                continue  # another worker is sending it right now
            open_attempt.outcome = DeliveryAttempt.Outcome.INTERRUPTED
            open_attempt.finished_at = now
            open_attempt.detail = "The worker stopped before recording the outcome."
            interrupted.append(open_attempt)
        try:
            kind = kinds.get(notification.kind)
        except KeyError:
            _finish(notification, now, Notification.Status.GAVE_UP, "Unknown notification kind.")
            continue
        reason = _reason_to_skip(notification, kind, now, channels)
        if reason:
            _finish(notification, now, Notification.Status.SKIPPED, reason)
            continue
        if retry_policy().gives_up_after(notification.attempts):
            _finish(notification, now, Notification.Status.GAVE_UP,
                    f"Gave up after {notification.attempts} attempts.")
            continue
        notification.attempts += 1
        # Renews the lease: the dispatcher hands the row out again only once this attempt is
        # older than the lease, and then the next claim knows it was interrupted.
        notification.dispatched_at = now
        taken.append((notification, kind))
    if interrupted:
        DeliveryAttempt.objects.filter(pk__in=[attempt.pk for attempt in interrupted]).update(
            outcome=DeliveryAttempt.Outcome.INTERRUPTED, finished_at=now,
            detail="The worker stopped before recording the outcome.")
    if not taken:
        return []
    # One statement for the group (bulk_update's CASE per row costs more than the send).
    Notification.objects.filter(pk__in=[row.pk for row, _ in taken]).update(
        attempts=F("attempts") + 1, dispatched_at=now)
    attempts = DeliveryAttempt.objects.bulk_create([
        DeliveryAttempt(notification=row, started_at=now, outcome=DeliveryAttempt.Outcome.SENDING)
        for row, _ in taken])
    return [Claim(row, attempt, kind) for (row, kind), attempt in zip(taken, attempts,
                                                                      strict=True)]


def _reason_to_skip(notification: Notification, kind: kinds.NotificationKind,
                    now: datetime, channels: dict[tuple[int, str], list[str]] | None = None,
                    ) -> str:
    if kind.is_still_due is not None:
        try:
            still_due = kind.is_still_due(notification)
        except Exception as error:  # noqa: BLE001 - a broken check must not block delivery
            logger.warning("is_still_due of %s failed (%s): sending anyway", kind.key,
                           type(error).__name__)
            still_due = True
        if not still_due:
            return "No longer needed."
    if not notification.recipient.is_active:
        return "The recipient's account is closed."
    # One read of a recipient's preferences per kind and batch.
    key = (notification.recipient_id, kind.preference)
    if channels is None or key not in channels:
        accepted = channels_for(notification.recipient, kind)
        if channels is not None:
            channels[key] = accepted
    else:
        accepted = channels[key]
    if notification.channel not in accepted:
        return "The recipient has turned this off."
    return ""


def _finish(notification: Notification, now: datetime, status: str, detail: str) -> None:
    """Close a notification without sending it (skipped or given up), with its attempt."""
    notification.status = status
    notification.last_error = detail if status == Notification.Status.GAVE_UP else ""
    notification.dispatched_at = None
    notification.save(update_fields=["status", "last_error", "dispatched_at"])
    DeliveryAttempt.objects.create(notification=notification, started_at=now, finished_at=now,
                                   outcome=status, detail=detail)


@dataclass(frozen=True)
class Outcome:
    """What a delivery attempt came to. `error` is PHI-free: an exception class and a status
    code, never a message text (a mail server's answer can quote the address)."""

    sent: bool
    error: str = ""
    retryable: bool = True
    # Nothing to deliver to (every push device is gone): skipped, not failed.
    nowhere: bool = False
    # The push devices that accepted it (their last success is recorded after the group's).
    devices: tuple[int, ...] = ()


def notification_record(*, claim: Claim, outcome: Outcome, now: datetime) -> Notification:
    """Record what the claimed attempt came to: sent; skipped (no device left); failed and
    due again after a backoff; or given up after the last attempt or a permanent refusal."""
    return notifications_record(results=[(claim, outcome)], now=now)[0]


# What recording changes on a notification (its attempts are the claim's).
_RECORDED_FIELDS = ["status", "dispatched_at", "last_error", "sent_at", "next_attempt_at"]


@transaction.atomic
def notifications_record(*, results: Sequence[tuple[Claim, Outcome]], now: datetime,
                         released: Sequence[Claim] = ()) -> list[Notification]:
    """`notification_record` for a batch, in one transaction; returns the notifications in the
    order of `results`. `released` are claims the worker gives back unsent (it ran short of
    its lease): their attempt is removed and the attempt not counted, and the row stays handed
    out to this worker, which claims it again next."""
    ids = sorted({claim.notification.pk for claim, _ in results}
                 | {claim.notification.pk for claim in released})
    # Locked in id order, as claims lock them. Recording writes only the outcome's fields and
    # reads only the attempt count (whether this was the last attempt), so only that is read
    # again: the claim's rows (recipient and all) are already here, and loading every row whole
    # a second time cost a tenth of the worker's time.
    attempts_now = dict(Notification.objects.select_for_update().filter(pk__in=ids)
                        .order_by("id").values_list("pk", "attempts"))
    fresh = {}
    for claim in [claim for claim, _ in results] + list(released):
        claim.notification.attempts = attempts_now[claim.notification.pk]
        fresh[claim.notification.pk] = claim.notification
    recorded: list[Notification] = []
    attempts: list[DeliveryAttempt] = []
    for claim, outcome in results:
        notification = fresh[claim.notification.pk]
        attempt = claim.attempt
        _apply(notification, attempt, outcome, now)
        recorded.append(notification)
        attempts.append(attempt)
    if released:
        DeliveryAttempt.objects.filter(pk__in=[claim.attempt.pk for claim in released],
                                       outcome=DeliveryAttempt.Outcome.SENDING).delete()
        Notification.objects.filter(pk__in=[claim.notification.pk for claim in released],
                                    attempts__gt=0).update(attempts=F("attempts") - 1)
        for claim in released:
            notification = fresh[claim.notification.pk]
            notification.attempts = max(0, notification.attempts - 1)
    # One UPDATE per distinct set of values (all the sent ones share theirs) rather than
    # bulk_update's CASE per row, which costs more to build than the send itself.
    _update_grouped(DeliveryAttempt, attempts, ["finished_at", "detail", "outcome"])
    _update_grouped(Notification, recorded, _RECORDED_FIELDS)
    return recorded


def _update_grouped(model: Any, rows: Sequence[Any], fields: list[str]) -> None:
    groups: dict[tuple[Any, ...], list[int]] = {}
    for row in rows:
        groups.setdefault(tuple(getattr(row, name) for name in fields), []).append(row.pk)
    for values, ids in groups.items():
        model.objects.filter(pk__in=ids).update(**dict(zip(fields, values, strict=True)))


def _apply(notification: Notification, attempt: DeliveryAttempt, outcome: Outcome,
           now: datetime) -> None:
    attempt.finished_at = now
    attempt.detail = outcome.error[:300]
    notification.dispatched_at = None
    if outcome.sent:
        attempt.outcome = DeliveryAttempt.Outcome.SENT
        notification.status = Notification.Status.SENT
        notification.sent_at = now
        notification.last_error = ""
    elif outcome.nowhere:
        attempt.outcome = DeliveryAttempt.Outcome.SKIPPED
        notification.status = Notification.Status.SKIPPED
        notification.last_error = ""
    elif not outcome.retryable or retry_policy().gives_up_after(notification.attempts):
        attempt.outcome = DeliveryAttempt.Outcome.GAVE_UP
        notification.status = Notification.Status.GAVE_UP
        notification.last_error = outcome.error[:300]
    else:
        attempt.outcome = DeliveryAttempt.Outcome.FAILED
        notification.status = Notification.Status.FAILED
        notification.last_error = outcome.error[:300]
        notification.next_attempt_at = now + retry_policy().delay(notification.attempts)


# --- settings -----------------------------------------------------------------------------------

class NotificationSettingsError(ValueError):
    pass


@dataclass(frozen=True)
class QuietHoursChoice:
    enabled: bool
    start: time
    end: time
    default_timezone: str


def _check_timezone(name: str) -> None:
    if name and zone(name).key != name:
        raise NotificationSettingsError("Choose a timezone from the list.")


@transaction.atomic
def notification_settings_update(*, values: QuietHoursChoice, actor: Actor) -> NotificationSettings:
    """The owner sets the practice's quiet hours and the default timezone for staff."""
    if not holds(actor.person, Capability.MANAGE_PRACTICE):
        raise PermissionError("Only the practice owner changes notification settings.")
    _check_timezone(values.default_timezone)
    if values.enabled and values.start == values.end:
        raise NotificationSettingsError("Quiet hours must start and end at different times.")
    row, _ = NotificationSettings.objects.select_for_update().get_or_create(singleton=True)
    row.quiet_hours_enabled = values.enabled
    row.quiet_hours_start = values.start
    row.quiet_hours_end = values.end
    row.default_timezone = values.default_timezone
    row.save()
    audit_record(action=Action.NOTIFICATIONS_SETTINGS_UPDATE, actor=actor,
                 object_type="notification_settings", object_id=row.pk,
                 detail={"quiet_hours_enabled": values.enabled,
                         "quiet_hours_start": values.start.isoformat(timespec="minutes"),
                         "quiet_hours_end": values.end.isoformat(timespec="minutes"),
                         "default_timezone": values.default_timezone})
    return row


@dataclass(frozen=True)
class PersonalChoice:
    """A person's own notification settings. `channels` is only for staff (clients choose
    theirs in their portal settings); quiet hours both None mean the practice's."""

    channels: dict[str, dict[str, bool]] | None
    timezone: str
    quiet_hours_start: time | None
    quiet_hours_end: time | None


@transaction.atomic
def notification_preference_update(*, user: User, values: PersonalChoice,
                                   meta: RequestMeta | None = None) -> NotificationPreference:
    """A person changes their own notification settings."""
    if (values.quiet_hours_start is None) != (values.quiet_hours_end is None):
        raise NotificationSettingsError("Give both a start and an end, or neither.")
    if values.quiet_hours_start is not None and values.quiet_hours_start == values.quiet_hours_end:
        raise NotificationSettingsError("Quiet hours must start and end at different times.")
    _check_timezone(values.timezone)
    row, _ = NotificationPreference.objects.select_for_update().get_or_create(user=user)
    if values.channels is not None and user.role != Role.CLIENT:
        channels = default_staff_channels()
        for channel, choices in channels.items():
            for key in choices:
                choices[key] = bool((values.channels.get(channel) or {}).get(key, False))
        row.channels = channels
    if user.role != Role.CLIENT:
        row.timezone = values.timezone
    row.quiet_hours_start = values.quiet_hours_start
    row.quiet_hours_end = values.quiet_hours_end
    row.save()
    audit_record(action=Action.NOTIFICATIONS_PREFERENCE_UPDATE, actor=user,
                 object_type="notification_preference", object_id=row.pk, meta=meta,
                 detail={"channels": row.channels, "own_quiet_hours":
                         values.quiet_hours_start is not None})
    return row
