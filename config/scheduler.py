"""The periodic scheduler: one process (guarded by a Redis lock, so two never run) that enqueues
platform jobs when they come due, and fans per-practice jobs out to every active practice."""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import timedelta

import dramatiq
import redis
from django.conf import settings

from config.broker import send_to_practice
from tenants.models import Practice, PracticeState

logger = logging.getLogger(__name__)

LOCK_KEY = "tandem:scheduler:lock"
LAST_RUN_KEY = "tandem:scheduler:last-run:{}"
_RENEW_IF_OWNER = """
if redis.call('get', KEYS[1]) == ARGV[1] then
  return redis.call('pexpire', KEYS[1], ARGV[2])
end
return 0
"""
_RELEASE_IF_OWNER = """
if redis.call('get', KEYS[1]) == ARGV[1] then
  return redis.call('del', KEYS[1])
end
return 0
"""


@dataclass(frozen=True)
class PeriodicJob:
    actor_name: str
    every: timedelta
    per_practice: bool


JOBS: tuple[PeriodicJob, ...] = (
    PeriodicJob("purge_due_practices", timedelta(hours=1), per_practice=False),
    PeriodicJob("release_old_subdomains", timedelta(hours=6), per_practice=False),
    # Practice schemas cloned ahead of signups; stale ones (older template) dropped.
    PeriodicJob("spare_schemas_refill_job", timedelta(minutes=5), per_practice=False),
    # Practices' own domains whose DNS records went away are flagged (tenants.custom_domains).
    PeriodicJob("recheck_custom_domains", timedelta(hours=24), per_practice=False),
    PeriodicJob("clear_expired_sessions", timedelta(hours=6), per_practice=True),
    PeriodicJob("expire_billing_periods", timedelta(hours=1), per_practice=False),
    # The notification outbox's safety net: rows whose wake-up was lost, retries, reminders.
    PeriodicJob("notifications_dispatch", timedelta(seconds=30), per_practice=True),
    # Engagement alert rules over every client; the daily staff digest (sent once a day, on the
    # first run after its hour: see practice.engagement.tasks).
    PeriodicJob("engagement_evaluate", timedelta(hours=1), per_practice=True),
    PeriodicJob("staff_digest_send", timedelta(hours=1), per_practice=True),
    # Reply-only messaging: close conversations unanswered 48 hours after the last staff word.
    PeriodicJob("messaging_auto_close", timedelta(minutes=15), per_practice=True),
    # Session questionnaires opened, assessment-due and homework-due reminders written.
    PeriodicJob("reminders_enqueue_due_job", timedelta(minutes=30), per_practice=True),
    # Open-ended appointment series kept booked ahead; waitlist offers lapsed and re-offered.
    PeriodicJob("scheduling_due_job", timedelta(minutes=10), per_practice=True),
    # Clients who reached the practice's age of self-consent: proxies' views shrink to what the
    # client grants, the client is asked (practice.family).
    PeriodicJob("family_age_rule", timedelta(hours=24), per_practice=True),
    # Caregiver questionnaires falling due: the proxy is reminded once per occurrence.
    PeriodicJob("family_caregiver_reminders", timedelta(minutes=30), per_practice=True),
    # Packages whose download link expired unused: their bytes go (practice.disclosure).
    PeriodicJob("disclosure_links_purge", timedelta(hours=1), per_practice=True),
)
# How often the scheduler looks for due jobs: the shortest useful interval is a few ticks.
TICK_SECONDS = 5.0


@dramatiq.actor(platform_wide=True)
def fan_out(actor_name: str) -> None:
    """Enqueue a tenant actor once for every active practice, each bound to its schema."""
    actor = dramatiq.get_broker().get_actor(actor_name)
    schemas = Practice.objects.filter(state=PracticeState.ACTIVE).values_list(
        "schema_name", flat=True
    )
    count = 0
    for schema in schemas.iterator():
        send_to_practice(actor, schema)
        count += 1
    logger.info("fanned %s out to %d practices", actor_name, count)


def enqueue(job: PeriodicJob) -> None:
    if job.per_practice:
        fan_out.send(job.actor_name)
    else:
        dramatiq.get_broker().get_actor(job.actor_name).send()


def run_due_jobs(client: redis.Redis, now: float) -> list[str]:
    ran = []
    for job in JOBS:
        key = LAST_RUN_KEY.format(job.actor_name)
        last = client.get(key)
        if last is not None and now - float(last) < job.every.total_seconds():
            continue
        enqueue(job)
        client.set(key, now)
        ran.append(job.actor_name)
    return ran


def run_forever(stop: threading.Event, tick_seconds: float = TICK_SECONDS) -> None:
    client = redis.Redis.from_url(settings.REDIS_URL)
    # Unique per scheduler: host and pid alone repeat across containers (pid 1, shared or
    # reused hostnames), and two schedulers with one name would both think they hold the lock.
    owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex}"
    lock_ttl_ms = max(1000, int(tick_seconds * 4000))
    renew = client.register_script(_RENEW_IF_OWNER)
    while not stop.is_set():
        # Take the lock, or extend it only if it is still ours (atomically: a lock that expired
        # and was taken by another scheduler in between is never extended by us).
        holds = client.set(LOCK_KEY, owner, nx=True, px=lock_ttl_ms) or renew(
            keys=[LOCK_KEY], args=[owner, lock_ttl_ms])
        if holds:
            for name in run_due_jobs(client, time.time()):
                logger.info("scheduler enqueued %s", name)
        else:
            logger.debug("another scheduler holds the lock")
        stop.wait(tick_seconds)
    client.register_script(_RELEASE_IF_OWNER)(keys=[LOCK_KEY], args=[owner])
