"""Writes: recalibrating a practice's paths and adopting a calibration (the owner), the
practice's settings, a client's switch (their clinician), the clinical support answers on a "not
on track" alert, and the follow-up questionnaire assigned when one fires."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence

from django.db import transaction
from django.utils import timezone

from practice.access import Capability, client_for_staff, clients_visible_to, holds
from practice.expected import policies, selectors
from practice.expected.models import Calibration, ClientPathSharing, PathSettings, SupportAnswers
from practice.expected.policies import ANSWERS, QUESTIONS
from practice.measurement.models import Alert, Assignment, PracticeInstrument
from tenants.accounts.models import User
from tenants.actor import Actor
from tenants.audit.actions import Action
from tenants.audit.services import audit_record

NOTE_LIMIT = 500


class PathError(Exception):
    """A refused change; the message is fit to show."""


def _require_owner(acting_user: User) -> None:
    if not holds(acting_user, Capability.MANAGE_PRACTICE):
        raise PermissionError("Only the owner changes expected paths.")


@transaction.atomic
def calibration_run(*, instrument_key: str, actor: Actor,
                    minimum_episodes: int = policies.MINIMUM_EPISODES) -> list[Calibration]:
    """Fit the instrument's path, band by band, to the practice's own closed episodes with two
    scores or more; a band with fewer than ``minimum_episodes`` is left on the default. Each fit
    is saved as a proposal (earlier proposals of the band are retired)."""
    if actor.user is not None:
        _require_owner(actor.user)
    model = policies.default_models().get(instrument_key)
    if model is None:
        raise PathError("This instrument has no expected path.")
    made = []
    for band, (episodes, observations) in sorted(
            selectors.observations_by_band(model, instrument_key).items()):
        if episodes < minimum_episodes:
            continue
        started = time.perf_counter()
        fit = policies.fit_stratum(model, observations, episodes=episodes)
        seconds = time.perf_counter() - started
        Calibration.objects.filter(instrument_key=instrument_key, band=band,
                                   status=Calibration.Status.PROPOSED).update(
            status=Calibration.Status.RETIRED)
        row = Calibration.objects.create(
            instrument_key=instrument_key, band=band, k=fit.k, tolerance=fit.tolerance,
            episodes=fit.episodes, points=fit.points, fit_seconds=round(seconds, 4),
            fitted_by=actor.user)
        audit_record(action=Action.EXPECTED_PATH_CALIBRATED, actor=actor,
                     actor_role=None if actor.user else "system", object_type="calibration",
                     object_id=row.pk, detail={"instrument": instrument_key, "band": band,
                             "episodes": fit.episodes})
        made.append(row)
    return made


@transaction.atomic
def calibration_adopt(*, calibration_id: int, actor: Actor) -> Calibration:
    """The owner adopts a proposed calibration: from now on its band's path (and the alerts it
    raises) use the practice's curve instead of the default."""
    _require_owner(actor.person)
    try:
        row = Calibration.objects.select_for_update().get(pk=calibration_id)
    except Calibration.DoesNotExist:
        raise PathError("There is no such calibration.") from None
    if row.status == Calibration.Status.ADOPTED:
        return row
    if row.status != Calibration.Status.PROPOSED:
        raise PathError("This calibration was replaced by a newer one.")
    Calibration.objects.filter(instrument_key=row.instrument_key, band=row.band,
                               status=Calibration.Status.ADOPTED).update(
        status=Calibration.Status.RETIRED)
    row.status, row.adopted_at, row.adopted_by = (Calibration.Status.ADOPTED, timezone.now(),
                                                  actor.user)
    row.save(update_fields=["status", "adopted_at", "adopted_by"])
    audit_record(action=Action.EXPECTED_PATH_ADOPTED, actor=actor,
                 object_type="calibration", object_id=row.pk,
                 detail={"instrument": row.instrument_key, "band": row.band})
    return row


@transaction.atomic
def calibration_restore_default(*, instrument_key: str, band: str, actor: Actor) -> int:
    """Back to the default path for a band."""
    _require_owner(actor.person)
    count = Calibration.objects.filter(instrument_key=instrument_key, band=band,
                                       status=Calibration.Status.ADOPTED).update(
        status=Calibration.Status.RETIRED)
    if count:
        audit_record(action=Action.EXPECTED_PATH_DEFAULT_RESTORED, actor=actor,
                     object_type="expected_path", object_id=f"{instrument_key}:{band}")
    return count


def follow_up_choices() -> list[tuple[str, str]]:
    """The practice-defined instruments that may be assigned as the follow-up."""
    latest: dict[str, str] = {}
    for key, title in (PracticeInstrument.objects
                       .filter(status=PracticeInstrument.Status.PUBLISHED)
                       .order_by("key", "version").values_list("key", "title")):
        latest[key] = title
    return sorted(latest.items(), key=lambda item: item[1].lower())


@transaction.atomic
def path_settings_update(*, is_shown_to_clients: bool, follow_up_instrument_key: str,
                         actor: Actor) -> PathSettings:
    _require_owner(actor.person)
    if follow_up_instrument_key and follow_up_instrument_key not in dict(follow_up_choices()):
        raise PathError("Choose one of your practice's published questionnaires, or none.")
    row = PathSettings.objects.select_for_update().first() or PathSettings()
    if (row.pk is None or row.is_shown_to_clients != is_shown_to_clients
            or row.follow_up_instrument_key != follow_up_instrument_key):
        row.is_shown_to_clients = is_shown_to_clients
        row.follow_up_instrument_key = follow_up_instrument_key
        row.updated_by, row.updated_at = actor.user, timezone.now()
        row.save()
        audit_record(action=Action.EXPECTED_PATH_SETTINGS_CHANGED, actor=actor,
                     object_type="expected_path_settings", object_id=row.pk,
                     detail={"is_shown_to_clients": is_shown_to_clients,
                             "follow_up": bool(follow_up_instrument_key)})
    return row


@transaction.atomic
def client_path_share(*, client_id: int, is_shown: bool, actor: Actor) -> ClientPathSharing:
    """The clinician shows (or hides) the client's expected range on the client's own chart.
    User.DoesNotExist for a client out of reach."""
    if not holds(actor.person, Capability.CLINICAL_RECORD):
        raise PermissionError("Only the client's clinicians change what the client sees.")
    client = client_for_staff(actor.person, client_id)
    row, created = ClientPathSharing.objects.select_for_update().get_or_create(
        client=client, defaults={"is_shown": is_shown, "updated_by": actor.person})
    if created or row.is_shown != is_shown:
        row.is_shown, row.updated_by, row.updated_at = is_shown, actor.person, timezone.now()
        row.save()
        audit_record(action=Action.EXPECTED_PATH_CLIENT_SHARING_CHANGED, actor=actor,
                     object_type="client", object_id=client.pk, detail={"is_shown": is_shown})
    return row


def clean_answers(raw: Mapping[str, Mapping[str, str]]) -> dict[str, dict[str, str]]:
    """Every question answered with one of ANSWERS; notes short."""
    cleaned = {}
    for key, _question in QUESTIONS:
        entry = raw.get(key) or {}
        answer = (entry.get("answer") or "").strip()
        if answer not in ANSWERS:
            raise PathError("Answer every question: a concern, no concern, or not asked yet.")
        note = (entry.get("note") or "").strip()
        if len(note) > NOTE_LIMIT:
            raise PathError(f"Keep each note to {NOTE_LIMIT} characters.")
        cleaned[key] = {"answer": answer, "note": note}
    return cleaned


@transaction.atomic
def support_answers_save(*, alert_id: int, answers: Mapping[str, Mapping[str, str]],
                         actor: Actor) -> SupportAnswers:
    """Save (or update) the clinician's answers on a "not on track" alert of a client in reach.
    Alert.DoesNotExist otherwise."""
    if not holds(actor.person, Capability.CLINICAL_RECORD):
        raise PermissionError("Only clinicians answer the support questions.")
    alert = Alert.objects.select_for_update().get(
        pk=alert_id, kind=Alert.Kind.NOT_ON_TRACK,
        client__in=clients_visible_to(actor.person))
    cleaned = clean_answers(answers)
    row, created = SupportAnswers.objects.get_or_create(
        alert=alert, defaults={"answers": cleaned, "answered_by": actor.person})
    if not created:
        row.answers, row.answered_by, row.answered_at = cleaned, actor.person, timezone.now()
        row.save()
    audit_record(action=Action.ALERT_SUPPORT_ANSWERED, actor=actor, object_type="alert",
                 object_id=alert.pk, detail={"concerns": sorted(key for key,
                                                                entry in cleaned.items()
                                            if entry["answer"] == "concern")})
    return row


def follow_up_assign(*, alerts: Sequence[Alert]) -> int:
    """When "not on track" fires and the practice chose a follow-up questionnaire: assign it
    once to each client (today), from the alert's first recipient. Returns how many."""
    # Imported here: measurement's services raise alerts through the engagement engine, which
    # calls this function, so a module-level import would be circular.
    from practice.measurement.services import responses_materialize

    key = selectors.path_settings().follow_up_instrument_key
    if not key or not alerts:
        return 0
    if key not in dict(follow_up_choices()):
        return 0
    recipients = {row.alert_id: row.user_id for row in Alert.recipients.through.objects
                  .filter(alert_id__in=[alert.pk for alert in alerts]).order_by("user_id")}
    now = timezone.now()
    made = 0
    for alert in alerts:
        assigner = recipients.get(alert.pk)
        if assigner is None:
            continue
        assignment = Assignment.objects.create(
            client_id=alert.client_id, instrument_key=key,
            frequency=Assignment.Frequency.ONCE, starts_on=now.date(),
            assigned_by_id=assigner)
        audit_record(action=Action.ASSIGNMENT_CREATED, actor=None, actor_role="system",
                     object_type="assignment", object_id=assignment.pk,
                     detail={"client_id": alert.client_id, "instrument": key,
                             "frequency": "once", "alert_id": alert.pk})
        responses_materialize(client=assignment.client, now=now)
        made += 1
    return made
