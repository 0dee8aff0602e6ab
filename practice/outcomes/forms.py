"""Forms of the outcome pages: closing an episode, report filters, the utilization-review
range."""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms

from practice.outcomes.models import Episode

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class EpisodeCloseForm(forms.Form):
    end_reason = forms.ChoiceField(label="Why did the episode end?",
                                   choices=[("", "Choose a reason"),
                                            *Episode.EndReason.choices])
    ended_on = forms.DateField(
        label="Last day of the episode", widget=DATE_INPUT, required=False,
        help_text="Leave empty for today. In the client's own calendar (their timezone).")
    note = forms.CharField(label="Note (optional, no clinical detail needed)", max_length=300,
                           required=False)


class DateRangeForm(forms.Form):
    start = forms.DateField(label="From", widget=DATE_INPUT, required=False)
    end = forms.DateField(label="To", widget=DATE_INPUT, required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        start: date | None = data.get("start")
        end: date | None = data.get("end")
        if start and end and end < start:
            self.add_error("end", "The end date is before the start date.")
        return data


class ReportFilterForm(DateRangeForm):
    instrument = forms.ChoiceField(label="Instrument", required=False)
    clinician = forms.TypedChoiceField(label="Clinician", required=False, coerce=int,
                                       empty_value=None)
    end_reason = forms.ChoiceField(label="End reason", required=False,
                                   choices=[("", "Any reason"), *Episode.EndReason.choices])

    def __init__(self, *args: Any, instruments: list[tuple[str, str]],
                 clinicians: list[tuple[int, str]] | None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["instrument"].choices = [("", "Every instrument"), *instruments]
        if clinicians is None:
            del self.fields["clinician"]
        else:
            self.fields["clinician"].choices = [("", "Every clinician"), *clinicians]
