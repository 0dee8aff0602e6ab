"""Per-practice periodic jobs; each runs inside the schema its message carries."""

from __future__ import annotations

import dramatiq
from django.contrib.sessions.models import Session
from django.utils import timezone


@dramatiq.actor
def clear_expired_sessions() -> int:
    deleted, _ = Session.objects.filter(expire_date__lt=timezone.now()).delete()
    return deleted
