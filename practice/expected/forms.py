"""What the expected-path pages accept."""

from __future__ import annotations

from typing import Any, cast

from django import forms

from practice.expected.policies import ANSWER_LABELS, ANSWERS, QUESTIONS
from practice.expected.services import NOTE_LIMIT


class PathSettingsForm(forms.Form):
    is_shown_to_clients = forms.BooleanField(
        required=False, label="Let clinicians show clients their expected range",
        help_text="Off by default. When on, a clinician turns it on for each client; the client "
                  "sees a shaded range with plain words, never \"not on track\".")
    follow_up_instrument_key = forms.ChoiceField(
        required=False, label="Follow-up questionnaire when a client is not on track",
        help_text="Assigned once to the client when the alert fires. Only your practice's own "
                  "published questionnaires.")

    def __init__(self, *args: Any, choices: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = cast(forms.ChoiceField, self.fields["follow_up_instrument_key"])
        field.choices = [("", "None")] + choices


class ShareForm(forms.Form):
    is_shown = forms.TypedChoiceField(choices=[("1", "Show"), ("0", "Hide")],
                                      coerce=lambda value: value == "1")


class SupportForm(forms.Form):
    """One choice and one short note per clinical support question."""

    def __init__(self, *args: Any, initial_answers: dict | None = None,
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        given = initial_answers or {}
        for key, question in QUESTIONS:
            self.fields[f"{key}_answer"] = forms.ChoiceField(
                label=question, choices=[(value, ANSWER_LABELS[value]) for value in ANSWERS],
                widget=forms.RadioSelect, initial=(given.get(key) or {}).get("answer"),
                error_messages={"required": "Choose an answer."})
            self.fields[f"{key}_note"] = forms.CharField(
                label="Note (optional)", required=False, max_length=NOTE_LIMIT,
                widget=forms.Textarea(attrs={"rows": 2}),
                initial=(given.get(key) or {}).get("note", ""))

    def rows(self) -> list[tuple[forms.BoundField, forms.BoundField]]:
        return [(self[f"{key}_answer"], self[f"{key}_note"]) for key, _question in QUESTIONS]

    def answers(self) -> dict[str, dict[str, str]]:
        return {key: {"answer": self.cleaned_data[f"{key}_answer"],
                      "note": self.cleaned_data[f"{key}_note"]} for key, _question in QUESTIONS}
