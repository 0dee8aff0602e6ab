"""The notification pipeline inside one practice: the outbox written in the event's transaction,
quiet hours in the recipient's timezone, preferences, the dispatcher's hand-out and lease, and
delivery by email to the real SMTP server: once, branded, without PHI, retried with backoff,
given up, skipped when no longer due. Actors are called as the worker calls them."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, time, timedelta
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from dramatiq.brokers.redis import RedisBroker

from branding.selectors import branding_for
from practice.notifications import delivery, services
from practice.notifications.models import (
    DeliveryAttempt,
    Notification,
    NotificationPreference,
    NotificationSettings,
    PushSubscription,
)
from practice.notifications.services import notification_enqueue
from practice.notifications.tasks import QUEUE, notification_deliver, notifications_dispatch
from tenants.actor import Actor
from tests.conftest import Mailbox, PracticeWorld, _free_port
from tests.jobs.conftest import queued
from tests.notifications.helpers import (
    CANCELLED,
    give_device,
    give_portal,
    inside,
    outbox,
)
from tests.push.receiver import PushReceiver

pytestmark = pytest.mark.django_db


@pytest.fixture
def broker() -> RedisBroker:
    from config import broker as tandem_broker

    return tandem_broker.setup()


def run_pipeline(broker: RedisBroker, world: PracticeWorld) -> list[str]:
    """Play the worker: one dispatcher run, then every delivery message it sent, in order.
    Returns the schemas the delivery messages carried."""
    with inside(world):
        notifications_dispatch()
    messages = [m for m in queued(broker, QUEUE) if m.actor_name == "notification_deliver"]
    broker.client.delete(f"{broker.namespace}:{QUEUE}", f"{broker.namespace}:{QUEUE}.msgs")
    for message in messages:
        with inside(world):
            notification_deliver(*message.args)
    return [message.options["schema"] for message in messages]


def rows_of(world: PracticeWorld) -> list[tuple[str, str, str, int]]:
    return [(row["kind"], row["channel"], row["status"], row["attempts"]) for row in outbox(world)]


def attempts_of(world: PracticeWorld) -> list[tuple[str, str]]:
    with inside(world):
        return list(DeliveryAttempt.objects.order_by("id").values_list("outcome", "detail"))


# --- the outbox ----------------------------------------------------------------------------------

def test_enqueue_writes_a_row_per_accepted_channel_once_and_wakes_the_dispatcher_after_commit(
    alpha: PracticeWorld, beta: PracticeWorld, broker: RedisBroker,
    django_capture_on_commit_callbacks: Any,
) -> None:
    give_portal(alpha)
    give_portal(beta)
    with inside(alpha), django_capture_on_commit_callbacks(execute=True) as callbacks:
        first = notification_enqueue(recipient=alpha.client, kind="tests_reminder",
                                     idempotency_key="appointment:1:24h",
                                     context={"appointment_id": 1})
        again = notification_enqueue(recipient=alpha.client, kind="tests_reminder",
                                     idempotency_key="appointment:1:24h",
                                     context={"appointment_id": 1})
    # No device yet: email only. The same key twice: one row. One wake-up per commit.
    assert [row.channel for row in first] == ["email"]
    assert again == []
    assert len(callbacks) == 1
    [wake] = queued(broker, QUEUE)
    assert (wake.actor_name, wake.options["schema"]) == (
        "notifications_dispatch", alpha.practice.schema_name)

    give_device(alpha, alpha.client, "https://push.example.org/alpha-1")
    with inside(alpha), django_capture_on_commit_callbacks(execute=True):
        both = notification_enqueue(recipient=alpha.client, kind="tests_reminder",
                                    idempotency_key="appointment:2:24h",
                                    context={"appointment_id": 2})
        only_push = notification_enqueue(recipient=alpha.client, kind="tests_reminder",
                                         idempotency_key="appointment:3:24h",
                                         channels=["push"])
    assert [row.channel for row in both] == ["email", "push"]
    assert [row.channel for row in only_push] == ["push"]
    # A wake-up is already waiting: no second dispatcher message.
    assert [m.actor_name for m in queued(broker, QUEUE)] == ["notifications_dispatch"]
    assert [row["idempotency_key"] for row in outbox(alpha)] == [
        "appointment:1:24h:email", "appointment:2:24h:email", "appointment:2:24h:push",
        "appointment:3:24h:push"]
    assert outbox(beta) == []

    # An event that rolls back leaves neither its row nor a wake-up.
    with inside(alpha), django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(RuntimeError), transaction.atomic():
            notification_enqueue(recipient=alpha.client, kind="tests_reminder",
                                 idempotency_key="appointment:4:24h")
            raise RuntimeError("the event failed")
    assert callbacks == []
    assert len(outbox(alpha)) == 4


def test_a_commit_that_lands_back_in_public_still_wakes_the_practice_dispatcher(
    alpha: PracticeWorld, beta: PracticeWorld, broker: RedisBroker,
    django_capture_on_commit_callbacks: Any,
) -> None:
    """A control-plane transaction that wrote in a practice's schema commits in public: the
    wake-up is still sent for that practice (a tenant message sent from public would raise)."""
    give_portal(alpha)
    give_portal(beta)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with inside(alpha):
            notification_enqueue(recipient=alpha.client, kind="tests_reminder",
                                 idempotency_key="appointment:1:24h")

    assert len(callbacks) == 1
    assert [(m.actor_name, m.options["schema"]) for m in queued(broker, QUEUE)] == [
        ("notifications_dispatch", alpha.practice.schema_name)]
    assert outbox(beta) == []


def client_preferences_and_revoked_access_decide_the_channels(alpha: PracticeWorld) -> None:
    give_portal(alpha)
    give_device(alpha, alpha.client, "https://push.example.org/alpha-2")
    from portal.models import ClientAccess

    with inside(alpha):
        ClientAccess.objects.filter(user=alpha.client).update(notifications={
            "email": {"reminders": False, "messages": True, "assessments": True},
            "push": {"reminders": True, "messages": True, "assessments": True}})
        assert [row.channel for row in notification_enqueue(
            recipient=alpha.client, kind="tests_reminder", idempotency_key="a")] == ["push"]
        ClientAccess.objects.filter(user=alpha.client).update(revoked_at=timezone.now())
        alpha.client.refresh_from_db()
        assert notification_enqueue(recipient=alpha.client, kind="tests_reminder",
                                    idempotency_key="b") == []


def test_reminders_wait_for_the_end_of_quiet_hours_in_the_recipient_timezone(
    alpha: PracticeWorld, beta: PracticeWorld,
) -> None:
    give_portal(alpha, zone="America/Chicago", quiet_hours=True)
    late_evening = datetime(2026, 1, 15, 4, 30, tzinfo=UTC)  # 22:30 in Chicago, 04:30 UTC
    with inside(alpha):
        [reminder] = notification_enqueue(recipient=alpha.client, kind="tests_reminder",
                                          idempotency_key="r1", not_before=late_evening)
        # Urgent alerts to a clinician go at once, at any hour.
        [alert] = notification_enqueue(recipient=alpha.clinician, kind="alert_raised",
                                       idempotency_key="alert:1", not_before=late_evening)
    assert reminder.not_before == datetime(2026, 1, 15, 14, 0, tzinfo=UTC)  # 08:00 Chicago
    assert alert.not_before == late_evening

    # The owner moves the practice's quiet hours and timezone (staff default); a staff member
    # with no timezone of their own follows it; a client's own quiet hours win over the
    # practice's.
    owner_meta = None
    with inside(alpha):
        services.notification_settings_update(
            actor=Actor.of(alpha.owner, meta=owner_meta), values=services.QuietHoursChoice(
                enabled=True, start=time(20), end=time(7), default_timezone="Asia/Tokyo"))
        # 04:30 UTC is 13:30 in Tokyo: not quiet for staff.
        [staff_reminder] = notification_enqueue(
            recipient=alpha.front_desk, kind="tests_reminder", idempotency_key="r2",
            not_before=late_evening)
        services.notification_preference_update(user=alpha.client, values=services.PersonalChoice(
            channels=None, timezone="", quiet_hours_start=time(23), quiet_hours_end=time(6)))
        # 22:30 in Chicago is not within the client's own 23:00-06:00.
        [own] = notification_enqueue(recipient=alpha.client, kind="tests_reminder",
                                     idempotency_key="r3", not_before=late_evening)
        # The practice turns quiet hours off: staff reminders at 22:30 Tokyo time go at once.
        services.notification_settings_update(
            actor=Actor.of(alpha.owner), values=services.QuietHoursChoice(
                enabled=False, start=time(20), end=time(7), default_timezone="Asia/Tokyo"))
        tokyo_night = datetime(2026, 1, 15, 13, 30, tzinfo=UTC)
        [unheld] = notification_enqueue(recipient=alpha.front_desk, kind="tests_reminder",
                                        idempotency_key="r4", not_before=tokyo_night)
        with pytest.raises(PermissionError):
            services.notification_settings_update(
                actor=Actor.of(alpha.clinician), values=services.QuietHoursChoice(
                    enabled=True, start=time(1), end=time(2), default_timezone="UTC"))
        assert NotificationSettings.objects.get().quiet_hours_enabled is False
    assert staff_reminder.not_before == late_evening
    assert own.not_before == late_evening
    assert unheld.not_before == tokyo_night
    with inside(beta):
        assert NotificationSettings.objects.count() == 0


def test_staff_and_clients_choose_channels_per_kind(
    alpha: PracticeWorld, beta: PracticeWorld,
) -> None:
    client_preferences_and_revoked_access_decide_the_channels(alpha)
    give_device(alpha, alpha.clinician, "https://push.example.org/clinician")
    with inside(alpha):
        # Default: both channels.
        assert [row.channel for row in notification_enqueue(
            recipient=alpha.clinician, kind="alert_raised", idempotency_key="a1")] == [
            "email", "push"]
        services.notification_preference_update(
            user=alpha.clinician, values=services.PersonalChoice(
            channels={"email": {"alerts": False, "messages": True, "digest": True},
                      "push": {"alerts": True, "messages": False, "digest": False}},
            timezone="Europe/Madrid", quiet_hours_start=None, quiet_hours_end=None))
        assert [row.channel for row in notification_enqueue(
            recipient=alpha.clinician, kind="alert_raised", idempotency_key="a2")] == ["push"]
        assert NotificationPreference.objects.get(user=alpha.clinician).timezone == (
            "Europe/Madrid")
        with pytest.raises(services.NotificationSettingsError):
            services.notification_preference_update(
                user=alpha.clinician, values=services.PersonalChoice(
                    channels=None, timezone="Nowhere/Special", quiet_hours_start=None,
                    quiet_hours_end=None))


# --- hand-out and delivery -----------------------------------------------------------------------

def test_delivery_sends_one_branded_email_without_phi_and_never_twice(
    alpha: PracticeWorld, beta: PracticeWorld, broker: RedisBroker, mailbox: Mailbox,
) -> None:
    give_portal(alpha)
    give_portal(beta)
    with inside(alpha):
        [row] = notification_enqueue(recipient=alpha.client, kind="tests_reminder",
                                     idempotency_key="appointment:7:24h",
                                     context={"appointment_id": 7})
    with inside(beta):
        notification_enqueue(recipient=beta.client, kind="tests_reminder",
                             idempotency_key="appointment:7:24h", context={"appointment_id": 7})

    assert run_pipeline(broker, alpha) == [alpha.practice.schema_name]
    [email] = mailbox.messages
    assert email["To"] == "client@example.org"
    assert email["Subject"] == "You have a session tomorrow"
    assert "Alpha Therapy" in email["From"]
    with inside(alpha):
        expected_id = delivery.message_id(row, schema_name=alpha.practice.schema_name,
                                          branding=branding_for(alpha.practice))
    assert email["Message-ID"] == expected_id
    assert expected_id.endswith("@alpha.localhost>")
    text = email.get_body(("plain",)).get_content()
    html = email.get_body(("html",)).get_content()
    assert "http://alpha.localhost/portal/" in text
    assert 'href="http://alpha.localhost/portal/"' in html
    for body in (text, html, email["Subject"]):
        assert "Chris" not in body
        assert "Beta" not in body
    assert rows_of(alpha) == [("tests_reminder", "email", "sent", 1)]
    assert [outcome for outcome, _ in attempts_of(alpha)] == ["sent"]

    # The same message again (a duplicate in the queue, a second dispatcher): nothing more.
    [sent] = outbox(alpha)
    with inside(alpha):
        notification_deliver(sent["id"])
    assert run_pipeline(broker, alpha) == []
    assert len(mailbox.messages) == 1
    assert rows_of(alpha) == [("tests_reminder", "email", "sent", 1)]
    # Beta's row waits for beta's own dispatcher.
    assert rows_of(beta) == [("tests_reminder", "email", "pending", 0)]


def test_hand_out_takes_due_rows_once_and_again_after_the_lease(
    alpha: PracticeWorld, beta: PracticeWorld, settings: Any,
) -> None:
    give_portal(alpha)
    now = timezone.now()
    with inside(alpha):
        notification_enqueue(recipient=alpha.client, kind="tests_reminder", idempotency_key="now",
                             not_before=now - timedelta(minutes=1))
        notification_enqueue(recipient=alpha.client, kind="alert_raised", idempotency_key="later",
                             not_before=now + timedelta(hours=3))
        [due_id, later_id] = [row["id"] for row in outbox(alpha)]
        assert services.notifications_hand_out(now=now, limit=10) == [due_id]
        assert services.notifications_hand_out(now=now + timedelta(seconds=5), limit=10) == []
        # The message was lost: after the lease the row is handed out again.
        lease = timedelta(seconds=settings.NOTIFICATION_LEASE_SECONDS)
        assert services.notifications_hand_out(now=now + lease + timedelta(seconds=1),
                                               limit=10) == [due_id]
        # Three hours on, the second is due too; oldest first, at most `limit`.
        assert services.notifications_hand_out(now=now + timedelta(hours=4), limit=1) == [
            due_id]
        assert services.notifications_hand_out(now=now + timedelta(hours=4), limit=10) == [
            later_id]


def test_no_longer_due_or_turned_off_is_skipped_and_recorded(
    alpha: PracticeWorld, beta: PracticeWorld, broker: RedisBroker, mailbox: Mailbox,
) -> None:
    give_portal(alpha)
    from portal.models import ClientAccess

    with inside(alpha):
        notification_enqueue(recipient=alpha.client, kind="tests_reminder", idempotency_key="c",
                             context={"appointment_id": 41})
        notification_enqueue(recipient=alpha.client, kind="tests_reminder", idempotency_key="d",
                             context={"appointment_id": 42})
        CANCELLED.add(41)
        ClientAccess.objects.filter(user=alpha.client).update(notifications={
            "email": {"reminders": True}, "push": {}})
        [_, other] = outbox(alpha)
        # The client turned email reminders off after the second was written.
        ClientAccess.objects.filter(user=alpha.client).update(notifications={
            "email": {"reminders": False}, "push": {}})
    try:
        run_pipeline(broker, alpha)
    finally:
        CANCELLED.discard(41)
    assert mailbox.messages == []
    assert rows_of(alpha) == [("tests_reminder", "email", "skipped", 0),
                              ("tests_reminder", "email", "skipped", 0)]
    assert attempts_of(alpha) == [("skipped", "No longer needed."),
                                  ("skipped", "The recipient has turned this off.")]
    assert other["status"] == "pending"


def test_failures_are_retried_with_backoff_then_given_up(
    alpha: PracticeWorld, beta: PracticeWorld, broker: RedisBroker, settings: Any,
    refusing_smtp: int,
) -> None:
    give_portal(alpha)
    settings.NOTIFICATION_MAX_ATTEMPTS = 2
    settings.EMAIL_PORT = _free_port()  # nothing listens there: connection refused
    with inside(alpha):
        notification_enqueue(recipient=alpha.client, kind="tests_reminder", idempotency_key="f")
    started = timezone.now()
    run_pipeline(broker, alpha)
    with inside(alpha):
        row = Notification.objects.get()
    assert (row.status, row.attempts, row.last_error) == ("failed", 1, "ConnectionRefusedError")
    base = timedelta(seconds=settings.NOTIFICATION_RETRY_BASE_SECONDS)
    assert started + base / 2 <= row.next_attempt_at <= timezone.now() + base
    # A delayed wake-up comes back when the backoff is over.
    delayed = queued(broker, f"{QUEUE}.DQ")
    assert [m.actor_name for m in delayed] == ["notifications_dispatch"]
    assert delayed[0].options["schema"] == alpha.practice.schema_name
    # Not due yet: a dispatcher run now hands nothing out.
    assert run_pipeline(broker, alpha) == []

    with inside(alpha):
        Notification.objects.update(next_attempt_at=timezone.now() - timedelta(seconds=1))
    run_pipeline(broker, alpha)
    assert rows_of(alpha) == [("tests_reminder", "email", "gave_up", 2)]
    assert attempts_of(alpha) == [("failed", "ConnectionRefusedError"),
                                  ("gave_up", "ConnectionRefusedError")]

    # A mail server that refuses an address for good: given up at once; for now: retried.
    # Neither attempt records the address the server quoted.
    settings.EMAIL_PORT = refusing_smtp
    with inside(alpha):
        notification_enqueue(recipient=alpha.client, kind="tests_reminder", idempotency_key="p")
        notification_enqueue(recipient=alpha.clinician, kind="alert_raised", idempotency_key="q")
    run_pipeline(broker, alpha)
    assert rows_of(alpha)[1:] == [("tests_reminder", "email", "gave_up", 1),
                                  ("alert_raised", "email", "failed", 1)]
    assert attempts_of(alpha)[2:] == [("gave_up", "SMTPRecipientsRefused 550"),
                                      ("failed", "SMTPRecipientsRefused 451")]


class Refuser:
    """A mail server that refuses one recipient for good (550) and another for now (451)."""

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str,  # noqa: N802
                          options: Any) -> str:
        return "550 5.1.1 No such mailbox" if "client" in address else "451 4.3.0 Try later"


@pytest.fixture
def refusing_smtp() -> Iterator[int]:
    port = _free_port()
    controller = Controller(Refuser(), hostname="127.0.0.1", port=port)
    controller.start()
    yield port
    controller.stop()


def test_an_interrupted_attempt_is_resent_with_the_same_message_id(
    alpha: PracticeWorld, beta: PracticeWorld, mailbox: Mailbox, settings: Any,
) -> None:
    """The worker died after the mail server accepted the email and before the outcome was
    recorded. Before the lease nobody touches it (it may still be on its way); after, the next
    claim marks the attempt interrupted and sends again with the same Message-ID, so the
    recipient's mail system has one message."""
    give_portal(alpha)
    with inside(alpha):
        notification_enqueue(recipient=alpha.client, kind="tests_reminder", idempotency_key="i")
        [row_id] = services.notifications_hand_out(now=timezone.now(), limit=10)
        claim = services.notification_claim(notification_id=row_id, now=timezone.now())
        assert claim is not None
        delivery.deliver(claim.notification, claim.kind, schema_name=alpha.practice.schema_name)
        # ...killed here. Within the lease, a duplicate message and the dispatcher leave it be:
        notification_deliver(row_id)
        assert services.notifications_hand_out(now=timezone.now(), limit=10) == []
        assert attempts_of(alpha) == [("sending", "")]
        # The lease has passed since the worker died.
        ago = timedelta(seconds=settings.NOTIFICATION_LEASE_SECONDS + 1)
        DeliveryAttempt.objects.update(started_at=F("started_at") - ago)
        Notification.objects.update(dispatched_at=F("dispatched_at") - ago)
        assert services.notifications_hand_out(now=timezone.now(), limit=10) == [row_id]
        notification_deliver(row_id)
    assert attempts_of(alpha) == [
        ("interrupted", "The worker stopped before recording the outcome."), ("sent", "")]
    assert rows_of(alpha) == [("tests_reminder", "email", "sent", 2)]
    assert len(mailbox.messages) == 2
    assert len({message["Message-ID"] for message in mailbox.messages}) == 1


def test_an_unknown_kind_or_the_last_interrupted_attempt_gives_up(
    alpha: PracticeWorld, beta: PracticeWorld, settings: Any,
) -> None:
    give_portal(alpha)
    settings.NOTIFICATION_MAX_ATTEMPTS = 1
    lease = timedelta(seconds=settings.NOTIFICATION_LEASE_SECONDS)
    with inside(alpha):
        notification_enqueue(recipient=alpha.client, kind="tests_reminder", idempotency_key="u")
        Notification.objects.create(recipient=alpha.client, kind="gone_kind", channel="email",
                                    idempotency_key="gone:email")
        now = timezone.now()
        [first, second] = [row["id"] for row in outbox(alpha)]
        assert services.notification_claim(notification_id=first, now=now) is not None
        # The worker died; the last allowed attempt was that one.
        assert services.notification_claim(notification_id=first,
                                           now=now + lease + timedelta(seconds=1)) is None
        assert services.notification_claim(notification_id=second, now=now) is None
    assert [(row["status"], row["attempts"]) for row in outbox(alpha)] == [
        ("gave_up", 1), ("gave_up", 0)]
    assert [outcome for outcome, _ in attempts_of(alpha)] == ["interrupted", "gave_up", "gave_up"]


def test_push_reaches_every_device_once_and_a_gone_device_is_not_a_failure(
    alpha: PracticeWorld, beta: PracticeWorld, broker: RedisBroker, mailbox: Mailbox,
) -> None:
    give_portal(alpha)
    with PushReceiver() as service:
        phone, laptop, old = service.browser(), service.browser(), service.browser()
        for browser in (phone, laptop, old):
            give_device(alpha, alpha.client, browser.endpoint, browser.p256dh, browser.auth)
        service.answer(old.endpoint, 410)
        with inside(alpha):
            [_email, push] = notification_enqueue(
                recipient=alpha.client, kind="tests_reminder", idempotency_key="push:1")
        run_pipeline(broker, alpha)
        with inside(alpha):
            tag = delivery.push_tag(push, schema_name=alpha.practice.schema_name)
            topic = delivery.push_topic(push, schema_name=alpha.practice.schema_name)
            devices = list(PushSubscription.objects.values_list("endpoint", flat=True))
        assert sorted(received.browser.endpoint for received in service.received) == sorted(
            [phone.endpoint, laptop.endpoint])
        for received in service.received:
            assert received.payload == {"title": "You have a session tomorrow",
                                        "body": "You have a session tomorrow.",
                                        "url": "/portal/", "tag": tag}
            assert (received.headers["topic"], received.headers["urgency"],
                    received.headers["ttl"]) == (topic, "normal", str(24 * 3600))
    assert sorted(devices) == sorted([phone.endpoint, laptop.endpoint])
    assert rows_of(alpha) == [("tests_reminder", "email", "sent", 1),
                              ("tests_reminder", "push", "sent", 1)]
    assert len(mailbox.messages) == 1

    # Every device gone by the time it is sent: skipped, not failed.
    with PushReceiver() as service:
        with inside(alpha):
            PushSubscription.objects.all().delete()
        only = service.browser()
        give_device(alpha, alpha.client, only.endpoint, only.p256dh, only.auth)
        service.answer(only.endpoint, 404)
        with inside(alpha):
            notification_enqueue(recipient=alpha.client, kind="tests_reminder",
                                 idempotency_key="push:2", channels=["push"])
        run_pipeline(broker, alpha)
        # The push service is down for one device: retried later.
        flaky = service.browser()
        give_device(alpha, alpha.client, flaky.endpoint, flaky.p256dh, flaky.auth)
        service.answer(flaky.endpoint, 503)
        with inside(alpha):
            notification_enqueue(recipient=alpha.client, kind="tests_reminder",
                                 idempotency_key="push:3", channels=["push"])
        run_pipeline(broker, alpha)
    assert rows_of(alpha)[2:] == [("tests_reminder", "push", "skipped", 1),
                                  ("tests_reminder", "push", "failed", 1)]
    assert attempts_of(alpha)[2:] == [("skipped", "No device to send to."),
                                      ("failed", "PushDeliveryError")]
