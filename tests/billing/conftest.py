"""Stripe without the network: the suite starts localstripe (with a stand-in for Checkout, the
Customer Portal and Prices, see billing/devstripe.py) once, on a free port, and points the Stripe
client at it. Webhook payloads are signed the way Stripe signs them."""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
import stripe
from django.core.management import call_command
from django.test import Client
from django_tenants.utils import schema_context

from billing import services
from billing.models import Subscription
from tenants.accounts.models import Role, User
from tests.conftest import PASSWORD, PracticeWorld

WEBHOOK_SECRET = "whsec_suite_secret"
SECRET_KEY = "sk_test_suite"
BASE_DIR = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def fake_stripe_url() -> Iterator[str]:
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "billing.devstripe", "--port", str(port)], cwd=BASE_DIR,
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 15
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                raise RuntimeError(
                    f"fake Stripe did not start: {process.stderr.read().decode()}"  # type: ignore
                ) from None
            time.sleep(0.05)
    yield url
    process.terminate()
    process.wait(timeout=10)


@pytest.fixture(autouse=True)
def stripe_settings(settings: Any, fake_stripe_url: str) -> str:
    settings.STRIPE_API_BASE = fake_stripe_url
    settings.STRIPE_SECRET_KEY = SECRET_KEY
    settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
    settings.STRIPE_WEBHOOK_TOLERANCE = 300
    settings.PAST_DUE_GRACE_DAYS = 7
    return fake_stripe_url


def use_stripe(url: str) -> None:
    """Point the Stripe client at the fake for a test's own reads and set-up."""
    stripe.api_key = SECRET_KEY
    stripe.api_base = url


@pytest.fixture
def fake(stripe_settings: str) -> FakeStripe:
    use_stripe(stripe_settings)
    return FakeStripe(stripe_settings)


class FakeStripe:
    """Reads and test controls on the fake Stripe server."""

    def __init__(self, url: str) -> None:
        self.url = url

    def customer(self, customer_id: str) -> dict[str, Any]:
        return requests.get(f"{self.url}/v1/customers/{customer_id}", auth=(SECRET_KEY, ""),
                            timeout=5).json()

    def checkout_session(self, session_id: str) -> dict[str, Any]:
        return requests.get(f"{self.url}/v1/checkout/sessions/{session_id}",
                            auth=(SECRET_KEY, ""), timeout=5).json()

    def portal_session(self, session_id: str) -> dict[str, Any]:
        return requests.get(f"{self.url}/v1/billing_portal/sessions/{session_id}",
                            auth=(SECRET_KEY, ""), timeout=5).json()

    def set_subscription(self, subscription_id: str, **fields: Any) -> dict[str, Any]:
        response = requests.post(f"{self.url}/_config/test/subscriptions/{subscription_id}",
                                 data=json.dumps(fields), timeout=5)
        response.raise_for_status()
        return response.json()

    def subscription(self, subscription_id: str) -> Any:
        use_stripe(self.url)
        return stripe.Subscription.retrieve(subscription_id)

    def subscribe(self, customer_id: str, price_id: str, status: str, **fields: Any) -> str:
        """A subscription in `status` (made on a trial, so no invoice is charged, then set)."""
        use_stripe(self.url)
        created = stripe.Subscription.create(
            customer=customer_id, items=[{"plan": price_id}],
            trial_end=int(time.time()) + 10 * 86400,
        )
        self.set_subscription(created["id"], status=status, **fields)
        return str(created["id"])


@pytest.fixture
def prices(fake: FakeStripe) -> dict[str, str]:
    """Our plans' prices in the fake Stripe and mirrored here: {lookup key: price id}."""
    call_command("sync_stripe_prices", stdout=open("/dev/null", "w"))  # noqa: SIM115
    from billing.models import Price

    return dict(Price.objects.filter(is_active=True).values_list("lookup_key", "stripe_price_id"))


def with_customer(world: PracticeWorld) -> Subscription:
    """The practice's trial and Stripe customer, as signup and its job make them."""
    services.subscription_start_trial(practice=world.practice)
    subscription = services.stripe_customer_ensure(practice_id=world.practice.pk)
    world.practice.refresh_from_db()
    return subscription


@pytest.fixture
def billing_staff(db: Any) -> User:
    with schema_context("public"):
        return User.objects.create_user("billing@tandem.test", PASSWORD,
                                        full_name="Bea Billing", role=Role.BILLING_STAFF)


def public_client(user: User | None = None, *, second_step: bool = True) -> Client:
    """A control-plane client signed in as `user`; billing staff also past their second step
    (an authenticator set up and a code given in this session), unless `second_step` is off."""
    from django.conf import settings

    http = Client(HTTP_HOST=settings.PLATFORM_DOMAIN)
    if user is not None:
        with schema_context("public"):
            http.force_login(user)
            if second_step and user.role == Role.BILLING_STAFF:
                from django_otp.plugins.otp_totp.models import TOTPDevice

                device = (TOTPDevice.objects.filter(user=user, confirmed=True).first()
                          or TOTPDevice.objects.create(user=user, name="app", confirmed=True))
                session = http.session
                session["otp_device_id"] = device.persistent_id
                session.save()
    return http


# --- webhooks ----------------------------------------------------------------------------------

def sign(payload: str, timestamp: int, secret: str = WEBHOOK_SECRET) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp}.{payload}".encode(), hashlib.sha256)
    return f"t={timestamp},v1={digest.hexdigest()}"


def event(event_type: str, obj: dict[str, Any], event_id: str | None = None,
          created: int | None = None) -> dict[str, Any]:
    return {
        "id": event_id or f"evt_{secrets.token_hex(8)}", "object": "event", "type": event_type,
        "created": created or int(time.time()), "livemode": False, "api_version": "2026-10-28",
        "data": {"object": obj},
    }


def post_event(http: Client, payload: dict[str, Any] | str, *, timestamp: int | None = None,
               secret: str = WEBHOOK_SECRET, signature: str | None = None) -> Any:
    body = payload if isinstance(payload, str) else json.dumps(payload)
    header = signature if signature is not None else sign(
        body, timestamp if timestamp is not None else int(time.time()), secret
    )
    return http.post("/stripe/webhook", data=body, content_type="application/json",
                     HTTP_STRIPE_SIGNATURE=header)
