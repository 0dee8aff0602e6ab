"""Delivery in batches keeps every guarantee: one delivery message carries several
notifications, claimed and recorded a group per transaction, sent over one reused SMTP
connection per worker thread, which is replaced when the server drops it; a group's pushes read
their devices and record their success once; a claim given back unsent is claimed again, never
sent twice. Actors are called as the worker calls them (the
kill-the-worker and Redis-outage proof with real processes is test_crash.py)."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from practice.notifications import connections, services, tasks
from practice.notifications.models import DeliveryAttempt, Notification, PushSubscription
from practice.notifications.services import notification_enqueue
from practice.notifications.tasks import chunks, notification_deliver
from tests.conftest import PracticeWorld, _free_port
from tests.notifications.helpers import give_device, give_portal, inside
from tests.push.receiver import PushReceiver

pytestmark = pytest.mark.django_db


class CountingServer:
    """Keeps each message with the client port it came on (one port per connection); answers
    421 (closing the connection) to the message numbers in `close_on`, counted from 1."""

    def __init__(self, close_on: frozenset[int] = frozenset()) -> None:
        self.received: list[tuple[int, str]] = []
        self.close_on = close_on
        self.seen = 0
        self.lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        with self.lock:
            self.seen += 1
            if self.seen in self.close_on:
                return "421 4.3.2 Closing the connection"
            message_id = next((line.split(b":", 1)[1].strip().decode()
                               for line in envelope.content.splitlines()
                               if line.lower().startswith(b"message-id:")), "")
            self.received.append((session.peer[1], message_id))
        return "250 OK"

    @property
    def connections(self) -> int:
        return len({port for port, _ in self.received})


@pytest.fixture
def counting_smtp(settings: Any) -> Iterator[CountingServer]:
    yield from _serve(CountingServer(), settings)


@pytest.fixture
def closing_smtp(settings: Any) -> Iterator[CountingServer]:
    yield from _serve(CountingServer(close_on=frozenset({3})), settings)


def _serve(handler: CountingServer, settings: Any) -> Iterator[CountingServer]:
    port = _free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_PORT = port
    connections.close_mail_connection()
    try:
        yield handler
    finally:
        connections.close_mail_connection()
        controller.stop()


def enqueue(world: PracticeWorld, count: int, prefix: str = "b") -> list[int]:
    with inside(world):
        for number in range(count):
            recipient = (world.clinician, world.owner)[number % 2]
            notification_enqueue(recipient=recipient, kind="alert_raised",
                                 idempotency_key=f"{prefix}:{number}",
                                 context={"alert_id": number})
        return services.notifications_hand_out(now=timezone.now(), limit=1000)


def outcomes(world: PracticeWorld) -> Counter[str]:
    with inside(world):
        return Counter(DeliveryAttempt.objects.values_list("outcome", flat=True))


def sent_once_each(world: PracticeWorld) -> bool:
    with inside(world):
        per_row = Counter(DeliveryAttempt.objects.filter(outcome="sent").values_list(
            "notification_id", flat=True))
        return sorted(per_row.values()) == [1] * Notification.objects.count()


def test_a_batch_goes_over_one_connection_in_few_transactions_each_sent_once(
    alpha: PracticeWorld, beta: PracticeWorld, counting_smtp: CountingServer,
) -> None:
    give_portal(alpha)
    tasks._thread.__dict__.pop("group", None)  # this thread's first message
    ids = enqueue(alpha, 40)
    assert len(ids) == 40
    assert [len(chunk) for chunk in chunks(ids)] == [5] * 8  # spread over worker threads
    assert [len(chunk) for chunk in chunks(list(range(1000)))] == [100] * 10

    with inside(alpha), CaptureQueriesContext(connection) as queries:
        notification_deliver(*ids)
    assert len(counting_smtp.received) == 40
    assert counting_smtp.connections == 1
    assert len({message_id for _, message_id in counting_smtp.received}) == 40
    assert outcomes(alpha) == Counter({"sent": 40})
    assert sent_once_each(alpha)
    with inside(alpha):
        assert set(Notification.objects.values_list("status", "attempts")) == {("sent", 1)}
    # Groups of 1, 2, 4, 8, 16 and the last 9: six claims and six records, each a few
    # statements, rather than a dozen statements per notification.
    statements = [q["sql"] for q in queries.captured_queries]
    assert sum(1 for sql in statements if "SKIP LOCKED" in sql) == 6
    # Nothing read per email: the recipient's language (a client's portal access, a family
    # member's proxy account) comes with the claim.
    assert not [sql for sql in statements
                if "family_proxyaccount" in sql and "SKIP LOCKED" not in sql]
    assert len(statements) < 90, len(statements)

    # The same message again (a duplicate in the queue): nothing more leaves.
    with inside(alpha):
        notification_deliver(*ids)
    assert len(counting_smtp.received) == 40
    assert outcomes(alpha) == Counter({"sent": 40})


def test_a_dropped_connection_is_replaced_and_nothing_is_sent_twice(
    alpha: PracticeWorld, beta: PracticeWorld, closing_smtp: CountingServer,
) -> None:
    """The server answers the third email with 421 and closes the connection: that attempt
    fails (retried later, as before), the next email opens a new connection."""
    give_portal(alpha)
    ids = enqueue(alpha, 6)
    with inside(alpha):
        notification_deliver(*ids)
    assert outcomes(alpha) == Counter({"sent": 5, "failed": 1})
    assert closing_smtp.connections == 2
    with inside(alpha):
        failed = Notification.objects.get(status="failed")
        assert failed.last_error == "SMTPDataError 421"
        # The backoff is over: the retry goes out once, on the connection now open.
        Notification.objects.filter(pk=failed.pk).update(next_attempt_at=timezone.now())
        again = services.notifications_hand_out(now=timezone.now(), limit=10)
        assert again == [failed.pk]
        notification_deliver(*again)
    assert outcomes(alpha) == Counter({"sent": 6, "failed": 1})
    assert sent_once_each(alpha)
    assert len(closing_smtp.received) == 6
    assert len({message_id for _, message_id in closing_smtp.received}) == 6
    assert closing_smtp.connections == 2


def test_a_claim_given_back_unsent_is_claimed_again_and_counted_once(
    alpha: PracticeWorld, beta: PracticeWorld,
) -> None:
    give_portal(alpha)
    ids = enqueue(alpha, 3)
    now = timezone.now()
    with inside(alpha):
        claims = services.notifications_claim(notification_ids=ids, now=now)
        assert [claim.notification.pk for claim in claims] == sorted(ids)
        # Claimed: a second worker gets none of them (locked, then being sent).
        assert services.notifications_claim(notification_ids=ids, now=now) == []
        services.notifications_record(results=[(claims[0], services.Outcome(sent=True))],
                                      released=claims[1:], now=timezone.now())
        rows = {row.pk: row for row in Notification.objects.all()}
        assert [(rows[pk].status, rows[pk].attempts) for pk in sorted(ids)] == [
            ("sent", 1), ("pending", 0), ("pending", 0)]
        # Still handed out to this worker: the dispatcher leaves them be within the lease.
        assert services.notifications_hand_out(now=timezone.now(), limit=10) == []
        again = services.notifications_claim(notification_ids=ids, now=timezone.now())
        assert [claim.notification.pk for claim in again] == sorted(ids)[1:]
    assert outcomes(alpha) == Counter({"sent": 1, "sending": 2})


def test_a_group_of_pushes_reads_its_devices_once_and_records_their_success_once(
    alpha: PracticeWorld, beta: PracticeWorld,
) -> None:
    tasks._thread.__dict__.pop("group", None)  # this thread's first message
    with PushReceiver() as service:
        phone = service.browser()
        device = give_device(alpha, alpha.clinician, phone.endpoint, phone.p256dh, phone.auth)
        look_alike = give_device(beta, beta.clinician, "https://fcm.googleapis.com/fcm/send/b",
                                 phone.p256dh, phone.auth)
        assert look_alike.pk == device.pk
        with inside(alpha):
            for number in range(20):
                notification_enqueue(recipient=alpha.clinician, kind="alert_raised",
                                     idempotency_key=f"p:{number}",
                                     context={"alert_id": number}, channels=["push"])
            ids = services.notifications_hand_out(now=timezone.now(), limit=100)
        with inside(alpha), CaptureQueriesContext(connection) as queries:
            notification_deliver(*ids)

    assert len(service.received) == 20 and service.rejected == []
    assert len({push.headers["topic"] for push in service.received}) == 20
    assert outcomes(alpha) == Counter({"sent": 20})
    assert sent_once_each(alpha)
    # Groups of 1, 2, 4, 8 and the last 5: the devices read once a group and their last
    # success written once a group, not a read and a write per push.
    statements = [q["sql"] for q in queries.captured_queries]
    assert sum(1 for sql in statements if "SKIP LOCKED" in sql) == 5
    assert sum(1 for sql in statements
               if sql.startswith("SELECT") and "pushsubscription" in sql) == 5
    assert sum(1 for sql in statements
               if sql.startswith("UPDATE") and "pushsubscription" in sql) == 5
    with inside(alpha):
        assert PushSubscription.objects.get().last_success_at is not None
    with inside(beta):
        assert PushSubscription.objects.get().last_success_at is None
