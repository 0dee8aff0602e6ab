"""Writes of measurement-based care: assigning, materialising what is due, saving and submitting
responses (scored once, pinned, immutable), risk alerts, entered-in-error, alert handling.

Risk is never delayed: a risk answer raises its alert in the same transaction as the answer,
whether or not the response can be scored."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from practice.access import Capability, client_for_staff, clients_visible_to, holds
from practice.engagement.services import alert_raise
from practice.measurement import schedule
from practice.measurement.definitions import (
    DefinitionError,
    InstrumentDefinition,
    definition_from_dict,
)
from practice.measurement.library import UnknownInstrument, shipped_keys
from practice.measurement.models import Alert, Assignment, PracticeInstrument, Response
from practice.measurement.scoring import (
    Flag,
    IncompleteResponse,
    InvalidAnswers,
    ScoreResult,
    score,
)
from practice.measurement.selectors import instrument_definition, instruments_offered
from practice.models import ClientProfile
from tenants.accounts.models import User
from tenants.actor import Actor
from tenants.audit.actions import Action
from tenants.audit.services import RequestMeta, audit_record


class MeasurementError(Exception):
    """A refused measurement action; the message is fit to show."""


@dataclass(frozen=True)
class SubmitOutcome:
    response: Response
    submitted: bool
    missing_items: tuple[str, ...] = ()
    flags: tuple[Flag, ...] = ()
    result: ScoreResult | None = None
    alerts: tuple[Alert, ...] = field(default_factory=tuple)

    @property
    def show_crisis_help(self) -> bool:
        """Any risk answer, or a risk item left unanswered: show crisis help at once."""
        return bool(self.flags)


def client_timezone(client: User) -> str:
    profile = ClientProfile.objects.filter(user=client).only("timezone").first()
    return profile.timezone if profile else "UTC"


def _client_sex(client: User) -> str | None:
    profile = ClientProfile.objects.filter(user=client).only("sex_for_scoring").first()
    return (profile.sex_for_scoring or None) if profile else None


# --- assigning -----------------------------------------------------------------------------------

@transaction.atomic
def assignment_create(
    *, client_id: int, instrument_key: str, frequency: str,
    starts_on: date, ends_on: date | None = None, actor: Actor,
) -> Assignment:
    if not holds(actor.person, Capability.CLINICAL_RECORD):
        raise PermissionError("Only clinicians assign instruments.")
    client = client_for_staff(actor.person, client_id)
    offered = instruments_offered(actor.in_practice)
    if instrument_key not in {definition.key for definition in offered}:
        raise MeasurementError("Your practice does not offer this instrument. The owner can add "
                               "it under Settings → Instruments.")
    if frequency not in Assignment.Frequency.values:
        raise MeasurementError("Choose how often: once, daily, weekly, every two weeks or "
                               "monthly.")
    if ends_on is not None and ends_on < starts_on:
        raise MeasurementError("The end date is before the start date.")
    assignment = Assignment.objects.create(
        client=client, instrument_key=instrument_key, frequency=frequency, starts_on=starts_on,
        ends_on=ends_on, assigned_by=actor.person,
    )
    audit_record(action=Action.ASSIGNMENT_CREATED, actor=actor, object_type="assignment",
                 object_id=assignment.pk, detail={"client_id": client.pk,
                                                  "instrument": instrument_key,
                         "frequency": frequency})
    responses_materialize(client=client, now=timezone.now())
    return assignment


@transaction.atomic
def assignment_end(*, assignment_id: int, actor: Actor) -> Assignment:
    assignment = Assignment.objects.select_for_update().get(
        pk=assignment_id, client__in=clients_visible_to(actor.person))
    if assignment.ended_at is None:
        assignment.ended_at = timezone.now()
        assignment.save(update_fields=["ended_at"])
        Response.objects.filter(assignment=assignment, status=Response.Status.PENDING).update(
            status=Response.Status.MISSED)
        audit_record(action=Action.ASSIGNMENT_ENDED, actor=actor, object_type="assignment",
                     object_id=assignment.pk)
    return assignment


def _due_at(assignment: Assignment, day: date, tz_name: str) -> datetime:
    """Due by the end of the day before the next occurrence (the same day for daily)."""
    return schedule.occurrence_due_at(assignment.frequency, assignment.starts_on,
                                      assignment.ends_on, day, tz_name)


@transaction.atomic
def responses_materialize(*, client: User, now: datetime) -> int:
    """Create the due responses of a client's schedules up to today (their local date).

    Idempotent (one response per occurrence, enforced by a constraint). When a newer occurrence
    arrives, older ones never started become "missed": a client is never faced with a pile."""
    tz_name = client_timezone(client)
    today = schedule.local_today(now, tz_name)
    created = 0
    for assignment in Assignment.objects.select_for_update().filter(client=client,
                                                                    ended_at__isnull=True):
        if assignment.frequency == Assignment.Frequency.ONCE:
            dates = [assignment.starts_on]  # available at once, due on its date
        else:
            dates = schedule.occurrence_dates(assignment.frequency, assignment.starts_on, today,
                                              assignment.ends_on)
        if not dates:
            continue
        existing = set(Response.objects.filter(assignment=assignment)
                       .values_list("occurrence_date", flat=True))
        newest = dates[-1]
        for day in dates:
            if day in existing:
                continue
            Response.objects.create(
                client=client, assignment=assignment, instrument_key=assignment.instrument_key,
                occurrence_date=day, due_at=_due_at(assignment, day, tz_name),
                status=Response.Status.PENDING if day == newest else Response.Status.MISSED,
            )
            created += 1
        Response.objects.filter(assignment=assignment, status=Response.Status.PENDING,
                                occurrence_date__lt=newest).update(status=Response.Status.MISSED)
    return created


# --- answering -----------------------------------------------------------------------------------

def _check_answers(definition: InstrumentDefinition, answers: dict[str, Any]) -> dict[str, Any]:
    clean: dict[str, int | None] = {}
    for key, value in answers.items():
        try:
            item = definition.item(key)
        except KeyError:
            raise MeasurementError(
                _("That answer does not belong to this questionnaire.")) from None
        if value is None or value == "":
            clean[key] = None
            continue
        try:
            position = int(value)
        except (TypeError, ValueError):
            raise MeasurementError(_("Choose one of the answers shown.")) from None
        if not item.is_choice or not 0 <= position < len(item.options):
            raise MeasurementError(_("Choose one of the answers shown."))
        clean[key] = position
    return clean


def _own_open_response(client: User, response_id: int) -> Response:
    response = Response.objects.select_for_update().get(pk=response_id, client=client)
    if response.status == Response.Status.SUBMITTED:
        raise MeasurementError(_("This questionnaire was already submitted; it cannot be "
                                 "changed."))
    if response.status == Response.Status.MISSED:
        raise MeasurementError(_("This questionnaire is no longer open."))
    return response


def _pinned_definition(response: Response) -> InstrumentDefinition:
    try:
        definition = instrument_definition(response.instrument_key, response.definition_version)
    except UnknownInstrument:
        raise MeasurementError(_("This questionnaire is no longer available.")) from None
    response.definition_version = definition.version
    return definition


@transaction.atomic
def response_save_answers(*, client: User, response_id: int, answers: dict[str, Any],
                          note: str | None = None) -> Response:
    """Save answers as the client goes (resumable). Nothing is scored yet."""
    response = _own_open_response(client, response_id)
    definition = _pinned_definition(response)
    response.answers = {**response.answers, **_check_answers(definition, answers)}
    if note is not None:
        response.note = note[:2000]
    if response.status == Response.Status.PENDING:
        response.status = Response.Status.IN_PROGRESS
        response.started_at = timezone.now()
    response.save()
    return response


def _raise_risk_alerts(response: Response, definition: InstrumentDefinition,
                       flags: tuple[Flag, ...]) -> tuple[Alert, ...]:
    """One urgent alert per flag, through the alert engine (recipients and their
    notifications in this same transaction); a flag already raised for this response is not
    raised again."""
    alerts = []
    for flag in flags:
        kind = Alert.Kind.RISK_ITEM if flag.kind == "risk" else Alert.Kind.RISK_UNKNOWN
        alert, _created = alert_raise(
            client=response.client, kind=kind, severity=Alert.Severity.URGENT,
            summary=f"{definition.title}: {flag.message}",
            dedupe_key=f"response:{response.pk}:{flag.item_key}:{flag.kind}",
            response_id=response.pk)
        alerts.append(alert)
    return tuple(alerts)


def _to_decimal(value: float | int | None) -> Decimal | None:
    return None if value is None else Decimal(str(round(float(value), 2)))


@transaction.atomic
def response_submit(*, client: User, response_id: int, answers: dict[str, Any] | None = None,
                    note: str | None = None, meta: RequestMeta | None = None) -> SubmitOutcome:
    """Score and pin a response. Too many missing answers: not submitted (the client is told
    which), but any risk answer or skipped risk item still raises its alert now."""
    response = _own_open_response(client, response_id)
    definition = _pinned_definition(response)
    if answers:
        response.answers = {**response.answers, **_check_answers(definition, answers)}
    if note is not None:
        response.note = note[:2000]
    complete = {item.key: response.answers.get(item.key) for item in definition.choice_items}
    try:
        result = score(definition, complete, sex=_client_sex(client))
    except IncompleteResponse as incomplete:
        response.status = Response.Status.IN_PROGRESS
        response.started_at = response.started_at or timezone.now()
        response.save()
        alerts = _raise_risk_alerts(response, definition, incomplete.flags)
        return SubmitOutcome(response=response, submitted=False,
                             missing_items=incomplete.missing_items, flags=incomplete.flags,
                             alerts=alerts)
    except InvalidAnswers as error:
        raise MeasurementError(str(error)) from error
    now = timezone.now()
    response.status = Response.Status.SUBMITTED
    response.started_at = response.started_at or now
    response.submitted_at = now
    response.scorer, response.scorer_version = result.scorer, str(result.scorer_version)
    response.is_scored = result.total is not None or result.band is not None
    response.total = _to_decimal(result.total)
    response.band_key = result.band.key if result.band else ""
    response.band_label = result.band.label if result.band else ""
    response.subscales = {key: float(value) for key, value in result.subscales.items()}
    response.subscale_bands = {key: band.to_dict() if band else None
                               for key, band in result.subscale_bands.items()}
    response.flags = [flag.to_dict() for flag in result.flags]
    response.advisories = list(result.advisories)
    response.missing_items = list(result.missing_items)
    response.prorated = result.prorated
    response.save()
    alerts = _raise_risk_alerts(response, definition, result.flags)
    audit_record(action=Action.RESPONSE_SUBMITTED, actor=client, object_type="response",
                 object_id=response.pk, meta=meta,
                 detail={"instrument": response.instrument_key,
                         "version": response.definition_version})
    return SubmitOutcome(response=response, submitted=True, missing_items=result.missing_items,
                         flags=result.flags, result=result, alerts=alerts)


@transaction.atomic
def response_start_adhoc(*, client: User, instrument_key: str) -> Response:
    """A response the client starts without a schedule (the daily mood check-in)."""
    definition = instrument_definition(instrument_key)
    return Response.objects.create(client=client, instrument_key=instrument_key,
                                   definition_version=definition.version,
                                   status=Response.Status.IN_PROGRESS, started_at=timezone.now())


# --- clinicians ----------------------------------------------------------------------------------

@transaction.atomic
def response_mark_entered_in_error(*, response_id: int, reason: str, actor: Actor) -> Response:
    """Take a submitted response out of charts and scores; it is kept, and so is the reason."""
    if not holds(actor.person, Capability.CLINICAL_RECORD):
        raise PermissionError("Only clinicians mark responses entered in error.")
    response = Response.objects.select_for_update().get(
        pk=response_id, status=Response.Status.SUBMITTED,
        client__in=clients_visible_to(actor.person))
    if not reason.strip():
        raise MeasurementError("Say why this response was entered in error.")
    if response.entered_in_error_at is not None:
        raise MeasurementError("This response is already marked entered in error.")
    response.entered_in_error_at = timezone.now()
    response.entered_in_error_by = actor.user
    response.entered_in_error_reason = reason.strip()
    response.save(update_fields=["entered_in_error_at", "entered_in_error_by",
                                 "entered_in_error_reason"])
    audit_record(action=Action.RESPONSE_ENTERED_IN_ERROR, actor=actor, object_type="response",
                 object_id=response.pk)
    return response


def _own_alert(alert_id: int, acting_user: User) -> Alert:
    return Alert.objects.select_for_update().get(
        pk=alert_id, client__in=clients_visible_to(acting_user))


@transaction.atomic
def alert_acknowledge(*, alert_id: int, actor: Actor) -> Alert:
    alert = _own_alert(alert_id, actor.person)
    if alert.status == Alert.Status.OPEN:
        alert.status = Alert.Status.ACKNOWLEDGED
        alert.acknowledged_at, alert.acknowledged_by = timezone.now(), actor.user
        alert.save(update_fields=["status", "acknowledged_at", "acknowledged_by"])
        audit_record(action=Action.ALERT_ACKNOWLEDGED, actor=actor, object_type="alert",
                     object_id=alert.pk)
    return alert


@transaction.atomic
def alert_resolve(*, alert_id: int, note: str, actor: Actor) -> Alert:
    alert = _own_alert(alert_id, actor.person)
    if not note.strip():
        raise MeasurementError("Add a note saying how this was resolved.")
    if alert.status != Alert.Status.RESOLVED:
        now = timezone.now()
        alert.status = Alert.Status.RESOLVED
        alert.resolved_at, alert.resolved_by = now, actor.user
        alert.acknowledged_at = alert.acknowledged_at or now
        alert.acknowledged_by = alert.acknowledged_by or actor.user
        alert.resolution_note = note.strip()
        alert.save()
        audit_record(action=Action.ALERT_RESOLVED, actor=actor, object_type="alert",
                     object_id=alert.pk)
    return alert


@transaction.atomic
def alert_snooze(*, alert_id: int, until: datetime, actor: Actor) -> Alert:
    alert = _own_alert(alert_id, actor.person)
    if alert.severity == Alert.Severity.URGENT and alert.status == Alert.Status.OPEN:
        raise MeasurementError("Acknowledge an urgent alert before snoozing it.")
    if until <= timezone.now():
        raise MeasurementError("Snooze until a time in the future.")
    alert.snoozed_until = until
    alert.save(update_fields=["snoozed_until"])
    audit_record(action=Action.ALERT_SNOOZED, actor=actor, object_type="alert",
                 object_id=alert.pk)
    return alert


# --- practice-defined instruments (staff clinic pages) --------------------------------------

def _require_clinical(acting_user: User) -> None:
    if not holds(acting_user, Capability.CLINICAL_RECORD):
        raise PermissionError("Only the owner and clinicians define instruments.")


@transaction.atomic
def practice_instrument_save(*, data: Any, actor: Actor,
                             key: str | None = None) -> PracticeInstrument:
    """Save a draft of a practice-defined instrument, in the shipped definition format.

    ``key`` None: a new instrument, whose key must be unused (shipped keys included). ``key``
    given: the next draft of that instrument (the key cannot change); an open draft is updated
    in place, and a published latest version gets a new draft version on top of it (a published
    row never changes). The version is set here, whatever the data says. Raises
    ``DefinitionError`` listing every problem; nothing is saved then."""
    _require_clinical(actor.person)
    if not isinstance(data, dict):
        raise DefinitionError(["the definition must be a JSON object ({ … })"])
    typed_key = data.get("key")
    problems: list[str] = []
    if key is not None and typed_key != key:
        problems.append(f"the key cannot change: this instrument is {key!r} (create a new "
                        "instrument for another key)")
    if isinstance(typed_key, str) and typed_key in shipped_keys():
        problems.append(f"{typed_key!r} is the key of an instrument Tandem ships; choose "
                        "another key")
    rows = (list(PracticeInstrument.objects.select_for_update().filter(key=typed_key)
                 .order_by("-version")) if isinstance(typed_key, str) else [])
    if key is None and rows:
        problems.append(f"an instrument with key {typed_key!r} already exists; edit it instead")
    if key is not None and not rows and typed_key == key:
        raise PracticeInstrument.DoesNotExist(key)
    latest = rows[0] if rows else None
    draft = latest if latest is not None and latest.status == PracticeInstrument.Status.DRAFT \
        else None
    version = draft.version if draft else (latest.version + 1 if latest else 1)
    payload = {**data, "version": version}
    try:
        definition = definition_from_dict(payload)
    except DefinitionError as error:
        problems += error.messages
    if problems:
        raise DefinitionError(problems)
    if draft is not None:
        draft.definition, draft.title = payload, definition.title
        draft.save(update_fields=["definition", "title"])
        row = draft
    else:
        row = PracticeInstrument.objects.create(key=definition.key, version=version,
                                                title=definition.title, definition=payload,
                                                created_by=actor.person)
    audit_record(action=Action.INSTRUMENT_DRAFT_SAVED, actor=actor,
                 object_type="practice_instrument", object_id=row.pk,
                 detail={"key": row.key, "version": row.version})
    return row


@transaction.atomic
def practice_instrument_publish(*, key: str, actor: Actor) -> PracticeInstrument:
    """Publish the open draft of an instrument: clinicians can assign it from now on, and this
    version never changes again (the database refuses)."""
    _require_clinical(actor.person)
    row = (PracticeInstrument.objects.select_for_update().filter(key=key)
           .order_by("-version").first())
    if row is None:
        raise PracticeInstrument.DoesNotExist(key)
    if row.status != PracticeInstrument.Status.DRAFT:
        raise MeasurementError("There is no draft to publish. Edit the instrument to start a "
                               "new version.")
    definition_from_dict(row.definition)  # still valid under today's rules, or DefinitionError
    row.status = PracticeInstrument.Status.PUBLISHED
    row.published_at = timezone.now()
    row.save(update_fields=["status", "published_at"])
    audit_record(action=Action.INSTRUMENT_PUBLISHED, actor=actor,
                 object_type="practice_instrument", object_id=row.pk,
                 detail={"key": row.key, "version": row.version})
    return row
