"""Per-practice periodic job of appointments and reminders (each message carries its schema)."""

from __future__ import annotations

import logging

import dramatiq
from django.utils import timezone

from practice.appointments.services import reminders_enqueue_due
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
