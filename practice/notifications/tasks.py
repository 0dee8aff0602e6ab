"""The notification pipeline's actors, each running inside the practice schema its message
carries: the dispatcher hands due outbox rows out, a delivery message per chunk of rows; the
delivery actor claims its rows in small groups (one transaction each), sends them over the
thread's reused mail connection or push session (practice/notifications/connections.py) and
records each group's outcomes in one transaction.

The dispatcher runs when an event commits a notification due now (`wake_dispatcher`), after a
failed attempt's backoff (a delayed message), and every 30 seconds from the scheduler (the safety
net for wake-ups lost while Redis was down, and for notifications that waited for a time)."""

from __future__ import annotations

import logging
import math
import smtplib
import threading
import time
from datetime import timedelta

import dramatiq
from django.core.cache import cache
from django.db import DatabaseError
from django.utils import timezone

from branding.values import Branding
from practice.notifications import delivery, services, webpush
from practice.notifications.models import Notification, PushSubscription
from practice.notifications.push_selectors import push_devices_of
from tenants.db import connection

logger = logging.getLogger(__name__)

QUEUE = "notifications"
# Rows handed out per dispatcher run; a full batch chains another run at once. With SPREAD
# messages a run, a full batch makes chunks of CHUNK: every claim and record is a few statements
# whatever its size, so fuller groups cost less per email.
BATCH = 800
# A delivery message carries at most CHUNK ids; a small hand-out is spread over SPREAD messages
# so that several worker threads share it.
CHUNK = 100
SPREAD = 8
# At most this many notifications claimed (and recorded) in one transaction.
GROUP = 100
_thread = threading.local()
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


def chunks(ids: list[int]) -> list[list[int]]:
    """The handed-out ids as delivery messages: spread over `SPREAD` messages (so several
    worker threads share a small batch), each of at most `CHUNK` ids."""
    size = max(1, min(CHUNK, math.ceil(len(ids) / SPREAD)))
    return [ids[start:start + size] for start in range(0, len(ids), size)]


@dramatiq.actor(actor_name="notifications_dispatch", queue_name=QUEUE, max_retries=0)
def notifications_dispatch() -> None:
    cache.delete(WAKE_KEY)
    ids = services.notifications_hand_out(now=timezone.now(), limit=BATCH)
    for chunk in chunks(ids):
        notification_deliver.send(*chunk)
    if len(ids) == BATCH:
        notifications_dispatch.send()
    if ids:
        logger.info("handed out %d notifications", len(ids))


@dramatiq.actor(actor_name="notification_deliver", queue_name=QUEUE, max_retries=0)
def notification_deliver(*notification_ids: int) -> None:
    """Deliver handed-out notifications (one message carries a chunk of ids) in groups:
    claim a group in one transaction (committed before anything is sent), send each over this
    thread's reused connection, record the group's outcomes in one transaction. A thread's
    first group is one notification; groups grow while sending stays well inside the lease;
    if a group ever takes half the lease, what is left of it is given back unsent and claimed
    again, so a claim is never older than the lease while its email is still to be sent."""
    pending = list(notification_ids)
    budget = services.lease().total_seconds() / 2
    # Where this thread's last message left off (one, the first time).
    size = getattr(_thread, "group", 1)
    branding = None
    retry_at = None
    while pending:
        group, pending = pending[:size], pending[size:]
        claims = services.notifications_claim(notification_ids=group, now=timezone.now())
        if not claims:
            size = min(GROUP, size * 2)
            continue
        if branding is None:
            branding = delivery.branding_of(connection.schema_name)
        # The group's recipients' push devices, read once, not once per push (a device moved
        # to another person while the group is sent may still get its pushes, whose
        # wording names no one; one turned off answers 410 and is skipped).
        devices = push_devices_of([claim.notification.recipient_id for claim in claims
                                   if claim.notification.channel == Notification.Channel.PUSH])
        started = time.monotonic()
        results: list[tuple[services.Claim, services.Outcome]] = []
        for claim in claims:
            if results and time.monotonic() - started > budget:
                break
            results.append((claim, _send(claim, branding, devices)))
        released = claims[len(results):]
        elapsed = time.monotonic() - started
        notifications = services.notifications_record(results=results, released=released,
                                                       now=timezone.now())
        _record_devices(results)
        pending = [claim.notification.pk for claim in released] + pending
        # Grow while a group takes under a quarter of the lease.
        per_send = elapsed / len(results)
        fits = int(budget / 2 / per_send) if per_send > 0 else GROUP
        size = max(1, min(GROUP, size * 2, fits))
        _thread.group = size
        for notification in notifications:
            if notification.status == Notification.Status.FAILED and notification.next_attempt_at:
                retry_at = (notification.next_attempt_at if retry_at is None
                            else min(retry_at, notification.next_attempt_at))
    if retry_at is not None:
        # Come back when the backoff is over (the periodic run would too, a little later).
        wait = max(timedelta(0), retry_at - timezone.now())
        try:
            notifications_dispatch.send_with_options(
                delay=int(wait.total_seconds() * 1000) + 100)
        except Exception as error:  # noqa: BLE001 - the periodic run retries it anyway
            logger.warning("could not schedule a retry: %s", type(error).__name__)


def _record_devices(results: list[tuple[services.Claim, services.Outcome]]) -> None:
    """The last success of the devices the group's pushes reached, after the outcomes have
    committed and in a statement of its own: bookkeeping, holding no lock while the group's
    rows are recorded, and never a reason to leave the rest of the message undelivered."""
    try:
        webpush.record_successes([device for _, outcome in results
                                  for device in outcome.devices])
    except DatabaseError as error:
        logger.warning("could not record the push devices' success: %s", type(error).__name__)


def _send(claim: services.Claim, branding: Branding | None = None,
          devices: dict[int, list[PushSubscription]] | None = None) -> services.Outcome:
    """Deliver on the claim's channel; every failure becomes an outcome, never an exception
    (the attempt must be recorded). Errors are named by class and code only: no PHI."""
    try:
        reached = delivery.deliver(claim.notification, claim.kind,
                                   schema_name=connection.schema_name, branding=branding,
                                   devices=devices)
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
    return services.Outcome(sent=True, devices=tuple(reached))
