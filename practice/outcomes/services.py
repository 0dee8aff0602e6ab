"""Writes of episodes (open, ensure one is open when inviting and re-engaging a client, close with a
reason) and of the whole-practice export. Keyword-only, atomic, audited in the same
transaction; side effects on commit."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

import dramatiq
from django.core.files.storage import default_storage
from django.db import connection, transaction
from django.utils import timezone

from practice.access import Capability, clients_visible_to, holds, sees_clinical_data
from practice.measurement.models import Assignment
from practice.outcomes.models import Episode, PracticeExport
from tenants.accounts.models import Role, User
from tenants.actor import Actor
from tenants.audit.actions import Action
from tenants.audit.services import audit_record


class EpisodeError(Exception):
    """A request the episode rules refuse; the message says why, for the person."""


def _default_clinician(client: User, acting_user: User) -> User | None:
    if acting_user.role == Role.CLINICIAN:
        return acting_user
    # The owner opening one: the first clinician on the client's care team, if any.
    return (User.objects.filter(caseload__user=client, role=Role.CLINICIAN, is_active=True)
            .order_by("pk").first())


def _tracked(client: User) -> list[str]:
    return sorted(set(Assignment.objects.filter(client=client, ended_at__isnull=True)
                      .values_list("instrument_key", flat=True)))


@transaction.atomic
def episode_open(*, client: User, actor: Actor, clinician: User | None = None,
                 instrument_keys: Iterable[str] | None = None,
                 started_at: datetime | None = None) -> Episode:
    """Open a new episode for the client. Refused while another one is open."""
    if client.role != Role.CLIENT:
        raise EpisodeError("Episodes are for clients.")
    User.objects.select_for_update().filter(pk=client.pk).first()  # one opener at a time
    if Episode.objects.filter(client=client, ended_at__isnull=True).exists():
        raise EpisodeError("This client already has an open episode. Close it first.")
    episode = Episode.objects.create(
        client=client, clinician=clinician or _default_clinician(client, actor.person),
        started_at=started_at or timezone.now(),
        instrument_keys=sorted(set(instrument_keys)) if instrument_keys is not None
        else _tracked(client),
        created_by=actor.user)
    audit_record(action=Action.EPISODE_OPENED, actor=actor, object_type="episode",
                 object_id=episode.pk, detail={"client_id": client.pk,
                                               "clinician_id": episode.clinician_id})
    return episode


@transaction.atomic
def episode_ensure_open(*, client: User, actor: Actor) -> Episode:
    """The client's open episode, or a new one: what inviting a new client and re-engaging a
    former one call."""
    User.objects.select_for_update().filter(pk=client.pk).first()
    episode = Episode.objects.filter(client=client, ended_at__isnull=True).first()
    if episode is not None:
        return episode
    return episode_open(client=client, actor=actor)


@transaction.atomic
def episode_close(*, episode_id: int, actor: Actor, end_reason: str,
                  ended_at: datetime | None = None, note: str = "") -> Episode:
    """End an open episode with a reason. Raises Episode.DoesNotExist for an episode of a
    client outside the acting user's reach (owner: all; clinician: their caseload)."""
    if not sees_clinical_data(actor.person):
        raise Episode.DoesNotExist
    episode = (Episode.objects.select_for_update()
               .get(pk=episode_id, client__in=clients_visible_to(actor.person)))
    if end_reason not in Episode.EndReason.values:
        raise EpisodeError("Choose why the episode ended: "
                           + ", ".join(str(label).lower() for label in
                                       Episode.EndReason.labels) + ".")
    if episode.ended_at is not None:
        raise EpisodeError("This episode is already closed.")
    now = timezone.now()
    ended_at = ended_at or now
    if ended_at > now:
        raise EpisodeError("An episode cannot end in the future.")
    if ended_at < episode.started_at:
        raise EpisodeError("An episode cannot end before it started "
                           f"({episode.started_at:%Y-%m-%d}).")
    episode.ended_at = ended_at
    episode.end_reason = end_reason
    episode.end_note = note.strip()[:300]
    episode.ended_by = actor.user
    episode.save(update_fields=["ended_at", "end_reason", "end_note", "ended_by"])
    audit_record(action=Action.EPISODE_CLOSED, actor=actor, object_type="episode",
                 object_id=episode.pk, detail={"client_id": episode.client_id,
                                               "end_reason": end_reason})
    return episode


# --- whole-practice export ----------------------------------------------------------------------

EXPORT_VALID_FOR = timedelta(hours=24)
EXPORT_ACTOR = "practice_export_build"


class ExportInProgress(EpisodeError):
    """A second request while one export is being prepared."""


def _require_owner(acting_user: User) -> None:
    if not holds(acting_user, Capability.MANAGE_PRACTICE):
        raise PermissionError("Only the practice owner can export the practice's data.")


@transaction.atomic
def practice_export_request(*, actor: Actor) -> PracticeExport:
    """Queue the practice's export (the worker builds it). A second request while one is
    queued or running is refused with when that one started."""
    _require_owner(actor.person)
    with connection.cursor() as cursor:  # one requester at a time in this practice
        cursor.execute("SELECT pg_advisory_xact_lock(hashtext(current_schema() || '.export'))")
    running = PracticeExport.objects.filter(
        status__in=[PracticeExport.Status.QUEUED, PracticeExport.Status.RUNNING]).first()
    if running is not None:
        raise ExportInProgress(
            "An export is already being prepared (asked for at "
            f"{running.created_at:%H:%M} UTC, {running.progress}% done). It will be ready "
            "soon: you get an email when it is.")
    export = PracticeExport.objects.create(requested_by=actor.person)
    audit_record(action=Action.PRACTICE_EXPORT_REQUESTED, actor=actor,
                 object_type="practice_export", object_id=export.pk)
    # The worker's actor (practice.outcomes.tasks), by name: the message carries the schema
    # (stamped by the broker) and the export's id, nothing else.
    transaction.on_commit(lambda: dramatiq.get_broker().get_actor(EXPORT_ACTOR).send(
        export_id=export.pk))
    return export


def practice_export_progress(*, export_id: int, progress: int, step: str) -> None:
    """Progress of the build, written outside the build's own transaction so the page sees it."""
    PracticeExport.objects.filter(pk=export_id).update(progress=progress, step=step[:120])


@transaction.atomic
def practice_export_finish(*, export_id: int, path: str, size: int,
                           counts: dict[str, int]) -> PracticeExport:
    export = PracticeExport.objects.select_for_update().get(pk=export_id)
    now = timezone.now()
    export.status = PracticeExport.Status.READY
    export.progress, export.step = 100, "Ready"
    export.file, export.size_bytes, export.counts = path, size, counts
    export.finished_at, export.expires_at = now, now + EXPORT_VALID_FOR
    export.save()
    # The read of every record, by the system on the owner's request.
    audit_record(action=Action.PRACTICE_EXPORT_BUILT, actor=None, actor_role="system",
                 object_type="practice_export", object_id=export.pk,
                 detail={"requested_by": export.requested_by_id, "size_bytes": size,
                         "files": counts.get("files", 0), "clients": counts.get("fhir", 0)})
    return export


@transaction.atomic
def practice_export_fail(*, export_id: int, error: str) -> None:
    PracticeExport.objects.filter(pk=export_id).update(
        status=PracticeExport.Status.FAILED, finished_at=timezone.now(), error=error[:300])
    audit_record(action=Action.PRACTICE_EXPORT_FAILED, actor=None, actor_role="system",
                 object_type="practice_export", object_id=export_id)


@transaction.atomic
def practice_export_download(*, export_id: int, actor: Actor) -> PracticeExport | None:
    """The ready, unexpired export, for the owner; None once expired (the file is deleted on
    the way); DoesNotExist for one that is not ready or not there."""
    _require_owner(actor.person)
    export = PracticeExport.objects.select_for_update().get(
        pk=export_id, status=PracticeExport.Status.READY)
    if export.expires_at is None or export.expires_at <= timezone.now():
        _expire(export)
        return None
    audit_record(action=Action.PRACTICE_EXPORT_DOWNLOADED, actor=actor,
                 object_type="practice_export", object_id=export.pk)
    return export


def _expire(export: PracticeExport) -> None:
    if export.file:
        path = export.file
        transaction.on_commit(lambda: default_storage.delete(path))
    export.status, export.file = PracticeExport.Status.EXPIRED, ""
    export.save(update_fields=["status", "file"])


@transaction.atomic
def practice_exports_expire() -> int:
    """Delete the archives past their 24 hours; returns how many."""
    expired = list(PracticeExport.objects.select_for_update().filter(
        status=PracticeExport.Status.READY, expires_at__lte=timezone.now()))
    for export in expired:
        _expire(export)
    return len(expired)
