"""Writes of the alert engine: raising alerts (the one way an alert comes to be, with its
recipients and their notifications in the same transaction), evaluating a practice's rules,
the rules' settings, journaling assigned to a client, and the daily staff digest."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.db import IntegrityError, transaction
from django.utils import timezone

from billing.entitlements import module_in_use
from practice.access import Capability, client_for_staff, holds
from practice.engagement import rules, selectors
from practice.engagement.models import JournalingAssignment, RuleSetting
from practice.expected.services import follow_up_assign
from practice.measurement.models import Alert
from practice.notifications import digest
from practice.notifications.selectors import recipient_clock
from practice.notifications.services import notification_enqueue
from tenants.accounts.models import STAFF_ROLES, User
from tenants.actor import Actor
from tenants.audit.actions import Action
from tenants.audit.services import RequestMeta, audit_record
from tenants.models import Practice

logger = logging.getLogger(__name__)

ALERT_NOTIFICATION = "alert_raised"
ROUTINE_ALERT_NOTIFICATION = "alert_raised_routine"
DIGEST_NOTIFICATION = "staff_digest"


class EngagementError(Exception):
    """A refused change; the message is fit to show."""


# --- raising alerts ----------------------------------------------------------------------------

@dataclass(frozen=True)
class AlertRequest:
    client_id: int
    kind: str
    severity: str
    # A short factual line for the inbox; never the client's own words.
    summary: str
    # The condition this alert is about: while an alert with this key has not been cleared,
    # the same condition raises nothing more. Blank: no deduplication.
    dedupe_key: str = ""
    response_id: int | None = None
    detail: dict = field(default_factory=dict, compare=False)


def _create_one(request: AlertRequest) -> Alert | None:
    """One alert in its own savepoint; None when its condition already has one."""
    values = {"client_id": request.client_id, "kind": request.kind,
              "severity": request.severity, "summary": request.summary[:200],
              "response_id": request.response_id, "detail": request.detail}
    if not request.dedupe_key:
        return Alert.objects.create(**values)
    alert, created = Alert.objects.get_or_create(
        dedupe_key=request.dedupe_key, condition_cleared_at__isnull=True, defaults=values)
    return alert if created else None


def alerts_raise(*, requests: Sequence[AlertRequest], actor: Actor = Actor.SYSTEM) -> list[Alert]:
    """Raise alerts for the clients' clinicians (the practice's owners for a client without
    one), and in the same transaction put an `alert_raised` notification for each recipient in
    the outbox (the pipeline sends it by email or push as each prefers). A request whose
    condition already has its alert raises nothing. Returns the alerts created now.

    Set-based: a fixed number of queries for any number of requests, plus for each alert
    created its recipients' outbox rows and its audit event."""
    if not requests:
        return []
    return _alerts_raise(requests, actor.user, actor.meta)


@transaction.atomic
def _alerts_raise(requests: Sequence[AlertRequest], acting_user: User | None,
                  meta: RequestMeta | None) -> list[Alert]:
    unique = list({request.dedupe_key or f"#{index}": request
                   for index, request in enumerate(requests)}.values())
    ongoing = selectors.ongoing_condition_keys(
        [request.dedupe_key for request in unique if request.dedupe_key])
    fresh = [request for request in unique if request.dedupe_key not in ongoing]
    if not fresh:
        return []
    now = timezone.now()
    alerts = [Alert(client_id=request.client_id, kind=request.kind, severity=request.severity,
                    summary=request.summary[:200], dedupe_key=request.dedupe_key,
                    response_id=request.response_id, detail=request.detail, created_at=now)
              for request in fresh]
    try:
        with transaction.atomic():
            Alert.objects.bulk_create(alerts)
    except IntegrityError:
        # Another transaction raised one of these conditions meanwhile: one by one, keeping
        # what is new.
        alerts = [alert for alert in map(_create_one, fresh) if alert is not None]
    recipients = selectors.alert_recipients(sorted({alert.client_id for alert in alerts}))
    Alert.recipients.through.objects.bulk_create([
        Alert.recipients.through(alert_id=alert.pk, user_id=person.pk)
        for alert in alerts for person in recipients[alert.client_id]])
    for alert in alerts:
        people = recipients[alert.client_id]
        for person in people:
            # Urgent alerts reach a clinician at any hour; routine ones (a client drifting
            # away) wait for the end of their quiet hours.
            kind = (ALERT_NOTIFICATION if alert.severity == Alert.Severity.URGENT
                    else ROUTINE_ALERT_NOTIFICATION)
            notification_enqueue(recipient=person, kind=kind,
                                 idempotency_key=f"alert:{alert.pk}:{person.pk}",
                                 context={"alert_id": alert.pk})
        audit_record(action=Action.ALERT_RAISED, actor=acting_user,
                     actor_role=None if acting_user is not None else "system",
                     object_type="alert", object_id=alert.pk, meta=meta,
                     detail={"kind": alert.kind, "client_id": alert.client_id,
                             "recipient_ids": [person.pk for person in people]})
    return alerts


@transaction.atomic
def alert_raise(*, client: User, kind: str, severity: str, summary: str, dedupe_key: str = "",
                response_id: int | None = None, actor: Actor = Actor.SYSTEM) -> tuple[Alert, bool]:
    """Raise one alert (see `alerts_raise`). Returns the alert and whether it is new; when its
    condition already has an alert, that one is returned."""
    request = AlertRequest(client_id=client.pk, kind=kind, severity=severity, summary=summary,
                           dedupe_key=dedupe_key, response_id=response_id)
    created = alerts_raise(requests=[request], actor=actor)
    if created:
        return created[0], True
    return Alert.objects.get(dedupe_key=dedupe_key, condition_cleared_at__isnull=True), False


# --- evaluating a practice -------------------------------------------------------------------

@dataclass
class Evaluation:
    raised: dict[str, int] = field(default_factory=dict)
    cleared: dict[str, int] = field(default_factory=dict)
    ongoing: dict[str, int] = field(default_factory=dict)  # conditions found now, in all
    skipped: list[str] = field(default_factory=list)  # off, or their module is off


def _rule_runs(rule: rules.Rule, state: rules.RuleState, practice: Practice) -> bool:
    return state.is_enabled and (rule.module is None or module_in_use(practice, rule.module))


@transaction.atomic
def engagement_evaluate(*, practice: Practice, now: datetime | None = None) -> Evaluation:
    """Run every periodic rule that is on over the whole practice (the current schema): raise
    an alert for each condition found that has none yet, and mark cleared the conditions no
    longer found, so that their next occurrence raises a new alert. A rule that is off (or
    whose module is off) neither raises nor clears."""
    now = now or timezone.now()
    states = rules.rule_states()
    instruments: dict | None = None
    outcome = Evaluation()
    for rule in rules.PERIODIC:
        state = states[rule.key]
        if not _rule_runs(rule, state, practice):
            outcome.skipped.append(rule.key)
            continue
        if isinstance(rule, rules.ReliableDeterioration) and instruments is None:
            instruments = selectors.deterioration_instruments(practice)
        context = rules.RuleContext(now=now, threshold=state.threshold,
                                    instruments=instruments or {})
        findings = {rule.dedupe_key(finding): finding for finding in rule.find(context)}
        outcome.cleared[rule.key] = (
            Alert.objects.filter(kind=rule.kind, condition_cleared_at__isnull=True,
                                 dedupe_key__startswith=f"{rule.key}:")
            .exclude(dedupe_key__in=list(findings)).update(condition_cleared_at=now))
        raised = alerts_raise(requests=[
            AlertRequest(client_id=finding.client_id, kind=rule.kind, severity=rule.severity,
                         summary=finding.summary, dedupe_key=key, detail=finding.detail)
            for key, finding in findings.items()])
        if rule.kind == Alert.Kind.NOT_ON_TRACK and raised:
            follow_up_assign(alerts=raised)
        outcome.raised[rule.key] = len(raised)
        outcome.ongoing[rule.key] = len(findings)
    return outcome


# --- the rules' settings -----------------------------------------------------------------------

@transaction.atomic
def rule_setting_update(*, rule_key: str, is_enabled: bool, threshold: int,
                        actor: Actor) -> RuleSetting:
    """The owner turns a rule on or off and sets its threshold."""
    if not holds(actor.person, Capability.MANAGE_PRACTICE):
        raise PermissionError("Only the owner changes alert rules.")
    try:
        rule = rules.rule(rule_key)
    except KeyError:
        raise EngagementError("There is no such alert rule.") from None
    if rule.is_immediate:
        raise EngagementError(f"{rule.title} always alert the client's clinicians at once; "
                              "they cannot be changed.")
    if not rule.minimum <= threshold <= rule.maximum:
        raise EngagementError(f"{rule.title}: choose a number from {rule.minimum} to "
                              f"{rule.maximum}.")
    row, created = RuleSetting.objects.select_for_update().get_or_create(
        rule_key=rule.key, defaults={"threshold": threshold, "is_enabled": is_enabled})
    if created or (row.is_enabled, row.threshold) != (is_enabled, threshold):
        row.is_enabled, row.threshold = is_enabled, threshold
        row.updated_by, row.updated_at = actor.user, timezone.now()
        row.save()
        audit_record(action=Action.ENGAGEMENT_RULE_UPDATED, actor=actor,
                     object_type="engagement_rule", object_id=rule.key,
                     detail={"is_enabled": is_enabled, "threshold": threshold})
    return row


@transaction.atomic
def rule_settings_update(*, changes: Sequence[tuple[str, bool, int]],
                         actor: Actor) -> list[RuleSetting]:
    """Several rules at once (the settings page): all saved, or none."""
    return [rule_setting_update(rule_key=key, is_enabled=is_enabled, threshold=threshold,
                                actor=actor)
            for key, is_enabled, threshold in changes]


# --- journaling --------------------------------------------------------------------------------

def _require_clinical(acting_user: User) -> None:
    if not holds(acting_user, Capability.CLINICAL_RECORD):
        raise PermissionError("Only clinicians assign journaling.")


@transaction.atomic
def journaling_assign(*, client_id: int, actor: Actor) -> JournalingAssignment:
    """Ask the client to keep a journal (the silent-journal rule watches them from now on).
    Raises User.DoesNotExist for a client out of the acting user's reach."""
    _require_clinical(actor.person)
    client = client_for_staff(actor.person, client_id)
    now = timezone.now()
    row, created = JournalingAssignment.objects.select_for_update().get_or_create(
        client=client, defaults={"assigned_by": actor.person, "assigned_at": now})
    if not created and row.ended_at is None:
        return row
    if not created:
        row.assigned_by, row.assigned_at, row.ended_at = actor.person, now, None
        row.save(update_fields=["assigned_by", "assigned_at", "ended_at"])
    audit_record(action=Action.JOURNALING_ASSIGNED, actor=actor, object_type="client",
                 object_id=client.pk)
    return row


@transaction.atomic
def journaling_end(*, client_id: int, actor: Actor) -> JournalingAssignment | None:
    _require_clinical(actor.person)
    client = client_for_staff(actor.person, client_id)
    row = JournalingAssignment.objects.select_for_update().filter(client=client).first()
    if row is None or row.ended_at is not None:
        return row
    row.ended_at = timezone.now()
    row.save(update_fields=["ended_at"])
    audit_record(action=Action.JOURNALING_ENDED, actor=actor, object_type="client",
                 object_id=client.pk)
    return row


# --- the daily staff digest --------------------------------------------------------------------

DIGEST_LOOKBACK = timedelta(days=1)
# Each staff member's digest goes out on the first run at or after this hour in their own
# timezone (their choice, else the practice's), once per local day.
DIGEST_LOCAL_HOUR = 8


def _digest_lines(person: User, since: datetime) -> list[dict[str, object]]:
    lines: list[dict[str, object]] = []
    for section in digest.sections():
        if person.role not in section.roles:
            continue
        try:
            # A section that fails is left out (and logged): the others still go out.
            with transaction.atomic():
                count = section.count(person, since)
        except Exception:
            logger.exception("digest section %s failed", section.key)
            continue
        if count:
            lines.append({"key": section.key, "count": count,
                          "label": section.label.format(count=count), "path": section.link})
    return lines


@transaction.atomic
def staff_digest_enqueue(*, now: datetime | None = None,
                         local_hour: int = DIGEST_LOCAL_HOUR) -> int:
    """Put today's digest for each active staff member of the practice in the outbox (email)
    once it is `local_hour` where they are: every registered section that counts something for
    them, as counts and links, no PHI. Someone with nothing to hear about gets no email. Once a
    day each: the key holds their local date. Returns how many digests were enqueued now."""
    now = now or timezone.now()
    since = now - DIGEST_LOOKBACK
    enqueued = 0
    for person in User.objects.filter(role__in=STAFF_ROLES, is_active=True).order_by("pk"):
        local = now.astimezone(_zone(recipient_clock(person).timezone))
        if local.hour < local_hour:
            continue
        lines = _digest_lines(person, since)
        if not lines:
            continue
        day = local.date().isoformat()
        rows = notification_enqueue(
            recipient=person, kind=DIGEST_NOTIFICATION,
            idempotency_key=f"staff_digest:{person.pk}:{day}",
            context={"date": day, "sections": lines}, channels=["email"])
        enqueued += 1 if rows else 0
    return enqueued


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")
