"""Messaging's periodic job: close the conversations the practice's policy says are due
(reply-only: 48 hours after the last staff message, unanswered). The scheduler fans it out to
every active practice; each message carries its schema, and the actor takes no arguments, so it
carries no PHI and running it twice closes nothing twice."""

from __future__ import annotations

import logging

import dramatiq

from practice.messaging.services import conversations_auto_close
from tenants.selectors import current_practice

logger = logging.getLogger(__name__)


@dramatiq.actor
def messaging_auto_close() -> None:
    practice = current_practice()
    closed = conversations_auto_close(practice=practice)
    logger.info("closed %d unanswered conversations", len(closed))
