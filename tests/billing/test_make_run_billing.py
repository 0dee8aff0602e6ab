"""Billing as `make run` sets it up, end to end: localstripe started by devstack's own function
with devstack's keys, its webhooks posted to the platform (a live server here) and processed by a
real dramatiq worker. A newcomer signs up, picks a plan, pays on the local checkout page, sees the
practice on its plan; the trial ends (active), a payment fails (past due, grace, banner), the
grace runs out (read-only, writes refused), the card works again (active). A second practice,
signed up beside it, stays on its trial throughout."""

from __future__ import annotations

import re
import socket
import time
from collections.abc import Iterator
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
import requests
from django.contrib.staticfiles.handlers import StaticFilesHandler
from django.core.management import call_command
from django.test import Client
from django.test.testcases import LiveServerThread
from django_tenants.utils import schema_context

from billing.models import StripeEvent, Subscription
from config import broker as tandem_broker
from config import devstack
from tenants.accounts.models import Role, User
from tenants.models import BillingState, Practice
from tests.jobs.conftest import drain, running_worker

# localstripe signs its webhooks on the real clock, and the app checks their timestamps.
pytestmark = [pytest.mark.usefixtures("committed_db"), pytest.mark.wall_clock]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def platform(settings: Any) -> Iterator[int]:
    settings.PLATFORM_DOMAIN = "localhost"
    settings.ALLOWED_HOSTS = ["localhost", ".localhost"]
    thread = LiveServerThread("127.0.0.1", StaticFilesHandler, port=0)
    thread.daemon = True
    thread.start()
    thread.is_ready.wait()
    if thread.error:
        raise thread.error
    settings.PLATFORM_PORT = str(thread.port)
    yield thread.port
    thread.terminate()


@pytest.fixture
def make_run_stripe(platform: int, settings: Any, tmp_path: Path,
                    monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """localstripe exactly as devstack starts it, on a free port, and devstack's settings."""
    monkeypatch.delenv("STRIPE_SECRET_KEY", raising=False)
    monkeypatch.setattr(devstack, "STRIPE_PORT", str(_free_port()))
    values = devstack.local_stripe_env()
    assert values["STRIPE_SECRET_KEY"] == devstack.DEV_STRIPE_SECRET_KEY
    process = devstack.start_local_stripe(
        devstack.STRIPE_PORT, f"http://localhost:{platform}/stripe/webhook",
        tmp_path / "localstripe.pickle")
    for name, value in values.items():
        setattr(settings, name, value)
    settings.STRIPE_WEBHOOK_TOLERANCE = 300
    try:
        yield values["STRIPE_API_BASE"]
    finally:
        process.terminate()
        process.wait(timeout=10)


def _sign_up(subdomain: str, name: str) -> tuple[Practice, Client]:
    response = Client(HTTP_HOST="localhost").post("/signup/", {
        "practice_name": name, "subdomain": subdomain, "owner_name": "Nia Newcomer",
        "owner_email": f"nia@{subdomain}.example.org",
        "owner_password": "a-long-newcomer-passphrase-2026"})
    assert response.status_code == 200, response.content.decode()[:2000]
    practice = Practice.objects.get(subdomain=subdomain)
    owner_http = Client(HTTP_HOST=f"{subdomain}.localhost")
    with schema_context(practice.schema_name):
        owner_http.force_login(User.objects.get(role=Role.OWNER))
    return practice, owner_http


def _process_webhooks(broker: Any, expected_types: set[str], seconds: float = 20) -> None:
    """Wait for localstripe's webhooks (sent a second after each change) and let the worker
    process them."""
    deadline = time.monotonic() + seconds
    while not expected_types <= set(StripeEvent.objects.values_list("type", flat=True)):
        assert time.monotonic() < deadline, list(StripeEvent.objects.values_list("type",
                                                                                flat=True))
        time.sleep(0.2)
    with running_worker(broker, queues=("default",)) as worker:
        drain(broker, worker, queues=("default",))


def _demo(subdomain: str, step: str) -> str:
    out = StringIO()
    call_command("billing_demo", subdomain, step, stdout=out)
    return out.getvalue().strip()


def _state(practice: Practice) -> tuple[str, str]:
    practice.refresh_from_db()
    return practice.billing_state, practice.plan_key


def test_a_newcomer_buys_a_plan_and_lives_through_a_failed_payment(
    make_run_stripe: str,
) -> None:
    broker = tandem_broker.setup()
    call_command("sync_stripe_prices", stdout=StringIO())
    practice, owner = _sign_up("newco", "Newcomer Counseling")
    other, _ = _sign_up("other", "Other Practice")
    # The signup jobs make each practice's Stripe customer.
    with running_worker(broker, queues=("default",)) as worker:
        drain(broker, worker, queues=("default",))
    assert Subscription.objects.get(practice=practice).stripe_customer_id.startswith("cus_")
    assert _state(practice) == (BillingState.TRIALING, "")
    page = owner.get("/billing/").content.decode()
    assert "Billing is not configured" not in page

    # Pick a plan: Checkout is localstripe's page; pay with the test card.
    checkout = owner.post("/billing/checkout/", {"plan": "group", "interval": "month"})
    assert checkout.status_code == 303
    assert checkout["Location"].startswith(f"{make_run_stripe}/_config/checkout/cs_test_")
    checkout_page = requests.get(checkout["Location"], timeout=10)
    assert "Pay with the test card 4242 4242 4242 4242" in checkout_page.text
    paid = requests.post(checkout["Location"], data={"action": "pay"}, allow_redirects=False,
                         timeout=10)
    assert paid.status_code == 303
    assert paid.headers["Location"] == "http://newco.localhost/billing/?checkout=success"
    _process_webhooks(broker, {"checkout.session.completed", "customer.subscription.created"})
    # The rest of the card-less trial carries over, now on the Group plan.
    assert _state(practice) == (BillingState.TRIALING, "group")

    assert _demo("newco", "end-trial") == "newco: plan group, billing Active"
    _process_webhooks(broker, {"customer.subscription.updated"})
    assert _state(practice) == (BillingState.ACTIVE, "group")

    message = _demo("newco", "fail-payment")
    assert re.fullmatch(r"newco: plan group, billing Payment failed \(grace period\), grace "
                        r"until \d{4}-\d\d-\d\d \d\d:\d\d UTC", message), message
    assert "A payment failed" in owner.get("/").content.decode()
    assert owner.post("/staff/invite/", {}).status_code != 403  # still writable in grace

    assert _demo("newco", "end-grace") == "newco: plan group, billing Unpaid (read-only)"
    refused = owner.post("/staff/invite/", {"email": "x@example.org", "full_name": "X",
                                            "role": "clinician"})
    assert refused.status_code == 403
    assert "read-only" in refused.content.decode()

    assert _demo("newco", "pay") == "newco: plan group, billing Active"
    assert _state(practice) == (BillingState.ACTIVE, "group")
    _process_webhooks(broker, {"customer.subscription.updated"})
    assert _state(practice) == (BillingState.ACTIVE, "group")
    # The other practice was never touched.
    assert _state(other) == (BillingState.TRIALING, "")
    assert not Subscription.objects.get(practice=other).stripe_subscription_id


def test_billing_demo_refuses_a_stripe_that_is_not_local(settings: Any) -> None:
    settings.STRIPE_SECRET_KEY = "sk_live_x"
    settings.STRIPE_API_BASE = "https://api.stripe.com"
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="only runs against the local Stripe"):
        call_command("billing_demo", "demo", "fail-payment")
