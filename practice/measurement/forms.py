"""Forms of the staff clinic pages: assigning, marking entered in error, handling alerts, the
instrument editor (JSON in the shipped definition format) and the scoring preview."""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Any, cast

from django import forms

from practice.measurement.definitions import InstrumentDefinition
from practice.measurement.models import Assignment

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class AssignForm(forms.Form):
    instrument = forms.ChoiceField(label="Instrument")
    frequency = forms.ChoiceField(label="How often", choices=Assignment.Frequency.choices)
    starts_on = forms.DateField(
        label="Due date, or first date of a schedule", widget=DATE_INPUT,
        help_text="In the client's own calendar (their timezone).")
    ends_on = forms.DateField(label="Last date (schedules only, optional)", required=False,
                              widget=DATE_INPUT)

    def __init__(self, *args: Any, instruments: list[InstrumentDefinition],
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = cast(forms.ChoiceField, self.fields["instrument"])
        field.choices = [("", "Choose an instrument")] + [
            (definition.key, definition.title) for definition in instruments]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        starts_on: date | None = data.get("starts_on")
        ends_on: date | None = data.get("ends_on")
        if data.get("frequency") == Assignment.Frequency.ONCE and ends_on is not None:
            self.add_error("ends_on", "A one-off assignment has only a due date; leave the last "
                                      "date empty.")
        elif starts_on and ends_on and ends_on < starts_on:
            self.add_error("ends_on", "The last date is before the first date.")
        return data


class EnteredInErrorForm(forms.Form):
    reason = forms.CharField(
        label="Why was this entered in error?", max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="For example: completed by the wrong person, or the client misread the "
                  "scale. The response is kept and leaves the charts.")


class AlertResolveForm(forms.Form):
    note = forms.CharField(label="How was this resolved?", max_length=2000,
                           widget=forms.Textarea(attrs={"rows": 2}))


SNOOZE_CHOICES = (("4h", "4 hours"), ("1d", "1 day"), ("3d", "3 days"), ("7d", "1 week"))
SNOOZE_DELTAS = {"4h": timedelta(hours=4), "1d": timedelta(days=1), "3d": timedelta(days=3),
                 "7d": timedelta(days=7)}


class AlertSnoozeForm(forms.Form):
    duration = forms.ChoiceField(label="Snooze for", choices=SNOOZE_CHOICES)

    @property
    def delta(self) -> timedelta:
        return SNOOZE_DELTAS[self.cleaned_data["duration"]]


class ReviewSinceForm(forms.Form):
    since = forms.DateField(label="Show everything since", required=False, widget=DATE_INPUT)


class InstrumentDefinitionForm(forms.Form):
    definition = forms.CharField(
        label="Definition (JSON)",
        widget=forms.Textarea(attrs={"rows": 24, "spellcheck": "false", "class": "code"}),
        help_text="The same format as the instruments Tandem ships: items with options and "
                  "points, bands, subscales, critical items, the missing-item rule. The version "
                  "is set for you.")

    def clean_definition(self) -> Any:
        text = self.cleaned_data["definition"]
        try:
            return json.loads(text)
        except json.JSONDecodeError as error:
            raise forms.ValidationError(
                f"This is not valid JSON: {error.msg} at line {error.lineno}, column "
                f"{error.colno}.") from None


class ScoringPreviewForm(forms.Form):
    """One choice per item (blank = skipped), and the sex when the cut-offs depend on it."""

    def __init__(self, *args: Any, definition: InstrumentDefinition, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.definition = definition
        for number, item in enumerate(definition.choice_items, start=1):
            choices = [("", "Skipped (no answer)")] + [
                (str(index), f"{option.label} ({_points_text(item.points_for(index))})"
                 if item.scored else f"{option.label} (not scored)")
                for index, option in enumerate(item.options)]
            self.fields[f"item_{item.key}"] = forms.TypedChoiceField(
                label=f"{number}. {item.text}", choices=choices, required=False, coerce=int,
                empty_value=None)
        if definition.sex_bands:
            self.fields["sex"] = forms.ChoiceField(
                label="Sex (the cut-off depends on it)", required=False,
                choices=[("", "Not given"), ("female", "Female"), ("male", "Male")])

    def answers(self) -> dict[str, int | None]:
        return {item.key: self.cleaned_data.get(f"item_{item.key}")
                for item in self.definition.choice_items}

    def sex(self) -> str | None:
        return self.cleaned_data.get("sex") or None


def _points_text(value: Any) -> str:
    number = float(value)
    text = str(int(number)) if number == int(number) else f"{number:g}"
    return f"{text} point" if number == 1 else f"{text} points"


def _any(label: str, choices: dict[str, str] | list[tuple[Any, str]]) -> list[tuple[Any, str]]:
    pairs = list(choices.items()) if isinstance(choices, dict) else list(choices)
    return [("", label), *pairs]


class CaseloadFilterForm(forms.Form):
    """The caseload's search, filters and sort (GET). A value that is not among the choices
    is an inline error and that filter is left off; the table still shows."""

    q = forms.CharField(label="Search", required=False, max_length=100,
                        help_text="A name or an email address.")
    clinician = forms.TypedChoiceField(label="Clinician", required=False, coerce=int,
                                       empty_value=None)
    instrument = forms.ChoiceField(label="Instrument", required=False)
    band = forms.ChoiceField(label="Current band", required=False)
    change = forms.ChoiceField(label="Change since baseline", required=False)
    reliable = forms.ChoiceField(label="Reliable change", required=False)
    activity = forms.ChoiceField(label="Last activity", required=False)
    engagement = forms.ChoiceField(label="Engagement", required=False)
    episode = forms.ChoiceField(label="Episode", required=False)
    sort = forms.ChoiceField(label="Sort by", required=False)
    order = forms.ChoiceField(label="Order", required=False,
                              choices=[("asc", "Ascending"), ("desc", "Descending")])
    page = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)

    SCORE_FIELDS = ("instrument", "band", "change", "reliable")

    def __init__(self, *args: Any, instruments: list[tuple[str, str]], bands: list[str],
                 clinicians: list[tuple[int, str]], with_scores: bool = True,
                 **kwargs: Any) -> None:
        from practice.measurement import caseload

        super().__init__(*args, **kwargs)
        # Every field here is a ChoiceField (django-stubs types them as Field).
        fields = cast(dict[str, forms.ChoiceField], self.fields)
        fields["clinician"].choices = _any("Any clinician", clinicians)
        fields["instrument"].choices = _any("Any instrument", instruments)
        fields["band"].choices = _any("Any band", [(band, band) for band in bands])
        fields["change"].choices = _any("Any change", caseload.CHANGES)
        fields["reliable"].choices = _any("Any", caseload.RELIABLE_STATES)
        fields["activity"].choices = _any("Any time", caseload.ACTIVITY)
        fields["engagement"].choices = _any("Any", caseload.ENGAGEMENT_STATES)
        fields["episode"].choices = _any("Any", caseload.EPISODE_STATES)
        fields["sort"].choices = list(caseload.SORTS.items())
        if not clinicians:
            del fields["clinician"]
        if not with_scores:  # the assessments module is off: no scores anywhere
            for name in self.SCORE_FIELDS:
                del fields[name]
            fields["sort"].choices = [pair for pair in fields["sort"].choices
                                      if pair[0] not in ("change", "score")]

    def values(self) -> dict[str, Any]:
        """The valid values (a field in error counts as not given)."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return {name: data.get(name) for name in self.fields if name not in self.errors}
