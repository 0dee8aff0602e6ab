"""Platform-wide jobs of the tenant lifecycle. Actors log what they did and return nothing
(there is no result backend); the work itself is a plain function, callable from tests."""

from __future__ import annotations

import logging

import dramatiq
from django.utils import timezone

from tenants.models import Practice, PracticeState
from tenants.services import practice_purge, release_expired_domains

logger = logging.getLogger(__name__)


def purge_due() -> int:
    """Drop every practice whose scheduled deletion has come due; how many were dropped."""
    due = Practice.objects.filter(
        state=PracticeState.DELETION_SCHEDULED, deletion_due_at__lte=timezone.now()
    ).values_list("pk", flat=True)
    return sum(1 for practice_id in list(due) if practice_purge(practice_id=practice_id))


@dramatiq.actor(platform_wide=True)
def purge_due_practices() -> None:
    logger.info("purged %d practices whose deletion came due", purge_due())


@dramatiq.actor(platform_wide=True)
def release_old_subdomains() -> None:
    """Free old subdomains whose 90-day redirect after a rename has ended."""
    logger.info("released %d old subdomains", release_expired_domains())


@dramatiq.actor(platform_wide=True, max_retries=0)
def spare_schemas_refill_job() -> None:
    """Keep SPARE_SCHEMAS practice schemas cloned ahead of signups (tenants.spares)."""
    from tenants.spares import spare_schemas_refill

    created, dropped = spare_schemas_refill()
    logger.info("spare schemas: %d cloned, %d stale dropped", created, dropped)


@dramatiq.actor(platform_wide=True)
def recheck_custom_domains() -> None:
    """Check every verified custom domain's DNS again; one that stopped verifying is flagged."""
    from tenants.custom_domains import recheck_verified_domains

    checked, failing = recheck_verified_domains()
    logger.info("re-checked %d custom domains, %d failing", checked, failing)


@dramatiq.actor(platform_wide=True, max_retries=0, time_limit=6 * 60 * 60 * 1000)
def migrate_all_practices(run_id: int) -> None:
    """The operator's "migrate all" (tenants.fleet): progress and failures on the run's row."""
    from tenants.fleet import migration_run_execute

    run = migration_run_execute(run_id=run_id)
    logger.info("migration run %s: %s, %d/%d, %d failed", run.pk, run.status, run.done,
                run.total, len(run.failures))
