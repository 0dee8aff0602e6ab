"""Play a practice's billing life in the demo (`make run`), against the local Stripe only.

    manage.py billing_demo SUBDOMAIN subscribe [--plan group] [--interval month] [--if-missing]
    manage.py billing_demo SUBDOMAIN end-trial     # the trial ends and the first payment succeeds
    manage.py billing_demo SUBDOMAIN fail-payment  # a renewal fails: past due, grace starts
    manage.py billing_demo SUBDOMAIN end-grace     # the grace period runs out: read-only
    manage.py billing_demo SUBDOMAIN pay           # the card works again: active

Each step changes the subscription in the local Stripe (billing/devstripe.py), which sends the
webhook the platform processes as it would Stripe's; the command also mirrors the result at once
so it can print the practice's new state. `end-grace` stands in for the days passing. Refused
unless STRIPE_API_BASE is a loopback address: it never touches a real Stripe account.
"""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import urlsplit

import requests
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from billing import services, stripe_client
from billing.models import Price, Subscription
from billing.plans import PLAN_KEYS, Interval, plan_for_practice
from tenants.models import BillingState, Practice

LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}
STEPS = ("subscribe", "end-trial", "fail-payment", "end-grace", "pay")
STATUS_OF_STEP = {"end-trial": "active", "fail-payment": "past_due", "pay": "active"}


class Command(BaseCommand):
    help = "Move a practice through billing states against the local Stripe (make run only)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("subdomain")
        parser.add_argument("step", choices=STEPS)
        parser.add_argument("--plan", default="group", choices=sorted(PLAN_KEYS))
        parser.add_argument("--interval", default=Interval.MONTH,
                            choices=[Interval.MONTH, Interval.YEAR])
        parser.add_argument("--if-missing", action="store_true",
                            help="subscribe: do nothing if the practice already subscribed")

    def handle(self, *args: Any, **options: Any) -> None:
        if not stripe_client.is_configured():
            raise CommandError(stripe_client.NOT_CONFIGURED)
        if urlsplit(settings.STRIPE_API_BASE).hostname not in LOCAL_HOSTS:
            raise CommandError("billing_demo only runs against the local Stripe of `make run` "
                               f"(STRIPE_API_BASE is {settings.STRIPE_API_BASE}).")
        practice = Practice.objects.filter(subdomain=options["subdomain"]).first()
        if practice is None:
            raise CommandError(f"No practice has the subdomain {options['subdomain']!r}.")
        step = options["step"]
        if step == "subscribe":
            self.subscribe(practice, options)
        elif step == "end-grace":
            ended = services.subscription_grace_end_now(practice_id=practice.pk)
            if not ended:
                raise CommandError("The practice is not in a grace period (fail a payment "
                                   "first: billing_demo SUBDOMAIN fail-payment).")
        else:
            record = Subscription.objects.filter(practice=practice).first()
            if record is None or not record.stripe_subscription_id:
                raise CommandError("The practice has no Stripe subscription yet: buy a plan "
                                   "(Billing page) or run billing_demo SUBDOMAIN subscribe.")
            fields: dict[str, Any] = {"status": STATUS_OF_STEP[step]}
            if step == "end-trial":
                fields["trial_end"] = int(time.time())
            response = requests.post(
                f"{settings.STRIPE_API_BASE}/_config/test/subscriptions/"
                f"{record.stripe_subscription_id}", json=fields, timeout=10)
            response.raise_for_status()
            services.subscription_sync(stripe_subscription=stripe_client.subscription_retrieve(
                record.stripe_subscription_id))
        practice.refresh_from_db()
        record = Subscription.objects.get(practice=practice)
        grace = (f", grace until {record.grace_until:%Y-%m-%d %H:%M} UTC"
                 if record.grace_until and practice.billing_state == BillingState.PAST_DUE
                 else "")
        self.stdout.write(f"{practice.subdomain}: plan {practice.plan_key or '-'}, billing "
                          f"{practice.get_billing_state_display()}{grace}")

    def subscribe(self, practice: Practice, options: dict[str, Any]) -> None:
        record = services.stripe_customer_ensure(practice_id=practice.pk)
        if record.stripe_subscription_id:
            if options["if_missing"]:
                return
            raise CommandError("The practice already has a subscription.")
        lookup_key = plan_for_practice(options["plan"]).lookup_key(options["interval"])
        price_id = (Price.objects.filter(lookup_key=lookup_key, is_active=True)
                    .values_list("stripe_price_id", flat=True).first())
        if price_id is None:
            raise CommandError("No price mirrored yet: run manage.py sync_stripe_prices.")
        # Made on a trial (nothing charged), then paid: what Checkout and a first invoice do.
        created = stripe_client.subscription_create(
            customer_id=record.stripe_customer_id, price_id=price_id,
            trial_end=int(timezone.now().timestamp()) + 3600)
        requests.post(f"{settings.STRIPE_API_BASE}/_config/test/subscriptions/{created['id']}",
                      json={"status": "active", "trial_end": int(time.time())},
                      timeout=10).raise_for_status()
        services.subscription_sync(
            stripe_subscription=stripe_client.subscription_retrieve(created["id"]))
