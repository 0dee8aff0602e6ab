"""Parsing what the client sends: answers to questionnaire items and the mood check-in.

An answer is the 0-based position of the chosen option. A critical item (PHQ-9 item 9) offers one
more choice, "I'd rather not answer": it is saved as an explicit skip (None), which the scoring
flags as "risk unknown"; an item the client never reached is simply absent from the answers."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import TYPE_CHECKING, Any, cast

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from practice.measurement.definitions import InstrumentDefinition, Item, exact

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

SKIP = "skip"
SKIP_LABEL = gettext_lazy("I'd rather not answer")
NOTE_MAX_LENGTH = 2000


def critical_keys(definition: InstrumentDefinition) -> frozenset[str]:
    return frozenset(critical.item for critical in definition.critical_items)


def needs_answer(definition: InstrumentDefinition, item: Item) -> bool:
    """Items whose absence matters at submission: scored ones and critical ones."""
    return item.scored or item.key in critical_keys(definition)


def text_item(definition: InstrumentDefinition) -> Item | None:
    """A free-text item is the response's note (the mood check-in's "anything to add?")."""
    return next((item for item in definition.items if not item.is_choice), None)


class AnswersForm(forms.Form):
    """The answers on one page: one item (one per screen) or all of them. Nothing chosen for an
    item is not an error: the item stays unanswered and the client can come back to it."""

    def __init__(self, *args: Any, definition: InstrumentDefinition, items: list[Item],
                 with_note: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        critical = critical_keys(definition)
        for item in items:
            choices: list[tuple[str, StrOrPromise]] = [
                (str(index), option.label) for index, option in enumerate(item.options)]
            if item.key in critical:
                choices.append((SKIP, SKIP_LABEL))
            self.fields[item.key] = forms.ChoiceField(choices=choices, required=False,
                                                      label=item.text)
        if with_note:
            self.fields["note"] = forms.CharField(required=False, max_length=NOTE_MAX_LENGTH)

    def answers(self) -> dict[str, int | None]:
        """Chosen answers only; an explicit skip is None."""
        chosen: dict[str, int | None] = {}
        for key, value in self.cleaned_data.items():
            if key == "note" or value == "":
                continue
            chosen[key] = None if value == SKIP else int(value)
        return chosen

    def note(self) -> str | None:
        return self.cleaned_data.get("note") if "note" in self.fields else None


class MoodForm(forms.Form):
    mood = forms.TypedChoiceField(choices=[(str(value), str(value)) for value in range(11)],
                                  coerce=int, error_messages={
                                      "required": gettext_lazy("Choose a number from 0 to 10."),
                                      "invalid_choice": gettext_lazy(
                                          "Choose a number from 0 to 10."),
                                  })
    note = forms.CharField(required=False, max_length=NOTE_MAX_LENGTH)


# --- what a page shows about each item --------------------------------------------------------

@dataclass(frozen=True)
class Choice:
    value: str
    label: StrOrPromise
    checked: bool


@dataclass(frozen=True)
class Question:
    number: int
    item: Item
    choices: tuple[Choice, ...]
    state: str  # "answered", "skipped" (explicitly) or "unanswered"
    answer_label: str
    needs_answer: bool  # unanswered, it matters at submission (applicable, scored or critical)
    is_critical: bool
    is_applicable: bool  # False when the skip logic says it is not asked (C-SSRS q3 after q2 no)

    @property
    def key(self) -> str:
        return self.item.key


def questions(definition: InstrumentDefinition,
              answers: dict[str, int | None]) -> list[Question]:
    """Every choice item, numbered from 1, with what the client has saved so far."""
    critical = critical_keys(definition)
    built = []
    for number, item in enumerate(definition.choice_items, start=1):
        saved = answers.get(item.key)
        if item.key not in answers:
            state, label = "unanswered", _("Not answered yet")
        elif saved is None:
            state, label = "skipped", str(SKIP_LABEL)
        else:
            state, label = "answered", item.options[int(saved)].label
        choices = [Choice(str(index), option.label, saved == index and state == "answered")
                   for index, option in enumerate(item.options)]
        if item.key in critical:
            choices.append(Choice(SKIP, SKIP_LABEL, state == "skipped"))
        applicable = is_applicable(definition, item, answers)
        if not applicable and state == "unanswered":
            label = _("Not asked: it did not apply")
        built.append(Question(number=number, item=item, choices=tuple(choices), state=state,
                              answer_label=label,
                              needs_answer=applicable and needs_answer(definition, item),
                              is_critical=item.key in critical, is_applicable=applicable))
    return built


def is_applicable(definition: InstrumentDefinition, item: Item,
                  answers: dict[str, int | None]) -> bool:
    """False only when a skip condition is known to fail from the answers given; a condition
    on an unanswered item leaves the item applicable (it is asked, never silently skipped)."""
    for condition in item.ask_if:
        positions = [answers.get(key) for key in condition.items]
        if any(position is None for position in positions):
            continue
        known = cast(list[int], positions)  # none is None (above)
        points = sum((definition.item(key).points_for(int(position))
                      for key, position in zip(condition.items, known, strict=True)),
                     Fraction(0))
        if not condition.holds(points):
            return False
    return True


def first_open(asked: list[Question]) -> int:
    """Where to resume: the first applicable question not answered yet (else the first)."""
    return next((question.number for question in asked
                 if question.is_applicable and question.state == "unanswered"), 1)


def next_applicable(asked: list[Question], position: int, step: int) -> int | None:
    """The next (step 1) or previous (step -1) question that applies, or None past the end."""
    index = position - 1 + step
    while 0 <= index < len(asked):
        if asked[index].is_applicable:
            return asked[index].number
        index += step
    return None


def risk_answered(definition: InstrumentDefinition, answers: dict[str, int | None]) -> bool:
    """A saved answer already reaches a critical item's threshold: crisis help is shown on
    the following screens, before the client submits."""
    for critical in definition.critical_items:
        position = answers.get(critical.item)
        if position is None:
            continue
        item = definition.item(critical.item)
        if item.points_for(int(position)) >= exact(critical.min_points):
            return True
    return False
