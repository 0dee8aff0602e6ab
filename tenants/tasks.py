"""Platform-wide jobs of the tenant lifecycle."""

from __future__ import annotations

import dramatiq
from django.utils import timezone

from tenants.models import Practice, PracticeState
from tenants.services import practice_purge, release_expired_domains


@dramatiq.actor(platform_wide=True)
def purge_due_practices() -> int:
    """Drop every practice whose scheduled deletion has come due."""
    due = Practice.objects.filter(
        state=PracticeState.DELETION_SCHEDULED, deletion_due_at__lte=timezone.now()
    ).values_list("pk", flat=True)
    return sum(1 for practice_id in list(due) if practice_purge(practice_id=practice_id))


@dramatiq.actor(platform_wide=True)
def release_old_subdomains() -> int:
    """Free old subdomains whose 90-day redirect after a rename has ended."""
    return release_expired_domains()
