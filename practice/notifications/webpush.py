"""Sending one Web Push message to one browser: the payload encrypted for that browser (RFC 8291,
aes128gcm), signed with the platform's VAPID key (RFC 8292), posted to the browser's push service
with an explicit TTL and Urgency (RFC 8030). pywebpush does the encryption and the post.

The payload is fixed, PHI-free wording from the notification kind: `{"title", "body", "url",
"tag"}`, JSON-encoded and refused above 3,000 bytes (push services take 4,096 bytes of
ciphertext, and pywebpush checks nothing). The service worker (portal/templates/portal/pwa/
sw.js) shows it and opens `url` on a tap.

Outcomes for the caller (the notification pipeline):
- returns: the push service accepted the message;
- `SubscriptionGone`: the push service answered 404 or 410, the subscription is deleted here;
- `PayloadTooLarge`: the payload is too big (not worth retrying);
- `PushDeliveryError`: anything else (network, 429, 5xx, a refused token): retry later.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Collection
from functools import lru_cache
from typing import Any, NoReturn
from urllib.parse import urlsplit

import requests
from django.conf import settings
from django.utils import timezone
from py_vapid import Vapid02
from pywebpush import WebPushException, webpush

from practice.notifications.connections import drop_push_session, push_session
from practice.notifications.models import PushSubscription

MAX_PAYLOAD_BYTES = 3000
PAYLOAD_KEYS = frozenset({"title", "body", "url", "tag"})
URGENCIES = ("very-low", "low", "normal", "high")
# RFC 8030 §5.4: a topic is at most 32 characters of the URL-safe base64 alphabet.
TOPIC = re.compile(r"^[A-Za-z0-9_-]{1,32}$")
# Push services keep a message at most about four weeks.
MAX_TTL = 28 * 24 * 3600
# A VAPID token lives 12 hours (RFC 8292 allows up to 24), and is reused for the first half of
# that for every message to the same push service.
TOKEN_LIFETIME = 12 * 3600
TIMEOUT_SECONDS = 10


class WebPushError(Exception):
    """Base of what `send_web_push` raises."""


class PayloadTooLarge(WebPushError):
    pass


class SubscriptionGone(WebPushError):
    """The push service no longer knows this subscription (404/410); it has been deleted."""


class PushDeliveryError(WebPushError):
    """Not delivered this time; worth retrying. `status` is the push service's answer, if
    any; `retry_after` its Retry-After header, if it gave one."""

    def __init__(self, message: str, *, status: int | None = None,
                 retry_after: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.retry_after = retry_after


def encode_payload(payload: dict[str, Any]) -> bytes:
    """The payload as sent: compact JSON, checked for shape and size."""
    unknown = set(payload) - PAYLOAD_KEYS
    if unknown:
        raise ValueError(f"unexpected payload keys: {sorted(unknown)}")
    if not all(isinstance(payload.get(key), str) and payload[key] for key in ("title", "url")):
        raise ValueError("a push payload needs a title and a url")
    if not all(isinstance(value, str) for value in payload.values()):
        raise ValueError("push payload values are strings")
    url = payload["url"]
    if not url.startswith("/") or url.startswith("//"):
        raise ValueError("a push payload's url is a path on the practice's host")
    body = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()
    if len(body) > MAX_PAYLOAD_BYTES:
        raise PayloadTooLarge(f"push payload of {len(body)} bytes (at most {MAX_PAYLOAD_BYTES})")
    return body


@lru_cache(maxsize=4)
def _vapid(private_key: str) -> Vapid02:
    return Vapid02.from_string(private_key)


# (private key, subject, audience) -> (signed at, Authorization header).
_tokens: dict[tuple[str, str, str], tuple[float, str]] = {}
_tokens_lock = threading.Lock()


def _authorization(endpoint: str) -> str:
    """The VAPID Authorization header for the endpoint's push service. A token names the push
    service (its origin), not the message, so one is signed per push service and reused while
    less than half its lifetime has passed (signed afresh if the clock went back): signing one
    per message was a twentieth of a worker's time sending pushes. RFC 8292 lets an
    application server reuse a token for as long as it is valid."""
    parts = urlsplit(endpoint)
    audience = f"{parts.scheme}://{parts.netloc}"
    key = (settings.WEBPUSH_VAPID_PRIVATE_KEY, settings.WEBPUSH_VAPID_SUBJECT, audience)
    now = time.time()
    with _tokens_lock:
        held = _tokens.get(key)
    if held is not None and held[0] <= now < held[0] + TOKEN_LIFETIME / 2:
        return held[1]
    claims = {"aud": audience, "exp": int(now) + TOKEN_LIFETIME,
              "sub": settings.WEBPUSH_VAPID_SUBJECT}
    header = _vapid(settings.WEBPUSH_VAPID_PRIVATE_KEY).sign(claims)["Authorization"]
    with _tokens_lock:
        if len(_tokens) > 256:  # keys or subjects changed many times over (tests)
            _tokens.clear()
        _tokens[key] = (now, header)
    return header


def _headers(*, urgency: str, topic: str | None) -> dict[str, str]:
    if urgency not in URGENCIES:
        raise ValueError(f"urgency is one of {URGENCIES}")
    headers = {"Urgency": urgency}
    if topic is not None:
        if not TOPIC.match(topic):
            raise ValueError("a topic is 1 to 32 characters of [A-Za-z0-9_-]")
        headers["Topic"] = topic
    return headers


def send_web_push(subscription: PushSubscription, *, payload: dict[str, Any], ttl: int,
                  topic: str | None = None, urgency: str = "normal") -> None:
    """Deliver `payload` to the browser behind `subscription` (see the module's docstring)."""
    push_unrecorded(subscription, payload=payload, ttl=ttl, topic=topic, urgency=urgency)
    _record(subscription, success=True)


def push_unrecorded(subscription: PushSubscription, *, payload: dict[str, Any], ttl: int,
                    topic: str | None = None, urgency: str = "normal") -> None:
    """`send_web_push` but for recording its success, which is the caller's
    (`record_successes`): the delivery pipeline records a group's in one statement. A failure
    is recorded here all the same, and a subscription gone is deleted."""
    try:
        post_web_push(subscription.endpoint, subscription.p256dh, subscription.auth,
                      payload=payload, ttl=ttl, topic=topic, urgency=urgency)
    except WebPushException as error:
        _failed(subscription, error)
    except (requests.RequestException, OSError) as error:
        drop_push_session()  # a broken connection is not reused
        _record(subscription, success=False)
        raise PushDeliveryError(f"push service unreachable ({type(error).__name__})") from None


def post_web_push(endpoint: str, p256dh: str, auth: str, *, payload: dict[str, Any], ttl: int,
                  topic: str | None = None, urgency: str = "normal") -> None:
    """The post alone, over this thread's session, with no bookkeeping (what
    bench/notifications.py's plain sending calls): raises pywebpush's WebPushException for an
    answer other than 2xx, requests' or the socket's errors for the network."""
    body = encode_payload(payload)
    if not 0 <= ttl <= MAX_TTL:
        raise ValueError(f"ttl is between 0 and {MAX_TTL} seconds")
    headers = _headers(urgency=urgency, topic=topic)
    # Signed here, not by pywebpush (which signs a token per message when given claims).
    headers["Authorization"] = _authorization(endpoint)
    webpush(
        subscription_info={"endpoint": endpoint, "keys": {"p256dh": p256dh, "auth": auth}},
        data=body,  # bytes are sent as they are
        content_encoding="aes128gcm",
        ttl=ttl,
        headers=headers,
        timeout=TIMEOUT_SECONDS,
        # One keep-alive session per worker thread: no TLS handshake per message.
        requests_session=push_session(),
    )


def _failed(subscription: PushSubscription, error: WebPushException) -> NoReturn:
    response = error.response
    status = getattr(response, "status_code", None)
    if status in (404, 410):
        PushSubscription.objects.filter(pk=subscription.pk).delete()
        raise SubscriptionGone(f"push service answered {status}") from None
    _record(subscription, success=False)
    if status == 413:
        raise PayloadTooLarge("push service answered 413") from None
    retry_after = response.headers.get("Retry-After") if response is not None else None
    raise PushDeliveryError(f"push service answered {status}", status=status,
                            retry_after=retry_after) from None


def record_successes(subscription_ids: Collection[int]) -> None:
    """The last success of each of these devices is now (for pushes sent by
    `push_unrecorded`): one statement for a delivery group, whatever the pushes in it."""
    if subscription_ids:
        PushSubscription.objects.filter(pk__in=sorted(set(subscription_ids))).update(
            last_success_at=timezone.now())


def _record(subscription: PushSubscription, *, success: bool) -> None:
    field = "last_success_at" if success else "last_failure_at"
    PushSubscription.objects.filter(pk=subscription.pk).update(**{field: timezone.now()})
