"""The notification pipeline's actors, each running inside the practice schema its message
carries: the dispatcher hands due outbox rows out, one delivery message per row; the delivery
actor claims its row, sends it and records the outcome.

The dispatcher runs when an event commits a notification due now (`wake_dispatcher`), after a
failed attempt's backoff (a delayed message), and every 30 seconds from the scheduler (the safety
net for wake-ups lost while Redis was down, and for notifications that waited for a time)."""

from __future__ import annotations

import logging
import smtplib
from datetime import timedelta

import dramatiq
from django.core.cache import cache
from django.db import connection
from django.utils import timezone

from practice.notifications import delivery, services
from practice.notifications.models import Notification

logger = logging.getLogger(__name__)

QUEUE = "notifications"
# Rows handed out per dispatcher run; a full batch chains another run at once.
BATCH = 200
# While set, a dispatcher run is already on its way: wake-ups in between add no message. The
# dispatcher clears it before it looks, so a row committed after that wakes it again.
WAKE_KEY = "notifications:dispatch-pending"
WAKE_SECONDS = 30


def wake_dispatcher() -> None:
    """Ask for a dispatcher run in the current practice soon (at most one waiting at a time).
    Never raises: with Redis down the periodic run picks the rows up later."""
    try:
        if not cache.add(WAKE_KEY, 1, WAKE_SECONDS):
            return
    except Exception as error:  # noqa: BLE001 - the event has committed; delivery catches up
        logger.warning("could not wake the notification dispatcher: %s", type(error).__name__)
        return
    try:
        notifications_dispatch.send()
    except Exception as error:  # noqa: BLE001
        logger.warning("could not wake the notification dispatcher: %s", type(error).__name__)
        try:
            cache.delete(WAKE_KEY)  # else wake-ups stay suppressed until the key expires
        except Exception:  # noqa: BLE001, S110 - Redis is down: the key is gone with it
            pass


@dramatiq.actor(actor_name="notifications_dispatch", queue_name=QUEUE, max_retries=0)
def notifications_dispatch() -> None:
    cache.delete(WAKE_KEY)
    ids = services.notifications_hand_out(now=timezone.now(), limit=BATCH)
    for notification_id in ids:
        notification_deliver.send(notification_id)
    if len(ids) == BATCH:
        notifications_dispatch.send()
    if ids:
        logger.info("handed out %d notifications", len(ids))


@dramatiq.actor(actor_name="notification_deliver", queue_name=QUEUE, max_retries=0)
def notification_deliver(notification_id: int) -> None:
    claim = services.notification_claim(notification_id=notification_id, now=timezone.now())
    if claim is None:
        return
    outcome = _send(claim)
    notification = services.notification_record(claim=claim, outcome=outcome,
                                                now=timezone.now())
    if notification.status == Notification.Status.FAILED and notification.next_attempt_at:
        # Come back when the backoff is over (the periodic run would too, a little later).
        wait = max(timedelta(0), notification.next_attempt_at - timezone.now())
        try:
            notifications_dispatch.send_with_options(
                delay=int(wait.total_seconds() * 1000) + 100)
        except Exception as error:  # noqa: BLE001 - the periodic run retries it anyway
            logger.warning("could not schedule a retry: %s", type(error).__name__)


def _send(claim: services.Claim) -> services.Outcome:
    """Deliver on the claim's channel; every failure becomes an outcome, never an exception
    (the attempt must be recorded). Errors are named by class and code only: no PHI."""
    try:
        delivery.deliver(claim.notification, claim.kind, schema_name=connection.schema_name)
    except delivery.NoDevice:
        return services.Outcome(sent=False, nowhere=True, error="No device to send to.")
    except delivery.PermanentFailure as error:
        return services.Outcome(sent=False, retryable=False, error=str(error))
    except smtplib.SMTPResponseException as error:
        return services.Outcome(sent=False, retryable=error.smtp_code < 500,
                                error=f"{type(error).__name__} {error.smtp_code}")
    except smtplib.SMTPRecipientsRefused as error:
        codes = [code for code, _ in error.recipients.values()]
        return services.Outcome(sent=False, retryable=all(code < 500 for code in codes),
                                error=f"{type(error).__name__} {','.join(map(str, codes))}")
    except Exception as error:  # noqa: BLE001 - a network failure of any kind: retry later
        logger.warning("notification %s attempt failed: %s", claim.notification.pk,
                       type(error).__name__)
        return services.Outcome(sent=False, error=type(error).__name__)
    return services.Outcome(sent=True)
