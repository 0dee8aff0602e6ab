"""Create or update our plans' products and prices in Stripe (found by lookup key) and mirror
them into billing.Price. Idempotent: run it after changing the catalogue in billing/plans.py."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from billing import stripe_client
from billing.models import Price
from billing.plans import PLANS, Interval


class Command(BaseCommand):
    help = "Create/update plan products and prices in Stripe by lookup key; mirror them here."

    def handle(self, *args: Any, **options: Any) -> None:
        if not stripe_client.is_configured():
            raise CommandError(stripe_client.NOT_CONFIGURED + " Set STRIPE_SECRET_KEY first.")
        created = unchanged = 0
        for plan in PLANS:
            product_id = f"tandem_{plan.key}"
            stripe_client.product_upsert(product_id=product_id, name=f"Tandem {plan.name}")
            for interval, amount in ((Interval.MONTH, plan.monthly_amount),
                                     (Interval.YEAR, plan.yearly_amount)):
                lookup_key = plan.lookup_key(interval)
                price = stripe_client.price_by_lookup_key(lookup_key)
                if price is not None and (
                    price["unit_amount"], price["currency"], price["recurring"]["interval"]
                ) == (amount, plan.currency, interval):
                    unchanged += 1
                else:
                    # Stripe prices are immutable: a new amount is a new price that takes the
                    # lookup key over; the old one is archived (existing subscribers keep it).
                    old = price
                    price = stripe_client.price_create(
                        product_id=product_id, lookup_key=lookup_key, unit_amount=amount,
                        currency=plan.currency, interval=interval,
                    )
                    if old is not None:
                        stripe_client.price_deactivate(old["id"])
                    created += 1
                Price.objects.filter(lookup_key=lookup_key).exclude(
                    stripe_price_id=price["id"]
                ).update(is_active=False)
                Price.objects.update_or_create(
                    stripe_price_id=price["id"],
                    defaults={"lookup_key": lookup_key, "plan_key": plan.key,
                              "interval": interval, "unit_amount": amount,
                              "currency": plan.currency, "is_active": True},
                )
        self.stdout.write(f"prices created: {created}, unchanged: {unchanged}")
