"""Billing without Stripe keys. Production refuses to start without them; anywhere else (a laptop
running `make run`) billing is simply off: the billing pages say so instead of failing, nothing
is sent to Stripe, the webhook answers 503 and records nothing, the customer job does nothing,
and a trial never turns a practice read-only for not buying what cannot be bought."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.utils import timezone

from billing import services, tasks
from billing.models import StripeEvent, Subscription
from billing.stripe_client import NOT_CONFIGURED
from tenants.models import BillingState
from tests.billing.conftest import FakeStripe, post_event, public_client
from tests.conftest import PracticeWorld

BASE_DIR = Path(__file__).resolve().parents[2]
OWNER_NOTICE = ("Billing is not configured on this server (no Stripe keys), so plans cannot be "
                "bought here yet. Your practice keeps its trial.")


def _production(**extra: str) -> subprocess.CompletedProcess[str]:
    """Load the production settings with everything else they require."""
    env = dict(os.environ, DJANGO_SETTINGS_MODULE="config.settings.production",
               SECRET_KEY=secrets.token_urlsafe(50),
               WEBPUSH_VAPID_PRIVATE_KEY=getattr(settings, "WEBPUSH_VAPID_PRIVATE_KEY", ""),
               WEBPUSH_VAPID_PUBLIC_KEY=getattr(settings, "WEBPUSH_VAPID_PUBLIC_KEY", ""),
               WEBPUSH_VAPID_SUBJECT="mailto:ops@tandem.test", **extra)
    for name in ("STRIPE_SECRET_KEY", "STRIPE_WEBHOOK_SECRET"):
        if name not in extra:
            env.pop(name, None)
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup(); from django.conf import settings;"
         " print(settings.STRIPE_SECRET_KEY, settings.STRIPE_WEBHOOK_SECRET)"],
        cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=120)


def test_production_settings_refuse_to_start_without_stripe_keys() -> None:
    missing = _production()
    assert missing.returncode == 1
    assert "Set the STRIPE_SECRET_KEY environment variable" in missing.stderr
    empty = _production(STRIPE_SECRET_KEY="sk_live_x", STRIPE_WEBHOOK_SECRET="")
    assert empty.returncode == 1
    assert "Set STRIPE_SECRET_KEY and STRIPE_WEBHOOK_SECRET (billing)." in empty.stderr
    given = _production(STRIPE_SECRET_KEY="sk_live_x", STRIPE_WEBHOOK_SECRET="whsec_x")
    assert (given.returncode, given.stdout) == (0, "sk_live_x whsec_x\n"), given.stderr


@pytest.fixture
def no_keys(settings: Any, fake: FakeStripe) -> None:
    settings.STRIPE_SECRET_KEY = ""  # after the suite's autouse fixture set its test keys
    settings.STRIPE_WEBHOOK_SECRET = ""


def test_billing_pages_and_jobs_without_keys(alpha: PracticeWorld, billing_staff: Any,
                                             no_keys: None) -> None:
    services.subscription_start_trial(practice=alpha.practice)
    owner = alpha.http(alpha.owner)
    page = owner.get("/billing/").content.decode()
    assert OWNER_NOTICE in page
    assert "Continue to payment" not in page and "Manage card and invoices" not in page
    for path in ("/billing/checkout/", "/billing/portal/"):
        response = owner.post(path, {"plan": "solo", "interval": "month"}, follow=True)
        assert response.redirect_chain == [("/billing/", 302)], path
        assert NOT_CONFIGURED in response.content.decode(), path
    # The customer job and the expiry job do nothing; no customer was made anywhere.
    tasks.create_stripe_customer.fn(alpha.practice.pk)
    Subscription.objects.filter(practice=alpha.practice).update(
        trial_end=timezone.now() - timedelta(days=1))
    assert services.trials_expire() == 0
    alpha.practice.refresh_from_db()
    assert alpha.practice.billing_state == BillingState.TRIALING
    assert Subscription.objects.get(practice=alpha.practice).stripe_customer_id == ""

    staff = public_client(billing_staff)
    listing = staff.get("/billing/").content.decode()
    assert 'id="billing-not-configured"' in listing
    record = staff.get(f"/billing/practices/{alpha.practice.pk}/").content.decode()
    assert 'id="billing-not-configured"' in record
    # Extending a card-less trial needs no Stripe; a coupon does, and says why it cannot.
    response = staff.post(f"/billing/practices/{alpha.practice.pk}/extend-trial/",
                          {"days": 7}, follow=True)
    assert "The trial was extended by 7 days." in response.content.decode()
    Subscription.objects.filter(practice=alpha.practice).update(stripe_subscription_id="sub_x")
    response = staff.post(f"/billing/practices/{alpha.practice.pk}/apply-coupon/",
                          {"coupon_id": "SPRING"}, follow=True)
    assert NOT_CONFIGURED in response.content.decode()

    webhook = post_event(public_client(), {"id": "evt_1"}, secret="")
    assert (webhook.status_code, webhook.content) == (503, b"billing is not configured")
    assert StripeEvent.objects.count() == 0
    with pytest.raises(CommandError, match="Billing is not configured on this server"):
        call_command("sync_stripe_prices")
