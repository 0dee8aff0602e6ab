"""Web Push on one's own devices (/notifications/push/): the device list, a browser subscribing
(and moving to whoever signs in on it), turning a device off, and "send me a test notification".
Everyone signed in on the practice's host (clients and every staff role) sees and changes only
their own devices; another person's device answers 404 like a missing one and is left alone;
endpoints and keys never reach a page or the audit trail; only known push services are accepted.
The look-alike practice is never touched."""

from __future__ import annotations

import json
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from django.conf import settings
from django.db import connection
from django.test import Client
from django_tenants.utils import schema_context

from config.vapid import b64url_encode
from portal.models import ClientAccess, ConsentAcceptance
from practice.notifications.models import Notification, PushSubscription
from practice.notifications.push_services import MAX_DEVICES
from tenants.audit.models import AuditEvent
from tests.conftest import PracticeWorld
from tests.portal.helpers import accept_consent

ANDROID = ("Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
           "Chrome/126.0 Mobile Safari/537.36")
IPHONE = ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
          "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1")
SIGN_IN = "/accounts/sign-in/"
ROLES = ("client", "owner", "clinician", "front_desk", "billing")


def browser_subscription(endpoint: str = "https://fcm.googleapis.com/fcm/send/dev-1"
                         ) -> dict[str, Any]:
    """What `PushSubscription.toJSON()` gives, with keys made as a browser makes them."""
    point = ec.generate_private_key(ec.SECP256R1()).public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    return {"endpoint": endpoint, "expirationTime": None,
            "keys": {"p256dh": b64url_encode(point), "auth": b64url_encode(b"0123456789abcdef")}}


def joined(world: PracticeWorld) -> PracticeWorld:
    """The client joined as clients do: portal access and the consent accepted."""
    accept_consent(world)
    with schema_context(world.practice.schema_name):
        ClientAccess.objects.get_or_create(user=world.client)
    connection.set_schema_to_public()
    return world


@pytest.fixture
def alpha(alpha: PracticeWorld) -> PracticeWorld:
    return joined(alpha)


@pytest.fixture
def beta(beta: PracticeWorld) -> PracticeWorld:
    return joined(beta)


def person(world: PracticeWorld, role: str) -> Any:
    return getattr(world, role)


def add_device(world: PracticeWorld, role: str, label: str, endpoint: str) -> int:
    with schema_context(world.practice.schema_name):
        row = PushSubscription.objects.create(
            user=person(world, role), endpoint=endpoint, p256dh="p" * 87, auth="a" * 22,
            device_label=label)
    connection.set_schema_to_public()
    return row.pk


def devices(world: PracticeWorld) -> list[tuple]:
    with schema_context(world.practice.schema_name):
        rows = list(PushSubscription.objects.order_by("pk").values_list(
            "pk", "user__email", "endpoint", "device_label"))
    connection.set_schema_to_public()
    return rows


def audit(world: PracticeWorld) -> list[tuple]:
    with schema_context(world.practice.schema_name):
        rows = list(AuditEvent.objects.filter(action__startswith="notifications.push")
                    .order_by("pk").values_list("action", "actor_id", "object_id", "detail"))
    connection.set_schema_to_public()
    return rows


def outbox(world: PracticeWorld) -> list[tuple]:
    with schema_context(world.practice.schema_name):
        rows = list(Notification.objects.order_by("pk").values_list(
            "recipient__email", "kind", "channel", "status"))
    connection.set_schema_to_public()
    return rows


def other_practice_client(alpha: PracticeWorld, beta: PracticeWorld) -> Client:
    """Beta's client, signed in on beta, trying alpha's host: the session is worthless here."""
    http = beta.http(beta.client)
    http.defaults["HTTP_HOST"] = alpha.host
    return http


def post_json(http: Client, path: str, data: Any, **headers: Any) -> Any:
    return http.post(path, json.dumps(data) if not isinstance(data, str) else data,
                     content_type="application/json", **headers)


# --- the device list ---------------------------------------------------------------------------

def test_everyone_sees_only_their_own_devices(alpha: PracticeWorld, beta: PracticeWorld) -> None:
    labels = {role: f"{role} phone" for role in ROLES}
    for role in ROLES:
        add_device(alpha, role, labels[role], f"https://fcm.googleapis.com/fcm/send/{role}")
    add_device(beta, "client", "look-alike phone", "https://fcm.googleapis.com/fcm/send/beta")

    for role in ROLES:
        response = alpha.http(person(alpha, role)).get("/notifications/push/")
        body = response.content.decode()
        assert response.status_code == 200, role
        assert [label for label in labels.values() if label in body] == [labels[role]], role
        assert "look-alike" not in body and "fcm.googleapis.com" not in body
        assert 'id="push-panel"' in body

    for http in (Client(HTTP_HOST=alpha.host), other_practice_client(alpha, beta)):
        response = http.get("/notifications/push/")
        assert (response.status_code, response["Location"].split("?")[0]) == (302, SIGN_IN)
        assert "phone" not in response.content.decode()


def test_a_client_who_has_not_accepted_the_consent_is_sent_to_it(alpha: PracticeWorld) -> None:
    with schema_context(alpha.practice.schema_name):
        ConsentAcceptance.objects.all().delete()
    connection.set_schema_to_public()
    http = alpha.http(alpha.client)
    response = http.get("/notifications/push/")
    assert response.status_code == 302
    assert response["Location"].startswith("/portal/consent/")
    response = post_json(http, "/notifications/push/subscribe/", browser_subscription())
    assert response.status_code in (302, 404)
    assert devices(alpha) == []


def test_the_portal_settings_page_carries_the_panel(alpha: PracticeWorld) -> None:
    add_device(alpha, "client", "Chrome on Android", "https://fcm.googleapis.com/fcm/send/x")
    body = alpha.http(alpha.client).get("/portal/settings/").content.decode()
    assert f'data-public-key="{settings.WEBPUSH_VAPID_PUBLIC_KEY}"' in body
    assert "Chrome on Android" in body and "fcm.googleapis.com" not in body
    assert 'action="/notifications/push/test/"' in body


# --- subscribing -------------------------------------------------------------------------------

def test_a_browser_subscribes_and_moves_to_whoever_signs_in_on_it(
        alpha: PracticeWorld, beta: PracticeWorld) -> None:
    subscription = browser_subscription()
    response = post_json(alpha.http(alpha.client), "/notifications/push/subscribe/",
                         subscription, HTTP_USER_AGENT=ANDROID)
    assert response.status_code == 201
    [(pk, email, endpoint, label)] = devices(alpha)
    assert response.json() == {"id": pk, "device_label": "Chrome on Android"}
    assert (email, endpoint) == (alpha.client.email, subscription["endpoint"])

    # The same browser again (fresh keys): still one row, keys refreshed.
    again = {**subscription, "keys": browser_subscription()["keys"]}
    assert post_json(alpha.http(alpha.client), "/notifications/push/subscribe/", again,
                     HTTP_USER_AGENT=ANDROID).status_code == 201
    with schema_context(alpha.practice.schema_name):
        assert PushSubscription.objects.get().p256dh == again["keys"]["p256dh"]
    connection.set_schema_to_public()

    # The clinician signs in on that browser: it is theirs now.
    assert post_json(alpha.http(alpha.clinician), "/notifications/push/subscribe/", again,
                     HTTP_USER_AGENT=IPHONE).status_code == 201
    assert devices(alpha) == [(pk, alpha.clinician.email, subscription["endpoint"],
                               "Safari on iPhone")]
    assert audit(alpha) == [
        ("notifications.push_subscribed", alpha.client.pk, str(pk),
         {"device": "Chrome on Android", "moved": False}),
        ("notifications.push_subscribed", alpha.client.pk, str(pk),
         {"device": "Chrome on Android", "moved": False}),
        ("notifications.push_subscribed", alpha.clinician.pk, str(pk),
         {"device": "Safari on iPhone", "moved": True}),
    ]
    assert devices(beta) == [] and audit(beta) == []


REFUSED = [
    ("not json", "This browser sent an incomplete subscription."),
    ({"endpoint": "https://fcm.googleapis.com/x"}, "This browser sent an incomplete subscription."),
    (browser_subscription("http://169.254.169.254/latest/meta-data/"),
     "This browser's push service is not one we can use."),
    (browser_subscription("http://fcm.googleapis.com/fcm/send/plain-http"),
     "This browser's push service is not one we can use."),
    (browser_subscription("https://user:pw@fcm.googleapis.com/fcm/send/x"),
     "This browser's push service is not one we can use."),
    (browser_subscription("https://evil.example/notify.windows.com"),
     "This browser's push service is not one we can use."),
    ({**browser_subscription(), "keys": {"p256dh": "AAAA", "auth": "0123456789abcdef"}},
     "This browser sent keys we cannot use."),
    ({**browser_subscription(), "keys": {**browser_subscription()["keys"], "auth": "c2hvcnQ"}},
     "This browser sent keys we cannot use."),
]


def test_a_subscription_we_cannot_use_is_refused_and_nothing_is_stored(
        alpha: PracticeWorld) -> None:
    http = alpha.http(alpha.client)
    for data, error in REFUSED:
        response = post_json(http, "/notifications/push/subscribe/", data)
        assert (response.status_code, response.json()) == (400, {"error": error}), data
    assert devices(alpha) == [] and audit(alpha) == []


def test_subscribing_needs_the_csrf_token_and_a_post(alpha: PracticeWorld) -> None:
    http = Client(HTTP_HOST=alpha.host, enforce_csrf_checks=True)
    with schema_context(alpha.practice.schema_name):
        http.force_login(alpha.client)
    connection.set_schema_to_public()
    assert post_json(http, "/notifications/push/subscribe/",
                     browser_subscription()).status_code == 403
    for path in ("/notifications/push/subscribe/", "/notifications/push/unsubscribe/",
                 "/notifications/push/test/"):
        assert http.get(path).status_code == 405
    assert devices(alpha) == []


def test_a_person_has_at_most_ten_devices(alpha: PracticeWorld) -> None:
    for number in range(MAX_DEVICES):
        add_device(alpha, "client", f"phone {number}", f"https://fcm.googleapis.com/x/{number}")
    response = post_json(alpha.http(alpha.client), "/notifications/push/subscribe/",
                         browser_subscription())
    assert (response.status_code, response.json()) == (400, {
        "error": "Notifications are on for 10 devices already. Turn one off first."})
    assert len(devices(alpha)) == MAX_DEVICES


# --- turning off -------------------------------------------------------------------------------

def test_only_the_owner_of_a_device_turns_it_off(alpha: PracticeWorld,
                                                 beta: PracticeWorld) -> None:
    mine = add_device(alpha, "client", "Chrome on Android", "https://fcm.googleapis.com/x/mine")
    look_alike = add_device(beta, "client", "Chrome on Android", "https://fcm.googleapis.com/y")
    assert look_alike == mine
    before = devices(alpha)

    for role in ("owner", "clinician", "front_desk", "billing"):
        http = alpha.http(person(alpha, role))
        assert http.post("/notifications/push/unsubscribe/",
                         {"subscription": mine}).status_code == 404, role
        assert post_json(http, "/notifications/push/unsubscribe/",
                         {"endpoint": "https://fcm.googleapis.com/x/mine"}).status_code == 404
    for http in (Client(HTTP_HOST=alpha.host), other_practice_client(alpha, beta)):
        response = http.post("/notifications/push/unsubscribe/", {"subscription": mine})
        assert (response.status_code, response["Location"].split("?")[0]) == (302, SIGN_IN)
    client = alpha.http(alpha.client)
    assert client.post("/notifications/push/unsubscribe/",
                       {"subscription": mine + 1}).status_code == 404
    assert client.post("/notifications/push/unsubscribe/",
                       {"subscription": "x"}).status_code == 404
    assert devices(alpha) == before and audit(alpha) == []

    response = client.post("/notifications/push/unsubscribe/",
                           {"subscription": mine, "next": "/portal/settings/"})
    assert (response.status_code, response["Location"]) == (302, "/portal/settings/")
    assert devices(alpha) == []
    assert audit(alpha) == [("notifications.push_unsubscribed", alpha.client.pk, str(mine),
                             {"device": "Chrome on Android"})]
    assert [row[0] for row in devices(beta)] == [look_alike]


def test_a_browser_turns_itself_off_by_its_endpoint(alpha: PracticeWorld) -> None:
    add_device(alpha, "client", "Chrome on Android", "https://fcm.googleapis.com/x/mine")
    http = alpha.http(alpha.client)
    response = post_json(http, "/notifications/push/unsubscribe/",
                         {"endpoint": "https://fcm.googleapis.com/x/mine"})
    assert response.status_code == 204
    assert devices(alpha) == []
    response = http.post("/notifications/push/unsubscribe/",
                         {"subscription": "1", "next": "https://evil.example/"})
    assert response.status_code == 404


# --- the test notification ---------------------------------------------------------------------

def test_send_me_a_test_notification(alpha: PracticeWorld, beta: PracticeWorld) -> None:
    http = alpha.http(alpha.client)
    response = http.post("/notifications/push/test/", {"next": "https://evil.example/"},
                         follow=True)
    assert response.redirect_chain == [("/notifications/push/", 302)]
    assert "Turn on notifications on this device first." in response.content.decode()
    assert outbox(alpha) == []

    add_device(alpha, "client", "Chrome on Android", "https://fcm.googleapis.com/x/mine")
    response = http.post("/notifications/push/test/", {"next": "/portal/settings/"},
                         follow=True)
    assert response.redirect_chain == [("/portal/settings/", 302)]
    assert "A test notification is on its way to your devices." in response.content.decode()
    assert outbox(alpha) == [(alpha.client.email, "push_test", "push", "pending")]
    # Pressed again within the minute: nothing more.
    response = http.post("/notifications/push/test/", follow=True)
    assert "A test notification is already on its way." in response.content.decode()
    assert len(outbox(alpha)) == 1
    assert [row[0] for row in audit(alpha)] == ["notifications.push_test_requested"]
    assert outbox(beta) == []
