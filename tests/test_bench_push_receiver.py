"""The notifications benchmark's push receiver (bench/push_receiver.py) counts what is really Web
Push, as the pipeline sends it, and nothing else: a body that does not decrypt with the device's
keys, a token signed by another key and a push to an endpoint it never issued are refused and
not counted; the same notification twice (its Topic) is counted as a duplicate."""

from __future__ import annotations

import time
from typing import Any

import pytest
import requests
from py_vapid import Vapid02
from pywebpush import WebPushException

from bench.push_receiver import Device, PushReceiver
from config.vapid import generate
from practice.notifications.webpush import post_web_push

TOPIC = "0123456789abcdef0123456789abcdef"
PAYLOAD = {"title": "A new alert", "body": "A new alert is waiting.", "url": "/clinic/alerts/",
           "tag": f"n{TOPIC[:24]}"}


def push(device: Device, **changes: Any) -> None:
    options = {"payload": PAYLOAD, "ttl": 600, "topic": TOPIC, "urgency": "high", **changes}
    keys = options.pop("keys", device)
    post_web_push(device.endpoint, keys.p256dh, keys.auth, **options)


def token(private_key: str, audience: str) -> str:
    claims = {"aud": audience, "exp": int(time.time()) + 3600, "sub": "mailto:bench@localhost"}
    return Vapid02.from_string(private_key).sign(claims)["Authorization"]


def test_a_real_push_is_counted_checked_in_full_and_garbage_is_refused(settings: Any) -> None:
    with PushReceiver(settings.WEBPUSH_VAPID_PUBLIC_KEY, sample_every=1) as receiver:
        device = receiver.device()
        push(device)
        assert (receiver.total, receiver.checked, receiver.duplicates, receiver.rejected) == (
            1, 1, 0, [])

        # Encrypted for another browser's keys: the device could not read it.
        with pytest.raises(WebPushException):
            push(device, keys=Device(endpoint=device.endpoint), topic="another-topic")
        # Bytes shaped like an aes128gcm header, with a valid token: not a message.
        garbage = bytes(20) + bytes([65]) + bytes(200)
        answer = requests.post(device.endpoint, data=garbage, timeout=10, headers={
            "Authorization": token(settings.WEBPUSH_VAPID_PRIVATE_KEY, receiver.origin),
            "Content-Encoding": "aes128gcm", "TTL": "60", "Topic": "garbage"})
        assert answer.status_code == 400
        # An endpoint it never issued.
        with pytest.raises(WebPushException):
            push(Device(endpoint=f"{receiver.origin}/push/unknown"))
        # Signed with a key that is not the configured one.
        settings.WEBPUSH_VAPID_PRIVATE_KEY, settings.WEBPUSH_VAPID_PUBLIC_KEY = generate()
        with pytest.raises(WebPushException):
            push(device, topic="signed-elsewhere")

        assert receiver.total == 1
        assert receiver.rejected == [
            "the body does not decrypt to JSON with the device's keys",
            "the body does not decrypt to JSON with the device's keys",
            "no such subscription",
            "Authorization is not vapid with the configured public key"]


def test_the_same_notification_twice_is_a_duplicate(settings: Any) -> None:
    with PushReceiver(settings.WEBPUSH_VAPID_PUBLIC_KEY, sample_every=2) as receiver:
        device = receiver.device()
        push(device)
        push(device)
        push(device, topic="fedcba9876543210fedcba9876543210",
             payload={**PAYLOAD, "tag": "nfedcba9876543210fedcba98"})
        receiver.wait_for(3, timeout=5)
        assert (receiver.total, receiver.checked, receiver.duplicates, receiver.rejected) == (
            3, 2, 1, [])
