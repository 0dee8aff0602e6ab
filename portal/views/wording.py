"""Plain language for the client: what a score means and how it changed, without jargon (and
with an explanation where a technical word cannot be avoided)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from decimal import Decimal

from django.utils import dateformat
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from portal.pages import number
from practice.measurement.definitions import Band, InstrumentDefinition, band_for, exact
from practice.measurement.scoring import ReliableChange, TalkingTherapiesClass
from practice.measurement.selectors import Change


def short_title(definition: InstrumentDefinition) -> str:
    """"PHQ-9" for "PHQ-9 (Patient Health Questionnaire-9)"."""
    return definition.title.split(" (")[0].strip() or definition.title


def direction(definition: InstrumentDefinition) -> str:
    name = short_title(definition)
    if definition.higher_is_better:
        return _("On the %(name)s, a higher score means you are doing better.") % {"name": name}
    return _("On the %(name)s, a lower score means fewer or milder difficulties.") % {
        "name": name}


def band_of(definition: InstrumentDefinition, total: Decimal | float | None) -> Band | None:
    if total is None or not definition.bands:
        return None
    return band_for(definition.bands, exact(float(total)))


def score_range(definition: InstrumentDefinition) -> tuple[str, str] | None:
    if not definition.bands:
        return None
    return number(definition.bands[0].lower), number(definition.bands[-1].upper)


def score_sentence(definition: InstrumentDefinition, total: Decimal | float | None) -> str:
    """E.g. "Your PHQ-9 score is 11 (on a scale from 0 to 27). That is in the “moderate”
    range (10 to 14).
    """
    if total is None:
        return ""
    name = short_title(definition)
    span = score_range(definition)
    if span:
        text = _("Your %(name)s score is %(score)s (on a scale from %(low)s to %(high)s).") % {
            "name": name, "score": number(total), "low": span[0], "high": span[1]}
    else:
        text = _("Your %(name)s score is %(score)s.") % {"name": name, "score": number(total)}
    band = band_of(definition, total)
    if band is not None:
        text += " " + _("That is in the “%(band)s” range (%(low)s to %(high)s).") % {
            "band": band.label.lower(), "low": number(band.lower), "high": number(band.upper)}
    return text


@dataclass(frozen=True)
class ChangeText:
    headline: str
    explanation: str = ""


def _headline(name: str, change: Change) -> str:
    first, latest = number(change.baseline), number(change.latest)
    values = {"name": name, "first": first, "latest": latest}
    if first == latest:
        return _("Your %(name)s score was %(first)s at the start and is %(latest)s now.") % values
    if change.reliable is ReliableChange.IMPROVEMENT:
        return _("Your %(name)s went from %(first)s to %(latest)s: a reliable improvement.") % (
            values)
    if change.reliable is ReliableChange.DETERIORATION:
        return _("Your %(name)s went from %(first)s to %(latest)s: a reliable worsening.") % (
            values)
    return _("Your %(name)s went from %(first)s to %(latest)s.") % values


def change_text(definition: InstrumentDefinition, change: Change,
                threshold: float | None) -> ChangeText:
    """"Your PHQ-9 went from 19 to 11: a reliable improvement." and what "reliable" means."""
    name = short_title(definition)
    if change.latest is None:
        return ChangeText(_("No %(name)s scores yet.") % {"name": name})
    if change.previous is None:
        return ChangeText(_("Your first %(name)s score is %(score)s. The next ones will show how "
                            "things change.") % {"name": name, "score": number(change.latest)})
    headline = _headline(name, change)
    parts = []
    if change.reliable is not None and threshold is not None:
        points = number(threshold)
        meaning = _("“Reliable” means a change of %(points)s points or more on the %(name)s: "
                    "bigger than scores move by chance from one time to the next.") % {
            "points": points, "name": name}
        if change.reliable is ReliableChange.NO_RELIABLE_CHANGE:
            parts += [_("The change is less than %(points)s points, so it could still be "
                        "ordinary ups and downs.") % {"points": points}, meaning]
        elif change.reliable is ReliableChange.DETERIORATION:
            parts += [meaning, _("Your clinician can see this too; it may help to talk about "
                                 "it at your next session.")]
        else:
            parts.append(meaning)
    recovered = change.talking_therapies in (TalkingTherapiesClass.RECOVERY,
                                             TalkingTherapiesClass.RELIABLE_RECOVERY)
    if recovered and definition.clinical_cutoff is not None:
        parts.append(_("Your latest score is below %(cutoff)s, the level at which these "
                       "difficulties usually count as significant.") % {
            "cutoff": number(definition.clinical_cutoff)})
    return ChangeText(headline, " ".join(parts))


def threshold_for(definition: InstrumentDefinition,
                  practice_thresholds: dict[str, float]) -> float | None:
    if definition.reliable_change is not None:
        return float(definition.reliable_change)
    value = practice_thresholds.get(definition.key)
    return float(value) if value is not None else None


def day_text(day: date) -> str:
    """"Monday 3 December" in the active language."""
    return dateformat.format(day, pgettext("weekday, day and month", "l j F"))


def short_day_text(day: date) -> str:
    """"3 December" in the active language."""
    return dateformat.format(day, pgettext("day and month", "j F"))


def due_on_text(due_day: date, today: date) -> tuple[str, bool]:
    """("Due today", False) or ("Overdue: it was due on 3 December", True)."""
    if due_day < today:
        return _("Overdue: it was due on %(day)s") % {"day": short_day_text(due_day)}, True
    if due_day == today:
        return _("Due today"), False
    if due_day == today + timedelta(days=1):
        return _("Due tomorrow"), False
    return _("Due by %(day)s") % {"day": day_text(due_day)}, False


def due_text(due_at: datetime | None, today: date, zone: tzinfo) -> tuple[str, bool]:
    """The same for a moment, in the client's zone; ("Ready when you are", False) for none."""
    if due_at is None:
        return _("Ready when you are"), False
    return due_on_text(due_at.astimezone(zone).date(), today)
