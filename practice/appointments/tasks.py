"""Per-practice periodic job of appointments and reminders (each message carries its schema)."""

from __future__ import annotations

import logging
from datetime import datetime

import dramatiq
from django.utils import timezone

from practice.appointments.services import (
    reminders_enqueue_due,
    series_extend_due,
    waitlist_offer_freed,
    waitlist_offers_due,
)
from tenants.selectors import current_practice

logger = logging.getLogger(__name__)


@dramatiq.actor
def reminders_enqueue_due_job() -> None:
    """Open session questionnaires and write assessment-due and homework-due reminders."""
    practice = current_practice()
    run = reminders_enqueue_due(practice=practice, now=timezone.now())
    logger.info("reminders: %d session questionnaires opened, %d assessment and %d homework "
                "reminders written", run.questionnaires_opened, run.assessment_reminders,
                run.homework_reminders)


@dramatiq.actor
def scheduling_due_job() -> None:
    """Extend open-ended series to their rolling horizon; let waitlist offers lapse (asking
    the next people) and offer freed times whose wake-up was lost."""
    practice = current_practice()
    if not practice.has_module("booking"):
        return
    now = timezone.now()
    run = series_extend_due(now=now)
    offers = waitlist_offers_due(now=now)
    logger.info("scheduling: %d series extended (%d booked, %d dates taken); %d offers made, "
                "%d lapsed, %d withdrawn", run.series, run.booked, run.skipped, offers.offered,
                offers.expired, offers.withdrawn)


@dramatiq.actor
def waitlist_offer_freed_job(appointment_id: int, starts_at: str, ends_at: str) -> None:
    """Offer the time a cancelled or moved session freed (ids and times only: no PHI)."""
    practice = current_practice()
    if not practice.has_module("booking"):
        return
    waitlist_offer_freed(source_appointment_id=appointment_id,
                         starts_at=datetime.fromisoformat(starts_at),
                         ends_at=datetime.fromisoformat(ends_at), now=timezone.now())
