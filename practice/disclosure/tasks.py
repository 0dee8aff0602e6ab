"""The disclosure feature's job (the scheduler fans it out to every active practice): the bytes
of packages whose link expired unused are dropped; the ledger keeps each package's hash."""

from __future__ import annotations

import logging

import dramatiq
from django.utils import timezone

from practice.disclosure import services

logger = logging.getLogger(__name__)


@dramatiq.actor(max_retries=3)
def disclosure_links_purge() -> None:
    purged = services.links_purge(now=timezone.now())
    logger.info("disclosure links purged: %d packages dropped", purged)
