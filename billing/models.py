"""Plans, subscriptions and Stripe events (public schema).

Stripe is the source of truth for money; these rows mirror it. A practice's `billing_state` and
`plan_key` (on tenants.Practice, read on every request) are set from the mirrored subscription.
"""

from __future__ import annotations

from django.db import models

from billing.plans import Interval


class Price(models.Model):
    """A Stripe price of one of our plans, mirrored by `manage.py sync_stripe_prices`."""

    stripe_price_id = models.CharField(max_length=255, unique=True)
    # An archived price keeps its lookup key here (Stripe moved it to the new price).
    lookup_key = models.CharField(max_length=255, db_index=True)
    plan_key = models.CharField(max_length=40)
    interval = models.CharField(max_length=8, choices=Interval.CHOICES)
    unit_amount = models.PositiveIntegerField()
    currency = models.CharField(max_length=3)
    is_active = models.BooleanField(default=True)
    synced_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["plan_key", "interval"]
        constraints = [
            models.UniqueConstraint(
                fields=["lookup_key"], condition=models.Q(is_active=True),
                name="billing_price_one_active_per_lookup_key",
            ),
        ]

    def __str__(self) -> str:
        return self.lookup_key

    @property
    def monthly_amount(self) -> int:
        """What this price brings in per month (yearly prices spread over twelve months)."""
        return self.unit_amount if self.interval == Interval.MONTH else round(self.unit_amount / 12)


class SubscriptionStatus(models.TextChoices):
    """Stripe's subscription statuses, plus `trialing` for our card-less trial before Stripe has
    a subscription at all."""

    TRIALING = "trialing", "Trial"
    ACTIVE = "active", "Active"
    INCOMPLETE = "incomplete", "Incomplete"
    INCOMPLETE_EXPIRED = "incomplete_expired", "Incomplete, expired"
    PAST_DUE = "past_due", "Past due"
    UNPAID = "unpaid", "Unpaid"
    CANCELED = "canceled", "Canceled"
    PAUSED = "paused", "Paused"


class Subscription(models.Model):
    """A practice's billing record: its Stripe customer and (once it paid) subscription."""

    practice = models.OneToOneField(
        "tenants.Practice", on_delete=models.CASCADE, related_name="subscription"
    )
    stripe_customer_id = models.CharField(max_length=255, blank=True, db_index=True)
    stripe_subscription_id = models.CharField(max_length=255, blank=True, db_index=True)
    stripe_price_id = models.CharField(max_length=255, blank=True)
    plan_key = models.CharField(max_length=40, blank=True)
    interval = models.CharField(max_length=8, choices=Interval.CHOICES, blank=True)
    status = models.CharField(
        max_length=20, choices=SubscriptionStatus.choices, default=SubscriptionStatus.TRIALING
    )
    trial_end = models.DateTimeField(null=True, blank=True)
    current_period_end = models.DateTimeField(null=True, blank=True)
    # Set when a payment first fails; the practice turns read-only when it passes.
    grace_until = models.DateTimeField(null=True, blank=True)
    cancel_at = models.DateTimeField(null=True, blank=True)
    coupon_id = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["practice__name"]
        # Billing staff hold it by their role; an operator only when granted it explicitly.
        permissions = [("manage_subscriptions",
                        "Extend trials, apply coupons and cancel subscriptions")]
        constraints = [
            models.UniqueConstraint(
                fields=["stripe_subscription_id"],
                condition=~models.Q(stripe_subscription_id=""),
                name="billing_subscription_unique_stripe_id",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.practice_id}: {self.status}"


class StripeEvent(models.Model):
    """A webhook event, recorded once by its id; processing happens in a job and is retried."""

    event_id = models.CharField(max_length=255, unique=True)
    type = models.CharField(max_length=100)
    # The ids the job needs (never the payload: the job fetches the current object from Stripe).
    object_id = models.CharField(max_length=255, blank=True)
    subscription_id = models.CharField(max_length=255, blank=True)
    customer_id = models.CharField(max_length=255, blank=True)
    received_at = models.DateTimeField(auto_now_add=True)
    processed_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ["-received_at"]

    def __str__(self) -> str:
        return f"{self.event_id} {self.type}"
