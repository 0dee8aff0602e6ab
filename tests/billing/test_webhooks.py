"""Stripe's webhook: verified signatures only (bad, stale and future ones are 400 and change
nothing), each event recorded once, processing in a job that fetches the current subscription
from Stripe (so events out of order cannot roll the state back), and every billing state."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

from billing.models import StripeEvent, Subscription, SubscriptionStatus
from billing.services import grace_periods_expire, stripe_event_process
from config import broker as tandem_broker
from tenants.audit.models import AuditEvent
from tenants.models import BillingState, Practice
from tests.billing.conftest import (
    FakeStripe,
    event,
    post_event,
    public_client,
    sign,
    with_customer,
)
from tests.conftest import PracticeWorld
from tests.jobs.conftest import queued


def _state(world: PracticeWorld) -> tuple[str, str]:
    practice = Practice.objects.get(pk=world.practice.pk)
    return practice.billing_state, practice.plan_key


def _snapshot(*worlds: PracticeWorld) -> list[Any]:
    rows = [
        tuple(Subscription.objects.filter(practice=w.practice).values_list(
            "status", "stripe_subscription_id", "plan_key", "trial_end", "grace_until",
        ).first() or ()) + _state(w)
        for w in worlds
    ]
    return [rows, StripeEvent.objects.count(),
            AuditEvent.objects.filter(action__startswith="billing.").count()]


def _subscription_object(subscription_id: str, customer: str, status: str) -> dict[str, Any]:
    return {"id": subscription_id, "object": "subscription", "customer": customer,
            "status": status}


def _deliver_and_process(http: Client, payload: dict[str, Any]) -> None:
    response = post_event(http, payload)
    assert response.status_code == 200
    stripe_event_process(event_id=payload["id"])


@pytest.mark.parametrize(
    ("stripe_status", "billing_state", "plan"),
    [
        ("trialing", BillingState.TRIALING, ("solo", "month")),
        ("active", BillingState.ACTIVE, ("group", "month")),
        ("active", BillingState.ACTIVE, ("program", "year")),
        ("past_due", BillingState.PAST_DUE, ("group", "year")),
        ("unpaid", BillingState.UNPAID, ("solo", "year")),
        ("canceled", BillingState.CANCELED, ("group", "month")),
    ],
)
def test_each_subscription_status_moves_the_practice(
    alpha: PracticeWorld, beta: PracticeWorld, fake: FakeStripe, prices: dict[str, str],
    stripe_status: str, billing_state: str, plan: tuple[str, str],
) -> None:
    plan_key, interval = plan
    lookup_key = f"tandem_{plan_key}_{'monthly' if interval == 'month' else 'yearly'}"
    record = with_customer(alpha)
    with_customer(beta)
    before_beta = _snapshot(beta)[0]
    subscription_id = fake.subscribe(record.stripe_customer_id, prices[lookup_key], stripe_status)

    _deliver_and_process(public_client(), event(
        "customer.subscription.updated",
        _subscription_object(subscription_id, record.stripe_customer_id, "whatever"),
    ))

    assert _state(alpha) == (billing_state, plan_key)
    record.refresh_from_db()
    assert (record.status, record.stripe_subscription_id, record.plan_key, record.interval,
            record.stripe_price_id) == (
        stripe_status, subscription_id, plan_key, interval, prices[lookup_key])
    if stripe_status == "past_due":
        expected = timezone.now() + timedelta(days=7)
        assert abs((record.grace_until - expected).total_seconds()) < 30
    else:
        assert record.grace_until is None
    assert _snapshot(beta)[0] == before_beta
    audit = list(AuditEvent.objects.filter(action="billing.state_changed").values_list(
        "actor_id", "actor_role", "object_id", "detail"))
    assert audit == [(None, "stripe", str(alpha.practice.pk), {
        "from": "trialing", "to": billing_state, "plan_from": "", "plan_to": plan_key})]


def test_invoice_payment_failed_then_paid_then_grace_over(
    alpha: PracticeWorld, fake: FakeStripe, prices: dict[str, str]
) -> None:
    record = with_customer(alpha)
    subscription_id = fake.subscribe(
        record.stripe_customer_id, prices["tandem_solo_monthly"], "active")
    http = public_client()
    _deliver_and_process(http, event("customer.subscription.created", _subscription_object(
        subscription_id, record.stripe_customer_id, "active")))
    assert _state(alpha) == (BillingState.ACTIVE, "solo")

    fake.set_subscription(subscription_id, status="past_due")
    invoice = {"id": "in_1", "object": "invoice", "customer": record.stripe_customer_id,
               "parent": {"subscription_details": {"subscription": subscription_id}}}
    _deliver_and_process(http, event("invoice.payment_failed", invoice))
    assert _state(alpha) == (BillingState.PAST_DUE, "solo")
    first_grace = Subscription.objects.get(pk=record.pk).grace_until

    # A second failure does not restart the grace period.
    _deliver_and_process(http, event("invoice.payment_failed", {**invoice, "id": "in_2"}))
    assert Subscription.objects.get(pk=record.pk).grace_until == first_grace

    # Nothing happens before the grace period ends; after it, read-only.
    assert grace_periods_expire() == 0
    Subscription.objects.filter(pk=record.pk).update(
        grace_until=timezone.now() - timedelta(minutes=1))
    assert grace_periods_expire() == 1
    assert _state(alpha) == (BillingState.UNPAID, "solo")
    assert Practice.objects.get(pk=alpha.practice.pk).is_read_only is True

    # The card is fixed: paid, active again, the grace period forgotten.
    fake.set_subscription(subscription_id, status="active")
    _deliver_and_process(http, event("invoice.paid", {
        "id": "in_3", "object": "invoice", "customer": record.stripe_customer_id,
        "subscription": subscription_id}))
    assert _state(alpha) == (BillingState.ACTIVE, "solo")
    assert Subscription.objects.get(pk=record.pk).grace_until is None


def test_checkout_completed_adopts_the_new_subscription(
    alpha: PracticeWorld, fake: FakeStripe, prices: dict[str, str]
) -> None:
    record = with_customer(alpha)
    subscription_id = fake.subscribe(
        record.stripe_customer_id, prices["tandem_group_yearly"], "trialing")
    _deliver_and_process(public_client(), event("checkout.session.completed", {
        "id": "cs_test_1", "object": "checkout.session", "customer": record.stripe_customer_id,
        "subscription": subscription_id, "mode": "subscription"}))
    record.refresh_from_db()
    assert (record.stripe_subscription_id, record.status, record.plan_key) == (
        subscription_id, "trialing", "group")
    assert _state(alpha) == (BillingState.TRIALING, "group")


def test_a_duplicate_event_changes_nothing(
    alpha: PracticeWorld, fake: FakeStripe, prices: dict[str, str],
    django_capture_on_commit_callbacks: Any,
) -> None:
    record = with_customer(alpha)
    subscription_id = fake.subscribe(
        record.stripe_customer_id, prices["tandem_solo_monthly"], "active")
    payload = event("customer.subscription.updated", _subscription_object(
        subscription_id, record.stripe_customer_id, "active"))
    http = public_client()
    broker = tandem_broker.setup()

    with django_capture_on_commit_callbacks(execute=True):
        assert post_event(http, payload).status_code == 200
    assert [m.args for m in queued(broker, "default")] == [(payload["id"],)]
    stripe_event_process(event_id=payload["id"])
    assert _state(alpha) == (BillingState.ACTIVE, "solo")
    before = _snapshot(alpha)

    # Stripe now says canceled; the same event delivered again must change nothing.
    fake.set_subscription(subscription_id, status="canceled")
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        assert post_event(http, payload).status_code == 200
    assert callbacks == []
    assert [m.args for m in queued(broker, "default")] == [(payload["id"],)]
    stripe_event_process(event_id=payload["id"])  # the job, run again, does nothing either
    assert _snapshot(alpha) == before
    stored = StripeEvent.objects.get()
    assert (stored.event_id, stored.type, stored.attempts, stored.subscription_id,
            stored.customer_id, stored.last_error) == (
        payload["id"], "customer.subscription.updated", 1, subscription_id,
        record.stripe_customer_id, "")
    assert stored.processed_at is not None


def test_events_out_of_order_the_current_object_wins(
    alpha: PracticeWorld, fake: FakeStripe, prices: dict[str, str]
) -> None:
    record = with_customer(alpha)
    subscription_id = fake.subscribe(
        record.stripe_customer_id, prices["tandem_group_monthly"], "active")
    fake.set_subscription(subscription_id, status="canceled")
    now = int(time.time())
    older = event("customer.subscription.updated", _subscription_object(
        subscription_id, record.stripe_customer_id, "active"), created=now - 60)
    newer = event("customer.subscription.deleted", _subscription_object(
        subscription_id, record.stripe_customer_id, "canceled"), created=now)
    http = public_client()

    # The newer event arrives first, the older one (whose payload says active) after it.
    _deliver_and_process(http, newer)
    assert _state(alpha) == (BillingState.CANCELED, "group")
    _deliver_and_process(http, older)
    assert _state(alpha) == (BillingState.CANCELED, "group")
    assert Subscription.objects.get(pk=record.pk).status == SubscriptionStatus.CANCELED


def test_an_old_subscription_ending_does_not_cancel_the_current_one(
    alpha: PracticeWorld, fake: FakeStripe, prices: dict[str, str]
) -> None:
    record = with_customer(alpha)
    http = public_client()
    old_id = fake.subscribe(record.stripe_customer_id, prices["tandem_solo_monthly"], "canceled")
    new_id = fake.subscribe(record.stripe_customer_id, prices["tandem_group_monthly"], "active")
    _deliver_and_process(http, event("customer.subscription.created", _subscription_object(
        new_id, record.stripe_customer_id, "active")))
    _deliver_and_process(http, event("customer.subscription.deleted", _subscription_object(
        old_id, record.stripe_customer_id, "canceled")))
    assert _state(alpha) == (BillingState.ACTIVE, "group")
    assert Subscription.objects.get(pk=record.pk).stripe_subscription_id == new_id


def test_a_failed_fetch_is_recorded_and_raised_for_a_retry(
    alpha: PracticeWorld, fake: FakeStripe
) -> None:
    record = with_customer(alpha)
    payload = event("customer.subscription.updated", _subscription_object(
        "sub_missing", record.stripe_customer_id, "active"))
    assert post_event(public_client(), payload).status_code == 200
    with pytest.raises(Exception, match="No such|Not Found|404"):
        stripe_event_process(event_id=payload["id"])
    stored = StripeEvent.objects.get()
    assert (stored.attempts, stored.processed_at) == (1, None)
    assert stored.last_error != ""
    assert _state(alpha) == (BillingState.TRIALING, "")


def test_an_event_for_no_practice_is_processed_and_changes_nothing(
    alpha: PracticeWorld, fake: FakeStripe, prices: dict[str, str]
) -> None:
    with_customer(alpha)
    import stripe

    stranger = stripe.Customer.create(name="Someone else", email="x@example.org")
    subscription_id = fake.subscribe(stranger["id"], prices["tandem_solo_monthly"], "active")
    before = _snapshot(alpha)
    payload = event("customer.subscription.updated", _subscription_object(
        subscription_id, stranger["id"], "active"))
    _deliver_and_process(public_client(), payload)
    assert _snapshot(alpha)[0] == before[0]
    assert StripeEvent.objects.get().processed_at is not None


def _bad_deliveries() -> list[tuple[str, Any]]:
    return [
        ("wrong secret", lambda body: sign(body, int(time.time()), "whsec_someone_else")),
        ("stale", lambda body: sign(body, int(time.time()) - 301)),
        ("future", lambda body: sign(body, int(time.time()) + 301)),
        ("far future", lambda body: sign(body, int(time.time()) + 86400)),
        ("no signature", lambda body: ""),
        ("garbage", lambda body: "nonsense"),
        ("no v1", lambda body: f"t={int(time.time())}"),
        ("two timestamps", lambda body: sign(body, int(time.time())) + f",t={int(time.time())}"),
        ("tampered body", lambda body: sign(body.replace("active", "canceled"), int(time.time()))),
    ]


@pytest.mark.parametrize(("case", "make_header"), _bad_deliveries(),
                         ids=[case for case, _ in _bad_deliveries()])
def test_bad_stale_and_future_signatures_are_refused(
    alpha: PracticeWorld, fake: FakeStripe, prices: dict[str, str], case: str, make_header: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    import json

    record = with_customer(alpha)
    subscription_id = fake.subscribe(
        record.stripe_customer_id, prices["tandem_solo_monthly"], "canceled")
    body = json.dumps(event("customer.subscription.deleted", _subscription_object(
        subscription_id, record.stripe_customer_id, "active")))
    before = _snapshot(alpha)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = post_event(public_client(), body, signature=make_header(body))
    assert response.status_code == 400
    assert callbacks == []
    assert _snapshot(alpha) == before
    assert StripeEvent.objects.count() == 0
    assert queued(tandem_broker.setup(), "default") == []


def test_a_timestamp_just_inside_the_tolerance_is_accepted(
    alpha: PracticeWorld, fake: FakeStripe
) -> None:
    record = with_customer(alpha)
    for offset in (-290, 290):
        payload = event("customer.updated", {"id": record.stripe_customer_id,
                                             "object": "customer"})
        response = post_event(public_client(), payload, timestamp=int(time.time()) + offset)
        assert response.status_code == 200
    assert StripeEvent.objects.count() == 2


def test_the_webhook_only_answers_post_on_the_platform_host(alpha: PracticeWorld) -> None:
    payload = event("customer.updated", {"id": "cus_x", "object": "customer"})
    assert public_client().get("/stripe/webhook").status_code == 405
    response = post_event(alpha.http(), payload)
    assert response.status_code == 404
    connection.set_schema_to_public()
    assert StripeEvent.objects.count() == 0


def test_events_left_unprocessed_are_sent_again(alpha: PracticeWorld, fake: FakeStripe) -> None:
    from billing.services import stripe_events_requeue

    record = with_customer(alpha)
    fresh = event("customer.updated", {"id": record.stripe_customer_id, "object": "customer"})
    stale = event("customer.updated", {"id": record.stripe_customer_id, "object": "customer"})
    done = event("customer.updated", {"id": record.stripe_customer_id, "object": "customer"})
    for payload in (fresh, stale, done):
        assert post_event(public_client(), payload).status_code == 200
    stripe_event_process(event_id=done["id"])
    StripeEvent.objects.filter(event_id__in=[stale["id"], done["id"]]).update(
        received_at=timezone.now() - timedelta(hours=1))

    assert stripe_events_requeue() == 1
    assert [m.args for m in queued(tandem_broker.setup(), "default")] == [(stale["id"],)]
