"""The alert rules: each a small object with a threshold the practice can adjust and an on/off
switch (practice.engagement.models.RuleSetting), from the seeds: a risk answer, reliable
deterioration, mood lower check-in after check-in, missed check-ins, a silent journal, no
sign-in, overdue assessments, overdue homework, "contact me urgently".

A periodic rule reads the whole practice with one set-based query (practice.engagement.selectors)
and decides in pure Python which clients are in its condition now; the engine
(services.engagement_evaluate) raises an alert for a condition that has none and marks cleared
the conditions no longer found. Risk answers and requests for urgent contact are raised at once
by the action itself and can never be turned off."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from practice.engagement import selectors, timing
from practice.expected import policies as paths
from practice.expected import selectors as path_selectors
from practice.measurement.definitions import InstrumentDefinition
from practice.measurement.library import get_definition
from practice.measurement.models import Alert
from practice.measurement.scoring import ReliableChange, reliable_change


@dataclass(frozen=True)
class Finding:
    """A client in the rule's condition now. `subject` tells apart conditions of one client
    (one per instrument for reliable deterioration)."""

    client_id: int
    summary: str
    subject: str = ""
    # Numbers and keys the alert keeps (not on track: the path's model version and parameters).
    detail: dict = field(default_factory=dict, compare=False)


@dataclass(frozen=True)
class RuleContext:
    now: datetime
    threshold: int
    # Reliable deterioration: instrument key -> (definition, the practice's own threshold).
    instruments: dict[str, tuple[InstrumentDefinition, float | None]]


@dataclass(frozen=True)
class Rule:
    key: str
    kind: str
    title: str
    # What the rule watches, with "{n}" for the threshold.
    description: str
    severity: str = Alert.Severity.ROUTINE
    threshold_label: str = ""
    default_threshold: int = 0
    minimum: int = 0
    maximum: int = 0
    # The portal module the rule needs; while the practice has it off the rule does not run.
    module: str | None = None
    # Risk answers and urgent requests: raised by the action itself, never off.
    is_immediate: bool = False

    @property
    def is_switchable(self) -> bool:
        return not self.is_immediate

    def describe(self, threshold: int | None = None) -> str:
        return self.description.format(n=self.default_threshold if threshold is None
                                       else threshold)

    def dedupe_key(self, finding: Finding) -> str:
        key = f"{self.key}:{finding.client_id}"
        return f"{key}:{finding.subject}" if finding.subject else key

    def find(self, context: RuleContext) -> list[Finding]:
        raise NotImplementedError


def _days(count: int) -> str:
    return "1 day" if count == 1 else f"{count} days"


def _short(definition: InstrumentDefinition) -> str:
    return definition.title.split(" (")[0]


def _number(value: Decimal | float) -> str:
    text = f"{Decimal(value):f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _points(value: float) -> str:
    """A score or a bound to one decimal, as people write it: 7.9, 10 (never 10.0)."""
    rounded = round(float(value), 1)
    return f"{rounded:g}"


def _past_due(threshold: int) -> str:
    return "past due" if threshold == 0 else f"overdue by {_days(threshold)} or more"


class ImmediateRule(Rule):
    def find(self, context: RuleContext) -> list[Finding]:
        return []


class ReliableDeterioration(Rule):
    """The latest `n` scores of an instrument each reliably worse than the client's first."""

    def find(self, context: RuleContext) -> list[Finding]:
        found = []
        tails = selectors.score_tails(sorted(context.instruments), context.threshold)
        for tail in tails:
            definition, practice_threshold = context.instruments[tail.instrument_key]
            if len(tail.totals) < context.threshold or tail.first_id in tail.latest_ids:
                continue
            if all(reliable_change(definition, float(tail.first_total), float(total),
                                   practice_threshold=practice_threshold)
                   == ReliableChange.DETERIORATION for total in tail.totals):
                scores = "score" if context.threshold == 1 else f"{context.threshold} scores"
                found.append(Finding(
                    client_id=tail.client_id, subject=tail.instrument_key,
                    summary=(f"{_short(definition)}: latest {scores} reliably worse than the "
                             f"first ({_number(tail.first_total)} → "
                             f"{_number(tail.totals[0])})")))
        return found


class MoodDecline(Rule):
    """Each of the latest `n` mood check-ins lower than the one before it."""

    def find(self, context: RuleContext) -> list[Finding]:
        found = []
        for tail in selectors.score_tails([selectors.MOOD_KEY], context.threshold + 1):
            totals = tail.totals
            if len(totals) == context.threshold + 1 and all(
                    totals[index] < totals[index + 1] for index in range(context.threshold)):
                found.append(Finding(
                    client_id=tail.client_id,
                    summary=(f"Mood lower on {context.threshold} check-ins in a row "
                             f"({_number(totals[-1])} → {_number(totals[0])} of 10)")))
        return found


class MissedCheckins(Rule):
    """The latest `n` scheduled check-ins that have come due all missed, and no check-in
    since the first of them began."""

    def find(self, context: RuleContext) -> list[Finding]:
        found: dict[int, Finding] = {}
        for schedule in selectors.checkin_schedules():
            passed = timing.passed_occurrences(
                schedule.frequency, schedule.starts_on, schedule.ends_on, schedule.timezone,
                context.now, context.threshold)
            if len(passed) < context.threshold:
                continue
            since = timing.start_of(passed[-1], schedule.timezone)
            if schedule.last_done_at is None or schedule.last_done_at < since:
                found[schedule.client_id] = Finding(
                    client_id=schedule.client_id,
                    summary=f"{context.threshold} scheduled check-ins missed in a row")
        return list(found.values())


class JournalSilence(Rule):
    """Journaling assigned, and no entry for `n` days or more."""

    def find(self, context: RuleContext) -> list[Finding]:
        rows = selectors.journal_silence(context.now - timedelta(days=context.threshold))
        return [Finding(client_id=row.client_id,
                        summary=("No journal entry for "
                                 f"{_days((context.now - row.last_seen).days)}"))
                for row in rows]


class NoSignIn(Rule):
    """No sign-in to the portal for `n` days or more."""

    def find(self, context: RuleContext) -> list[Finding]:
        rows = selectors.sign_in_silence(context.now - timedelta(days=context.threshold))
        return [Finding(client_id=row.client_id,
                        summary=f"Not signed in for {_days((context.now - row.last_seen).days)}")
                for row in rows]


class OverdueAssessments(Rule):
    """An assessment at least `n` days past due, with nothing of that schedule done since."""

    def find(self, context: RuleContext) -> list[Finding]:
        cutoff = context.now - timedelta(days=context.threshold)
        overdue: dict[int, list[str]] = {}
        for schedule in selectors.assessment_schedules():
            passed = timing.passed_occurrences(
                schedule.frequency, schedule.starts_on, schedule.ends_on, schedule.timezone,
                cutoff, 1)
            if passed and (schedule.last_done_on is None or schedule.last_done_on < passed[0]):
                overdue.setdefault(schedule.client_id, []).append(schedule.instrument_key)
        return [Finding(client_id=client_id,
                        summary=(f"{len(keys)} assessment{'s' if len(keys) > 1 else ''} "
                                 f"{_past_due(context.threshold)}"))
                for client_id, keys in overdue.items()]


class OverdueHomework(Rule):
    """Homework at least `n` days past due, with no later occurrence done."""

    def find(self, context: RuleContext) -> list[Finding]:
        cutoff = context.now - timedelta(days=context.threshold)
        overdue: dict[int, int] = {}
        for schedule in selectors.homework_schedules():
            due = timing.homework_passed_occurrence(
                schedule.starts_on, schedule.frequency == "weekly", schedule.timezone, cutoff)
            if due is not None and (schedule.last_done_on is None
                                    or schedule.last_done_on < due):
                overdue[schedule.client_id] = overdue.get(schedule.client_id, 0) + 1
        return [Finding(client_id=client_id,
                        summary=(f"{count} homework task{'s' if count > 1 else ''} "
                                 f"{_past_due(context.threshold)}"))
                for client_id, count in overdue.items()]


class NotOnTrack(Rule):
    """An open episode's latest `n` scores of an instrument beyond its expected path on the
    worse side, the latest at or after the path's earliest week or session, or the PHQ-9 floor
    rule (practice.expected.policies); on sessions held since the baseline where the client has
    held sessions in the episode, else on weeks. One scan of the open episodes for every
    instrument."""

    def find(self, context: RuleContext) -> list[Finding]:
        models = path_selectors.path_model_sets()
        found = []
        for tail in path_selectors.episode_tails(selectors.watched_clients(),
                                                 models[paths.TimeScale.WEEKS],
                                                 context.threshold):
            model = models[tail.scale][tail.instrument_key]
            reading = path_selectors.read_tail(model, tail, context.threshold)
            if reading.status is not paths.PathStatus.NOT_ON_TRACK:
                continue
            band, score, stratum = reading.latest, reading.latest_score, reading.stratum
            if band is None or score is None or stratum is None:
                continue  # never: a reading not on track has all three
            name = _short(get_definition(tail.instrument_key))
            weeks = int(reading.latest_weeks or 0)
            if reading.reason == "floor_rule":
                why = f"{_points(score)} at week {weeks} (floor rule)"
            else:
                why = (f"latest {reading.worse_in_a_row} scores above the expected range "
                       f"({reading.unit} {int(band.time)}: {_points(score)}, "
                       f"expected {_points(band.lower)}–{_points(band.upper)})")
            found.append(Finding(
                client_id=tail.client_id, subject=tail.instrument_key,
                summary=f"{name}: not on track, {why}; baseline {_points(tail.baseline)}",
                detail={"model": paths.parameters(model, stratum),
                        "reason": reading.reason, "episode_id": tail.episode_id,
                        "baseline": tail.baseline, "scale": str(model.scale),
                        "time": round(band.time, 2),
                        "weeks": round(reading.latest_weeks or 0, 2),
                        "score": score, "expected": round(band.expected, 2),
                        "lower": round(band.lower, 2), "upper": round(band.upper, 2),
                        "response_id": tail.latest_response_id}))
        return found


RULES: tuple[Rule, ...] = (
    ImmediateRule(
        key="risk_item", kind=Alert.Kind.RISK_ITEM, severity=Alert.Severity.URGENT,
        title="Risk answers",
        description="A risk answer (for example PHQ-9 item 9 above 0) or a skipped risk item "
                    "alerts the client's clinicians at once.",
        is_immediate=True),
    ImmediateRule(
        key="urgent_contact", kind=Alert.Kind.URGENT_CONTACT, severity=Alert.Severity.URGENT,
        title="Requests for urgent contact",
        description="A client's \"contact me urgently\" alerts their clinicians at once.",
        is_immediate=True),
    ReliableDeterioration(
        key="reliable_deterioration", kind=Alert.Kind.RELIABLE_DETERIORATION,
        title="Reliable deterioration",
        description="The latest {n} score(s) of any instrument reliably worse than the "
                    "client's first.",
        threshold_label="Scores in a row", default_threshold=1, minimum=1, maximum=5,
        module="assessments"),
    MoodDecline(
        key="mood_decline", kind=Alert.Kind.MOOD_DECLINE, title="Mood going down",
        description="Mood lower than the check-in before on {n} check-ins in a row.",
        threshold_label="Check-ins in a row", default_threshold=3, minimum=2, maximum=10,
        module="mood_checkin"),
    MissedCheckins(
        key="missed_checkins", kind=Alert.Kind.MISSED_CHECKINS, title="Missed check-ins",
        description="{n} scheduled mood check-ins missed in a row.",
        threshold_label="Missed in a row", default_threshold=3, minimum=1, maximum=30,
        module="mood_checkin"),
    JournalSilence(
        key="journal_silence", kind=Alert.Kind.JOURNAL_SILENCE, title="Silent journal",
        description="No journal entry for {n} days or more while journaling is assigned.",
        threshold_label="Days", default_threshold=5, minimum=1, maximum=90, module="journal"),
    NoSignIn(
        key="no_sign_in", kind=Alert.Kind.NO_SIGN_IN, title="No sign-in",
        description="No sign-in to the portal for {n} days or more.",
        threshold_label="Days", default_threshold=14, minimum=1, maximum=365),
    OverdueAssessments(
        key="overdue_assessments", kind=Alert.Kind.OVERDUE_ASSESSMENTS,
        title="Overdue assessments",
        description="An assigned assessment {n} days or more past due.",
        threshold_label="Days past due", default_threshold=2, minimum=0, maximum=60,
        module="assessments"),
    OverdueHomework(
        key="overdue_homework", kind=Alert.Kind.OVERDUE_HOMEWORK, title="Overdue homework",
        description="Homework {n} days or more past due.",
        threshold_label="Days past due", default_threshold=2, minimum=0, maximum=60,
        module="homework"),
    NotOnTrack(
        key="not_on_track", kind=Alert.Kind.NOT_ON_TRACK, title="Not on track",
        description="The latest {n} score(s) of an open episode beyond the expected range on "
                    "the worse side (from the path's earliest week), or a PHQ-9 at or above "
                    "the published cut-points (17 from week 4, 13 from week 9, 9 from week "
                    "14). Before that, the caseload shows \"watch\".",
        threshold_label="Scores in a row", default_threshold=2, minimum=1, maximum=5,
        module="assessments"),
)
BY_KEY: dict[str, Rule] = {rule.key: rule for rule in RULES}
PERIODIC: tuple[Rule, ...] = tuple(rule for rule in RULES if not rule.is_immediate)


def rule(key: str) -> Rule:
    return BY_KEY[key]


@dataclass(frozen=True)
class RuleState:
    """A rule as the practice runs it: its settings, or its defaults where none are saved."""

    rule: Rule
    is_enabled: bool
    threshold: int

    @property
    def description(self) -> str:
        return self.rule.describe(self.threshold)


def rule_states() -> dict[str, RuleState]:
    """Every rule with the practice's settings (one query)."""
    saved = selectors.rule_settings()
    states = {}
    for item in RULES:
        row = saved.get(item.key)
        if item.is_immediate or row is None:
            states[item.key] = RuleState(item, True, item.default_threshold)
        else:
            states[item.key] = RuleState(item, row.is_enabled, row.threshold)
    return states
