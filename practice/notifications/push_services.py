"""Writes of the devices that receive Web Push: a browser subscribing (or moving to the person now
signed in on it), a device turned off, and "send me a test notification".

A subscription's endpoint is a capability (anyone holding it can post to that browser's push
service), so it is never logged or audited; audit events carry the row id and the device label.
The server posts to endpoints browsers hand it, so only known push services are accepted
(settings.WEBPUSH_ENDPOINT_HOSTS)."""

from __future__ import annotations

import binascii
import re
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlsplit

from cryptography.hazmat.primitives.asymmetric import ec
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from config.vapid import b64url_decode
from practice.notifications import kinds
from practice.notifications.models import Notification, PushSubscription
from practice.notifications.selectors import channels_for
from practice.notifications.services import notification_enqueue
from tenants.actor import Actor
from tenants.audit.actions import Action
from tenants.audit.services import audit_record

# More than anyone has phones and browsers; a cap on what one account can make the server post to.
MAX_DEVICES = 10
LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})
TEST_INTERVAL = timedelta(minutes=1)


class PushSubscriptionRefused(Exception):
    """A subscription we will not store; the message can be shown as it is."""


@dataclass(frozen=True)
class BrowserSubscription:
    """What the browser's `PushSubscription.toJSON()` gives: endpoint and keys."""

    endpoint: str
    p256dh: str
    auth: str


def _endpoint_allowed(endpoint: str) -> bool:
    try:
        parts = urlsplit(endpoint)
        host = (parts.hostname or "").lower()
        parts.port  # noqa: B018 - raises ValueError for a malformed port
    except ValueError:
        return False
    if parts.username or parts.password or not host:
        return False
    for allowed in settings.WEBPUSH_ENDPOINT_HOSTS:
        if host == allowed or (allowed.startswith(".") and host.endswith(allowed)):
            # Plain HTTP only for a push service on this machine that settings name (tests).
            return parts.scheme == "https" or (parts.scheme == "http" and host in LOOPBACK)
    return False


def browser_subscription_parse(data: object) -> BrowserSubscription:
    """Check the shape and the keys of a subscription as the page's script posts it."""
    if not isinstance(data, dict) or not isinstance(data.get("keys"), dict):
        raise PushSubscriptionRefused(_("This browser sent an incomplete subscription."))
    endpoint, keys = data.get("endpoint"), data["keys"]
    p256dh, auth = keys.get("p256dh"), keys.get("auth")
    if not (isinstance(endpoint, str) and isinstance(p256dh, str) and isinstance(auth, str)):
        raise PushSubscriptionRefused(_("This browser sent an incomplete subscription."))
    if len(endpoint) > 1000 or not _endpoint_allowed(endpoint):
        raise PushSubscriptionRefused(_("This browser's push service is not one we can use."))
    try:
        point, secret = b64url_decode(p256dh), b64url_decode(auth)
        ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), point)
    except (ValueError, binascii.Error):
        raise PushSubscriptionRefused(_("This browser sent keys we cannot use.")) from None
    if len(point) != 65 or len(secret) != 16:
        raise PushSubscriptionRefused(_("This browser sent keys we cannot use."))
    return BrowserSubscription(endpoint=endpoint, p256dh=p256dh, auth=auth)


_BROWSERS = [("Edg/", "Edge"), ("SamsungBrowser/", "Samsung Internet"), ("OPR/", "Opera"),
             ("Firefox/", "Firefox"), ("FxiOS/", "Firefox"), ("CriOS/", "Chrome"),
             ("Chrome/", "Chrome"), ("Safari/", "Safari")]
_SYSTEMS = [("iPhone", "iPhone"), ("iPad", "iPad"), ("Android", "Android"),
            ("Windows", "Windows"), ("Mac OS X", "Mac"), ("CrOS", "ChromeOS"),
            ("Linux", "Linux")]


def device_label(user_agent: str) -> str:
    """"Chrome on Android": enough for a person to recognise their own devices."""
    browser = next((name for token, name in _BROWSERS if token in user_agent), "Browser")
    system = next((name for token, name in _SYSTEMS if token in user_agent), "")
    label = f"{browser} on {system}" if system else browser
    return re.sub(r"\s+", " ", label)[:120]


@transaction.atomic
def push_subscription_save(*, subscription: BrowserSubscription, actor: Actor,
                           user_agent: str = ""
                           ) -> PushSubscription:
    """Store the browser's subscription for the person signed in. The same browser subscribing
    again refreshes its keys; a browser someone else used before moves to this person (it is
    theirs now: whoever signs in on a device receives on it)."""
    existing = (PushSubscription.objects.select_for_update()
                .filter(endpoint=subscription.endpoint).first())
    if existing is None and (PushSubscription.objects.filter(user=actor.user).count()
                             >= MAX_DEVICES):
        raise PushSubscriptionRefused(
            _("Notifications are on for %(count)d devices already. Turn one off first.")
            % {"count": MAX_DEVICES})
    row, created = PushSubscription.objects.update_or_create(
        endpoint=subscription.endpoint,
        defaults={"user": actor.person, "p256dh": subscription.p256dh,
                  "auth": subscription.auth, "device_label": device_label(user_agent)})
    audit_record(action=Action.NOTIFICATIONS_PUSH_SUBSCRIBED, actor=actor,
                 object_type="push_subscription", object_id=row.pk,
                 detail={"device": row.device_label,
                         "moved": bool(existing and existing.user_id != actor.person.pk)})
    return row


@transaction.atomic
def push_subscription_delete(*, actor: Actor, subscription_id: int | None = None,
                             endpoint: str | None = None
                             ) -> None:
    """Turn notifications off for one of the person's own devices, by id (the device list) or
    by endpoint (the browser turning itself off). Another person's device does not exist."""
    rows = PushSubscription.objects.select_for_update().filter(user=actor.user)
    if subscription_id is not None:
        row = rows.filter(pk=subscription_id).first()
    elif endpoint:
        row = rows.filter(endpoint=endpoint).first()
    else:
        row = None
    if row is None:
        raise PushSubscription.DoesNotExist
    audit_record(action=Action.NOTIFICATIONS_PUSH_UNSUBSCRIBED, actor=actor,
                 object_type="push_subscription", object_id=row.pk,
                 detail={"device": row.device_label})
    row.delete()


class PushTest:
    QUEUED = "queued"
    NO_DEVICE = "no_device"
    TURNED_OFF = "turned_off"
    ALREADY_QUEUED = "already_queued"


@transaction.atomic
def push_test_request(*, actor: Actor) -> str:
    """Queue "Notifications work on this device." for every device of the person, at most once
    a minute. Returns a `PushTest` outcome."""
    if not PushSubscription.objects.filter(user=actor.user).exists():
        return PushTest.NO_DEVICE
    if "push" not in channels_for(actor.person, kinds.get("push_test")):
        return PushTest.TURNED_OFF
    now = timezone.now()
    if Notification.objects.filter(recipient=actor.user, kind="push_test",
                                   created_at__gte=now - TEST_INTERVAL).exists():
        return PushTest.ALREADY_QUEUED
    notification_enqueue(recipient=actor.person, kind="push_test",
                         idempotency_key=f"push_test:{actor.person.pk}:{now.timestamp()}",
                         channels=["push"])
    audit_record(action=Action.NOTIFICATIONS_PUSH_TEST_REQUESTED, actor=actor,
                 object_type="user", object_id=actor.person.pk)
    return PushTest.QUEUED
