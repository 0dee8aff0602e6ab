"""Reads of measurement data. History-length independent: each selector runs a fixed number of
queries whatever the number of responses."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.db.models import QuerySet
from django.utils import timezone

from practice.measurement.definitions import InstrumentDefinition, definition_from_dict
from practice.measurement.library import UnknownInstrument, get_definition, shipped_keys
from practice.measurement.scoring import (
    NoReliableChangeThreshold,
    ReliableChange,
    TalkingTherapiesClass,
    reliable_change,
    talking_therapies_outcome,
)
from practice.models import Alert, Assignment, PracticeInstrument, Response
from tenants.accounts.models import User
from tenants.models import Practice


def instrument_definition(key: str, version: int | None = None) -> InstrumentDefinition:
    """A shipped or practice-defined definition (latest published unless pinned)."""
    if key in shipped_keys():
        return get_definition(key, version)
    rows = PracticeInstrument.objects.filter(key=key)
    row = (rows.filter(version=version) if version is not None
           else rows.filter(status=PracticeInstrument.Status.PUBLISHED).order_by("-version")
           ).first()
    if row is None:
        raise UnknownInstrument(f"no instrument {key!r}" + (f" v{version}" if version else ""))
    return definition_from_dict(row.definition, validate=False)


def instruments_offered(practice: Practice) -> list[InstrumentDefinition]:
    """What clinicians may assign: the practice's shipped choices and its published own."""
    offered = [get_definition(key) for key in practice.instrument_keys if key in shipped_keys()]
    latest: dict[str, PracticeInstrument] = {}
    for row in PracticeInstrument.objects.filter(
            status=PracticeInstrument.Status.PUBLISHED).order_by("key", "version"):
        latest[row.key] = row
    offered += [definition_from_dict(row.definition, validate=False) for row in latest.values()]
    return offered


def responses_due(client: User) -> QuerySet[Response]:
    return (Response.objects.filter(client=client, status__in=[Response.Status.PENDING,
                                                               Response.Status.IN_PROGRESS])
            .order_by("due_at", "pk"))


def score_history(client: User, instrument_key: str) -> list[Response]:
    """Submitted, scored responses in time order, without those entered in error."""
    return list(
        Response.objects.filter(client=client, instrument_key=instrument_key,
                                status=Response.Status.SUBMITTED, is_scored=True,
                                entered_in_error_at__isnull=True)
        .only("id", "total", "band_key", "band_label", "submitted_at", "flags",
              "definition_version", "instrument_key", "subscales")
        .order_by("submitted_at", "pk")
    )


@dataclass(frozen=True)
class Change:
    baseline: Decimal | None
    previous: Decimal | None
    latest: Decimal | None
    from_baseline: Decimal | None
    from_previous: Decimal | None
    reliable: ReliableChange | None  # baseline -> latest
    talking_therapies: TalkingTherapiesClass | None


def change_summary(definition: InstrumentDefinition, history: list[Response],
                   practice_threshold: float | None = None) -> Change:
    totals = [response.total for response in history if response.total is not None]
    if not totals:
        return Change(None, None, None, None, None, None, None)
    baseline, latest = totals[0], totals[-1]
    previous = totals[-2] if len(totals) > 1 else None
    reliable: ReliableChange | None = None
    talking: TalkingTherapiesClass | None = None
    if len(totals) > 1:
        try:
            reliable = reliable_change(definition, float(baseline), float(latest),
                                       practice_threshold=practice_threshold)
        except NoReliableChangeThreshold:
            reliable = None
        if definition.key in ("phq9", "gad7"):
            talking = talking_therapies_outcome(definition, float(baseline),
                                                float(latest)).outcome
    return Change(
        baseline=baseline, previous=previous, latest=latest,
        from_baseline=latest - baseline,
        from_previous=(latest - previous) if previous is not None else None,
        reliable=reliable, talking_therapies=talking,
    )


def alert_inbox(user: User) -> QuerySet[Alert]:
    now = timezone.now()
    return (Alert.objects.filter(recipients=user)
            .exclude(status=Alert.Status.RESOLVED)
            .exclude(snoozed_until__gt=now)
            .select_related("client", "response")
            .order_by("severity", "-created_at"))


def open_risk_alerts(client: User) -> QuerySet[Alert]:
    return Alert.objects.filter(client=client, severity=Alert.Severity.URGENT).exclude(
        status=Alert.Status.RESOLVED)


def active_assignments(client: User) -> QuerySet[Assignment]:
    return Assignment.objects.filter(client=client, ended_at__isnull=True)


def last_submitted_before(client: User, moment: datetime) -> Response | None:
    return (Response.objects.filter(client=client, status=Response.Status.SUBMITTED,
                                    submitted_at__lt=moment).order_by("-submitted_at").first())
