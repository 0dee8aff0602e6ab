"""Plain language for the client: what a score means and how it changed, without jargon (and
with an explanation where a technical word cannot be avoided)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from decimal import Decimal

from portal.views.common import number
from practice.measurement.definitions import Band, InstrumentDefinition, band_for, exact
from practice.measurement.scoring import ReliableChange, TalkingTherapiesClass
from practice.measurement.selectors import Change


def short_title(definition: InstrumentDefinition) -> str:
    """"PHQ-9" for "PHQ-9 (Patient Health Questionnaire-9)"."""
    return definition.title.split(" (")[0].strip() or definition.title


def direction(definition: InstrumentDefinition) -> str:
    name = short_title(definition)
    if definition.higher_is_better:
        return f"On the {name}, a higher score means you are doing better."
    return f"On the {name}, a lower score means fewer or milder difficulties."


def band_of(definition: InstrumentDefinition, total: Decimal | float | None) -> Band | None:
    if total is None or not definition.bands:
        return None
    return band_for(definition.bands, exact(float(total)))


def score_range(definition: InstrumentDefinition) -> tuple[str, str] | None:
    if not definition.bands:
        return None
    return number(definition.bands[0].lower), number(definition.bands[-1].upper)


def score_sentence(definition: InstrumentDefinition, total: Decimal | float | None) -> str:
    """"Your PHQ-9 score is 11 (out of 27). That is in the “moderate” range (10 to 14).\""""
    if total is None:
        return ""
    name = short_title(definition)
    span = score_range(definition)
    text = f"Your {name} score is {number(total)}"
    text += f" (on a scale from {span[0]} to {span[1]})." if span else "."
    band = band_of(definition, total)
    if band is not None:
        text += (f" That is in the “{band.label.lower()}” range "
                 f"({number(band.lower)} to {number(band.upper)}).")
    return text


@dataclass(frozen=True)
class ChangeText:
    headline: str
    explanation: str = ""


def change_text(definition: InstrumentDefinition, change: Change,
                threshold: float | None) -> ChangeText:
    """"Your PHQ-9 went from 19 to 11: a reliable improvement." and what "reliable" means."""
    name = short_title(definition)
    if change.latest is None:
        return ChangeText(f"No {name} scores yet.")
    latest = number(change.latest)
    if change.previous is None:
        return ChangeText(f"Your first {name} score is {latest}. The next ones will show how "
                          "things change.")
    first = number(change.baseline)
    if first == latest:
        headline = f"Your {name} score was {first} at the start and is {latest} now."
    else:
        headline = f"Your {name} went from {first} to {latest}"
        if change.reliable is ReliableChange.IMPROVEMENT:
            headline += ": a reliable improvement."
        elif change.reliable is ReliableChange.DETERIORATION:
            headline += ": a reliable worsening."
        else:
            headline += "."
    explanation = ""
    if change.reliable is not None and threshold is not None:
        meaning = (f"“Reliable” means a change of {number(threshold)} points or more on the "
                   f"{name}: bigger than scores move by chance from one time to the next.")
        if change.reliable is ReliableChange.NO_RELIABLE_CHANGE:
            explanation = (f"The change is less than {number(threshold)} points, so it could "
                           "still be ordinary ups and downs. " + meaning)
        elif change.reliable is ReliableChange.DETERIORATION:
            explanation = (meaning + " Your clinician can see this too; it may help to talk "
                           "about it at your next session.")
        else:
            explanation = meaning
    recovered = change.talking_therapies in (TalkingTherapiesClass.RECOVERY,
                                             TalkingTherapiesClass.RELIABLE_RECOVERY)
    if recovered and definition.clinical_cutoff is not None:
        explanation += (f" Your latest score is below {number(definition.clinical_cutoff)}, "
                        "the level at which these difficulties usually count as significant.")
    return ChangeText(headline, explanation.strip())


def threshold_for(definition: InstrumentDefinition,
                  practice_thresholds: dict[str, float]) -> float | None:
    if definition.reliable_change is not None:
        return float(definition.reliable_change)
    value = practice_thresholds.get(definition.key)
    return float(value) if value is not None else None


def due_text(due_at: datetime | None, today: date, zone: tzinfo) -> tuple[str, bool]:
    """("Due today", False) or ("Overdue: it was due on 3 December", True), local dates."""
    if due_at is None:
        return "Ready when you are", False
    due_day = due_at.astimezone(zone).date()
    if due_day < today:
        return f"Overdue: it was due on {due_day.day} {due_day:%B}", True
    if due_day == today:
        return "Due today", False
    if due_day == today + timedelta(days=1):
        return "Due tomorrow", False
    return f"Due by {due_day:%A} {due_day.day} {due_day:%B}", False
