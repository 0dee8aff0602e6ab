"""Writes of episodes: open, ensure one is open (inviting and re-engaging a client), close with a
reason. Keyword-only, atomic, audited in the same transaction."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from practice.access import clients_visible_to, sees_clinical_data
from practice.models import Assignment
from practice.outcomes.models import Episode
from tenants.accounts.models import Role, User
from tenants.audit.actions import Action
from tenants.audit.services import RequestMeta, audit_record


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
def episode_open(*, client: User, acting_user: User, clinician: User | None = None,
                 instrument_keys: Iterable[str] | None = None,
                 started_at: datetime | None = None,
                 meta: RequestMeta | None = None) -> Episode:
    """Open a new episode for the client. Refused while another one is open."""
    if client.role != Role.CLIENT:
        raise EpisodeError("Episodes are for clients.")
    User.objects.select_for_update().filter(pk=client.pk).first()  # one opener at a time
    if Episode.objects.filter(client=client, ended_at__isnull=True).exists():
        raise EpisodeError("This client already has an open episode. Close it first.")
    episode = Episode.objects.create(
        client=client, clinician=clinician or _default_clinician(client, acting_user),
        started_at=started_at or timezone.now(),
        instrument_keys=sorted(set(instrument_keys)) if instrument_keys is not None
        else _tracked(client),
        created_by=acting_user)
    audit_record(action=Action.EPISODE_OPENED, actor=acting_user, object_type="episode",
                 object_id=episode.pk, meta=meta,
                 detail={"client_id": client.pk, "clinician_id": episode.clinician_id})
    return episode


@transaction.atomic
def episode_ensure_open(*, client: User, acting_user: User,
                        meta: RequestMeta | None = None) -> Episode:
    """The client's open episode, or a new one: what inviting a new client and re-engaging a
    former one call."""
    User.objects.select_for_update().filter(pk=client.pk).first()
    episode = Episode.objects.filter(client=client, ended_at__isnull=True).first()
    if episode is not None:
        return episode
    return episode_open(client=client, acting_user=acting_user, meta=meta)


@transaction.atomic
def episode_close(*, episode_id: int, acting_user: User, end_reason: str,
                  ended_at: datetime | None = None, note: str = "",
                  meta: RequestMeta | None = None) -> Episode:
    """End an open episode with a reason. Raises Episode.DoesNotExist for an episode of a
    client outside the acting user's reach (owner: all; clinician: their caseload)."""
    if not sees_clinical_data(acting_user):
        raise Episode.DoesNotExist
    episode = (Episode.objects.select_for_update()
               .get(pk=episode_id, client__in=clients_visible_to(acting_user)))
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
    episode.ended_by = acting_user
    episode.save(update_fields=["ended_at", "end_reason", "end_note", "ended_by"])
    audit_record(action=Action.EPISODE_CLOSED, actor=acting_user, object_type="episode",
                 object_id=episode.pk, meta=meta,
                 detail={"client_id": episode.client_id, "end_reason": end_reason})
    return episode
