"""End to end through a real dramatiq worker: Stripe's webhook records the event, the committed
transaction enqueues the platform-wide job, and the worker mirrors the current subscription."""

from __future__ import annotations

import pytest

from billing.models import StripeEvent, Subscription
from config import broker as tandem_broker
from tenants.models import BillingState, Practice
from tests.billing.conftest import FakeStripe, event, post_event, public_client, with_customer
from tests.conftest import make_practice
from tests.jobs.conftest import drain, running_worker

pytestmark = pytest.mark.usefixtures("committed_db")


def test_a_webhook_is_processed_by_the_worker(fake: FakeStripe, prices: dict[str, str]) -> None:
    alpha = make_practice("alpha", "Alpha Therapy")
    beta = make_practice("beta", "Beta Counselling")
    record = with_customer(alpha)
    with_customer(beta)
    subscription_id = fake.subscribe(
        record.stripe_customer_id, prices["tandem_program_monthly"], "active")
    payload = event("customer.subscription.created", {
        "id": subscription_id, "object": "subscription", "customer": record.stripe_customer_id,
        "status": "active"})

    assert post_event(public_client(), payload).status_code == 200
    broker = tandem_broker.setup()
    with running_worker(broker, queues=("default",)) as worker:
        drain(broker, worker, queues=("default",))

    practice = Practice.objects.get(pk=alpha.practice.pk)
    assert (practice.billing_state, practice.plan_key) == (BillingState.ACTIVE, "program")
    stored = StripeEvent.objects.get()
    assert (stored.attempts, stored.last_error) == (1, "")
    assert stored.processed_at is not None
    assert Subscription.objects.get(pk=record.pk).stripe_subscription_id == subscription_id
    other = Practice.objects.get(pk=beta.practice.pk)
    assert (other.billing_state, other.plan_key) == (BillingState.TRIALING, "")
