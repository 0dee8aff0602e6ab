"""The whole-practice export, built by a worker inside the schema its message carries. The actor
takes the export's id only (no PHI), re-reads it and does nothing unless it is still queued, so a
redelivered message builds nothing twice. The archive is written to a temporary file private to
the worker process, saved into the practice's own storage, and the temporary file removed."""

from __future__ import annotations

import logging
import secrets
import tempfile

import dramatiq
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from branding.selectors import branding_for
from config.emails import send_branded_email
from practice.outcomes import services
from practice.outcomes.export import EXPORTS_DIR, write_archive
from practice.outcomes.models import PracticeExport
from tenants.db import connection
from tenants.models import Practice
from tenants.selectors import practice_url

logger = logging.getLogger(__name__)


def _claim(export_id: int) -> PracticeExport | None:
    with transaction.atomic():
        export = (PracticeExport.objects.select_for_update().select_related("requested_by")
                  .filter(pk=export_id, status=PracticeExport.Status.QUEUED).first())
        if export is None:
            return None
        export.status, export.started_at = PracticeExport.Status.RUNNING, timezone.now()
        export.step = "Starting"
        export.save(update_fields=["status", "started_at", "step"])
        return export


def build_export(export_id: int) -> PracticeExport | None:
    """Build one export now (what the actor runs; tests and the bench call it directly)."""
    export = _claim(export_id)
    if export is None:
        return None
    practice = Practice.objects.get(schema_name=connection.schema_name)
    now = timezone.now()
    try:
        with tempfile.TemporaryFile(prefix="tandem-export-") as scratch:
            counts = write_archive(
                scratch, practice_name=practice.name,
                base_url=practice_url(practice.subdomain, "/"),
                requested_by=export.requested_by.full_name, now=now,
                progress=lambda percent, step: services.practice_export_progress(
                    export_id=export_id, progress=percent, step=step))
            size = scratch.tell()
            scratch.seek(0)
            path = default_storage.save(f"{EXPORTS_DIR}{secrets.token_hex(16)}.zip",
                                        File(scratch))
    except Exception as error:
        logger.exception("practice export %s failed", export_id)
        services.practice_export_fail(export_id=export_id, error=type(error).__name__)
        return None
    finished = services.practice_export_finish(export_id=export_id, path=path, size=size,
                                               counts=counts)
    _email(practice, finished)
    return finished


def _email(practice: Practice, export: PracticeExport) -> None:
    """The requester hears it is ready: the practice's name and a link, nothing else."""
    link = practice_url(practice.subdomain, reverse("outcomes:practice_export"))
    send_branded_email(branding=branding_for(practice), to=export.requested_by.email,
                       subject="Your practice export is ready",
                       template="outcomes/email/export_ready", context={"link": link})


@dramatiq.actor(actor_name=services.EXPORT_ACTOR, max_retries=0, time_limit=6 * 60 * 60 * 1000)
def practice_export_build(export_id: int) -> None:
    build_export(export_id)
    services.practice_exports_expire()
