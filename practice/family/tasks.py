"""The family feature's daily job (the scheduler fans it out to every active practice)."""

from __future__ import annotations

import logging

import dramatiq

from practice.family import services
from tenants.selectors import current_practice

logger = logging.getLogger(__name__)


@dramatiq.actor(max_retries=3)
def family_age_rule() -> None:
    """Clients who reached the practice's age of self-consent: their proxies' views shrink to
    what they grant, they are asked, and it is audited."""
    found = services.age_transitions_run(practice=current_practice())
    logger.info("family age rule: %d clients now decide for themselves", found)


@dramatiq.actor(max_retries=3)
def family_caregiver_reminders() -> None:
    """Proxies whose caregiver questionnaire falls due within a day are reminded, once per
    occurrence (the notice names nothing: practice.family.notifications)."""
    written = services.caregiver_reminders_enqueue()
    logger.info("family caregiver reminders: %d written", written)
