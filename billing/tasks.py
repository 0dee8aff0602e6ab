"""Billing jobs (platform-wide: billing lives in the public schema). Actors take ids, re-fetch,
are idempotent and carry nothing about a practice's clients."""

from __future__ import annotations

import logging

import dramatiq

from billing import services

logger = logging.getLogger(__name__)


@dramatiq.actor(platform_wide=True, max_retries=10, min_backoff=5_000, max_backoff=600_000)
def process_stripe_event(event_id: str) -> None:
    """Mirror what a recorded Stripe event changed; retried until it succeeds."""
    services.stripe_event_process(event_id=event_id)


@dramatiq.actor(platform_wide=True, max_retries=10, min_backoff=5_000, max_backoff=600_000)
def create_stripe_customer(practice_id: int) -> None:
    """A new practice's Stripe customer (name and owner email only)."""
    from billing.stripe_client import is_configured
    from tenants.models import Practice

    if not is_configured():
        # No Stripe keys (local development): the customer is made at the first checkout.
        logger.info("Stripe is not configured; practice %s gets its customer later", practice_id)
        return
    if Practice.objects.filter(pk=practice_id).exists():
        services.stripe_customer_ensure(practice_id=practice_id)


@dramatiq.actor(platform_wide=True, max_retries=3)
def expire_billing_periods() -> None:
    """Ended card-less trials and ended grace periods turn their practices read-only; events
    left unprocessed are sent again."""
    logger.info("trials ended: %d; grace periods ended: %d; events requeued: %d",
                services.trials_expire(), services.grace_periods_expire(),
                services.stripe_events_requeue())
