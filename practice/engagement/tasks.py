"""Per-practice periodic jobs of the alert engine; each runs inside the schema its message
carries (the scheduler fans them out to every active practice)."""

from __future__ import annotations

import logging

import dramatiq
from django.utils import timezone

from practice.engagement import services
from tenants.models import Practice
from tenants.selectors import current_practice

logger = logging.getLogger(__name__)

def _practice() -> Practice:
    return current_practice()


@dramatiq.actor(max_retries=3)
def engagement_evaluate() -> None:
    outcome = services.engagement_evaluate(practice=_practice())
    logger.info("engagement rules evaluated: %d raised, %d cleared",
                sum(outcome.raised.values()), sum(outcome.cleared.values()))


@dramatiq.actor(max_retries=3)
def staff_digest_send() -> None:
    """Hourly: each staff member's digest goes out once a day, in the morning where they are."""
    count = services.staff_digest_enqueue(now=timezone.now())
    logger.info("staff digests enqueued: %d", count)
