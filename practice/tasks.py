"""Per-practice periodic jobs; each runs inside the schema its message carries."""

from __future__ import annotations

import logging

import dramatiq
from django.contrib.sessions.models import Session
from django.utils import timezone

logger = logging.getLogger(__name__)


@dramatiq.actor
def clear_expired_sessions() -> None:
    deleted, _ = Session.objects.filter(expire_date__lt=timezone.now()).delete()
    logger.info("cleared %d expired sessions", deleted)
