"""Sending one claimed notification on its channel, in the practice's name and look.

What leaves is rendered here from the kind's fixed wording and the practice's branding; the
outbox row holds ids only. The Message-ID of an email and the tag and topic of a push are derived
from the notification's idempotency key, so a resend after a crash is the same message to the
recipient's mail system and the same notification on their device."""

from __future__ import annotations

import hashlib
from typing import Any
from urllib.parse import urlsplit

from django.utils import translation
from django.utils.translation import gettext

from branding.selectors import branding_for
from branding.values import Branding
from config.emails import send_branded_email
from practice.notifications.connections import send_mail_reusing
from practice.notifications.kinds import NotificationKind
from practice.notifications.models import Notification, PushSubscription
from practice.notifications.push_selectors import push_devices_of
from tenants.models import Practice


class NoDevice(Exception):
    """A push notification whose recipient has no device (left) to receive it."""


class PermanentFailure(Exception):
    """Retrying cannot help (an unknown channel, a payload too large); the text is PHI-free."""


def _digest(notification: Notification, schema_name: str) -> str:
    # The key is unique within one practice's schema; the schema makes it unique everywhere.
    seed = f"{schema_name}|{notification.idempotency_key}".encode()
    return hashlib.sha256(seed).hexdigest()


def message_id(notification: Notification, *, schema_name: str, branding: Branding) -> str:
    host = urlsplit(branding.base_url).hostname or "localhost"
    return f"<n{_digest(notification, schema_name)[:40]}@{host}>"


def push_tag(notification: Notification, *, schema_name: str) -> str:
    return f"n{_digest(notification, schema_name)[:24]}"


def push_topic(notification: Notification, *, schema_name: str) -> str:
    # At most 32 characters of the URL-safe base64 alphabet (RFC 8030): hex digits are.
    return _digest(notification, schema_name)[:32]


def link_path(notification: Notification, kind: NotificationKind) -> str:
    path = kind.link(notification.context) if kind.link else "/"
    return path if path.startswith("/") else "/"


def _language(notification: Notification) -> str:
    recipient = notification.recipient
    # A client's portal settings, or a family member's own (practice.family's ProxyAccount).
    access = (getattr(recipient, "portal_access", None)
              or getattr(recipient, "proxy_account", None))
    return getattr(access, "language", "") or "en"


def branding_of(schema_name: str) -> Branding:
    """The practice's look and sender, read once for a batch of deliveries."""
    return branding_for(Practice.objects.get(schema_name=schema_name))


def deliver(notification: Notification, kind: NotificationKind, *, schema_name: str,
            branding: Branding | None = None,
            devices: dict[int, list[PushSubscription]] | None = None) -> list[int]:
    """Send the notification once on its channel; raises on failure (see tasks._send). Email
    goes over this thread's reused mail connection, push over its reused HTTP session. Returns
    the push devices that accepted it, whose success is the caller's to record
    (`webpush.record_successes`); none for an email. `devices`: the group's recipients' push
    devices by user id (`push_devices_of`), else this recipient's are read here."""
    if branding is None:
        branding = branding_of(schema_name)
    with translation.override(_language(notification)):
        if notification.channel == Notification.Channel.EMAIL:
            _send_email(notification, kind, branding, schema_name)
            return []
        if notification.channel == Notification.Channel.PUSH:
            if devices is None:
                devices = push_devices_of([notification.recipient_id])
            return _send_push(notification, kind, branding, schema_name,
                              devices.setdefault(notification.recipient_id, []))
        raise PermanentFailure(f"Unknown channel {notification.channel!r}.")


def _send_email(notification: Notification, kind: NotificationKind, branding: Branding,
                schema_name: str) -> None:
    subject = gettext(kind.subject)
    context: dict[str, Any] = {
        **notification.context,
        "subject": subject,
        "link": f"{branding.base_url}{link_path(notification, kind)}",
    }
    headers = {"Message-ID": message_id(notification, schema_name=schema_name,
                                        branding=branding)}
    send_mail_reusing(lambda connection: send_branded_email(
        branding=branding, to=notification.recipient.email, subject=subject,
        template=kind.email_template, context=context, headers=headers,
        connection=connection))


def _send_push(notification: Notification, kind: NotificationKind, branding: Branding,
               schema_name: str, subscriptions: list[PushSubscription]) -> list[int]:
    """To every device of the recipient (`subscriptions`, read for the delivery group). A
    device that is gone is not a failure (webpush deletes it, and it is taken out of the list,
    so the group's later pushes skip it); if no device is left, NoDevice. A failure on any
    device is retried, on all of them: the same tag and topic make a second copy replace the
    first, not add to it. Returns the devices that accepted it."""
    from practice.notifications import webpush

    if not subscriptions:
        raise NoDevice
    payload = {
        "title": gettext(kind.subject),
        "body": gettext(kind.push_body),
        "url": link_path(notification, kind),
        "tag": push_tag(notification, schema_name=schema_name),
    }
    topic = push_topic(notification, schema_name=schema_name)
    urgency = "normal" if kind.respects_quiet_hours else "high"
    delivered: list[int] = []
    failures: list[webpush.PushDeliveryError] = []
    for subscription in list(subscriptions):
        try:
            webpush.push_unrecorded(subscription, payload=payload, ttl=kind.push_ttl,
                                    topic=topic, urgency=urgency)
        except webpush.SubscriptionGone:
            subscriptions.remove(subscription)
        except webpush.PayloadTooLarge as error:
            raise PermanentFailure("The push payload is too large.") from error
        except webpush.PushDeliveryError as error:
            failures.append(error)
        else:
            delivered.append(subscription.pk)
    if failures:
        raise failures[0]
    if not delivered:
        raise NoDevice
    return delivered
