"""Web Push delivered end to end: `send_web_push` encrypts for the browser's keys and signs with
the configured VAPID key, and a local push service (tests/push/receiver.py) checks the token and
decrypts the body the way a browser's push service and the browser would. A 404/410 answer
deletes the subscription (only that practice's); other failures are retryable; a payload too big
or carrying anything but the four fields is never sent."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django_tenants.utils import schema_context

from config.vapid import generate
from practice.notifications.checks import vapid_keys_check
from practice.notifications.models import PushSubscription
from practice.notifications.webpush import (
    MAX_PAYLOAD_BYTES,
    PayloadTooLarge,
    PushDeliveryError,
    SubscriptionGone,
    send_web_push,
)
from tests.clock import Clock
from tests.conftest import PracticeWorld
from tests.push.receiver import Browser, PushReceiver

PAYLOAD = {"title": "Alpha Therapy", "body": "Notifications work on this device.",
           "url": "/portal/", "tag": "push_test"}


@pytest.fixture
def service() -> Iterator[PushReceiver]:
    with PushReceiver() as receiver:
        yield receiver


def subscribe(world: PracticeWorld, browser: Browser) -> PushSubscription:
    with schema_context(world.practice.schema_name):
        subscription = PushSubscription.objects.create(
            user=world.client, endpoint=browser.endpoint, p256dh=browser.p256dh,
            auth=browser.auth, device_label="Chrome on Android")
    connection.set_schema_to_public()
    return subscription


def send(world: PracticeWorld, subscription: PushSubscription, **kwargs: Any) -> None:
    options = {"payload": PAYLOAD, "ttl": 600, **kwargs}
    try:
        with schema_context(world.practice.schema_name):
            send_web_push(subscription, **options)
    finally:
        connection.set_schema_to_public()


def rows(world: PracticeWorld) -> list[tuple]:
    with schema_context(world.practice.schema_name):
        found = list(PushSubscription.objects.order_by("pk").values_list(
            "pk", "endpoint", "last_success_at", "last_failure_at"))
    connection.set_schema_to_public()
    return found


def test_a_push_arrives_signed_and_decrypts_to_the_payload(alpha: PracticeWorld,
                                                           service: PushReceiver,
                                                           settings: Any) -> None:
    browser = service.browser()
    subscription = subscribe(alpha, browser)

    send(alpha, subscription, ttl=600, topic="push-test", urgency="high")

    assert service.rejected == []
    [push] = service.received
    assert push.browser is browser
    assert push.payload == PAYLOAD
    assert push.headers["ttl"] == "600"
    assert push.headers["urgency"] == "high"
    assert push.headers["topic"] == "push-test"
    assert push.headers["content-encoding"] == "aes128gcm"
    assert push.claims["aud"] == service.origin
    assert push.claims["sub"] == settings.WEBPUSH_VAPID_SUBJECT == "mailto:push-test@tandem.test"
    [(pk, endpoint, succeeded, failed)] = rows(alpha)
    assert (pk, endpoint, failed) == (subscription.pk, browser.endpoint, None)
    assert succeeded is not None

    # Without a topic or an urgency: Urgency normal, no Topic; a TTL of 0 is sent as given.
    send(alpha, subscription, ttl=0, payload={"title": "Alpha", "body": "", "url": "/"})
    second = service.received[1]
    assert (second.headers["ttl"], second.headers["urgency"], "topic" in second.headers) == (
        "0", "normal", False)
    assert second.payload == {"title": "Alpha", "body": "", "url": "/"}


def test_one_vapid_token_per_push_service_for_half_its_lifetime(
        alpha: PracticeWorld, service: PushReceiver, clock: Clock) -> None:
    subscription = subscribe(alpha, service.browser())
    with PushReceiver() as other_service:
        elsewhere = subscribe(alpha, other_service.browser())

        send(alpha, subscription)
        send(alpha, elsewhere)
        send(alpha, subscription)
        clock.shift(timedelta(hours=6, minutes=1))
        send(alpha, subscription)
        [to_other] = other_service.received

    first, second, later = service.received
    assert service.rejected == [] and other_service.rejected == []
    # The same token while it is young; a token names its push service, so another one has
    # its own; past half its 12 hours, a fresh one (the push service still checks exp).
    assert first.headers["authorization"] == second.headers["authorization"]
    assert to_other.claims["aud"] == other_service.origin != first.claims["aud"]
    assert later.headers["authorization"] != first.headers["authorization"]
    assert later.claims["exp"] - first.claims["exp"] >= 6 * 3600


def test_a_gone_subscription_is_deleted_in_its_practice_only(alpha: PracticeWorld,
                                                             beta: PracticeWorld,
                                                             service: PushReceiver) -> None:
    gone, not_found, look_alike_browser = service.browser(), service.browser(), service.browser()
    first, second = subscribe(alpha, gone), subscribe(alpha, not_found)
    look_alike = subscribe(beta, look_alike_browser)
    assert look_alike.pk == first.pk
    service.answer(gone.endpoint, 410)
    service.answer(not_found.endpoint, 404)

    with pytest.raises(SubscriptionGone):
        send(alpha, first)
    assert [row[0] for row in rows(alpha)] == [second.pk]
    with pytest.raises(SubscriptionGone):
        send(alpha, second)

    assert rows(alpha) == []
    assert [row[:2] for row in rows(beta)] == [(look_alike.pk, look_alike_browser.endpoint)]
    assert service.received == [] and service.rejected == []


def test_other_failures_are_retryable_and_keep_the_subscription(
        alpha: PracticeWorld, service: PushReceiver, settings: Any) -> None:
    browser = service.browser()
    subscription = subscribe(alpha, browser)

    # The push service is down.
    service.answer(browser.endpoint, 503)
    with pytest.raises(PushDeliveryError) as raised:
        send(alpha, subscription)
    assert raised.value.status == 503

    # Nobody listens at the endpoint.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    unreachable = PushSubscription(pk=subscription.pk, endpoint=f"http://127.0.0.1:{port}/x",
                                   p256dh=browser.p256dh, auth=browser.auth)
    with pytest.raises(PushDeliveryError) as raised:
        send(alpha, unreachable)
    assert raised.value.status is None

    # Encrypted for keys that are not the browser's: the browser could not read it.
    service.answer(browser.endpoint, 201)
    stranger = Browser(endpoint=browser.endpoint)
    garbled = PushSubscription(pk=subscription.pk, endpoint=browser.endpoint,
                               p256dh=stranger.p256dh, auth=browser.auth)
    with pytest.raises(PushDeliveryError) as raised:
        send(alpha, garbled)
    assert raised.value.status == 400

    # A token signed with another key than the one browsers subscribed with.
    settings.WEBPUSH_VAPID_PRIVATE_KEY, settings.WEBPUSH_VAPID_PUBLIC_KEY = generate()
    with pytest.raises(PushDeliveryError) as raised:
        send(alpha, subscription)
    assert raised.value.status == 401
    assert [reason for _, reason in service.rejected] == [
        "the body does not decrypt with this subscription's keys",
        "k is not the configured VAPID public key"]

    assert service.received == []
    [(pk, _, succeeded, failed)] = rows(alpha)
    assert (pk, succeeded) == (subscription.pk, None)
    assert failed is not None


def test_a_payload_over_the_limit_is_refused_before_anything_is_sent(
        alpha: PracticeWorld, service: PushReceiver) -> None:
    subscription = subscribe(alpha, service.browser())
    overhead = len('{"title":"A","body":"","url":"/"}')
    fits = {"title": "A", "body": "x" * (MAX_PAYLOAD_BYTES - overhead), "url": "/"}
    too_big = {**fits, "body": fits["body"] + "x"}

    with pytest.raises(PayloadTooLarge):
        send(alpha, subscription, payload=too_big)
    assert service.received == [] and service.rejected == []

    send(alpha, subscription, payload=fits)
    [push] = service.received
    assert len(push.plaintext) == MAX_PAYLOAD_BYTES


@pytest.mark.parametrize("payload, options", [
    ({**PAYLOAD, "client_name": "Chris"}, {}),  # only the four fields, never anything else
    ({**PAYLOAD, "url": "https://elsewhere.example/"}, {}),
    ({**PAYLOAD, "url": "//elsewhere.example/"}, {}),
    ({"body": "no title", "url": "/"}, {}),
    (PAYLOAD, {"urgency": "urgent"}),
    (PAYLOAD, {"topic": "has spaces"}),
    (PAYLOAD, {"ttl": -1}),
])
def test_malformed_pushes_are_refused_before_anything_is_sent(
        service: PushReceiver, payload: dict, options: dict) -> None:
    browser = service.browser()
    subscription = PushSubscription(endpoint=browser.endpoint, p256dh=browser.p256dh,
                                    auth=browser.auth)
    with pytest.raises(ValueError):
        send_web_push(subscription, **{"payload": payload, "ttl": 600, **options})
    assert service.received == [] and service.rejected == []


def test_the_vapid_settings_are_checked_at_startup(settings: Any) -> None:
    def errors() -> list[str]:
        return sorted(error.id for error in vapid_keys_check())

    assert errors() == []
    settings.WEBPUSH_VAPID_PUBLIC_KEY = generate()[1]
    assert errors() == ["notifications.E002"]
    settings.WEBPUSH_VAPID_PRIVATE_KEY = "not-a-key"
    settings.WEBPUSH_VAPID_SUBJECT = "push@tandem.test"
    assert errors() == ["notifications.E002", "notifications.E003"]
    settings.WEBPUSH_VAPID_PRIVATE_KEY = settings.WEBPUSH_VAPID_PUBLIC_KEY = ""
    assert errors() == ["notifications.E001", "notifications.E003"]
