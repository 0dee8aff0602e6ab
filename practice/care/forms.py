"""Forms for care between sessions, for staff and for the client's portal. Lists are written one
item a line so that every form works without JavaScript."""

from __future__ import annotations

from typing import Any

from django import forms

from practice.care import selectors
from practice.models import Goal, Resource

MAX_FILE_BYTES = 10 * 1024 * 1024


def lines(text: str) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def contact_lines(text: str) -> list[dict[str, str]]:
    """"Name, phone" a line; the phone is what follows the last comma."""
    contacts = []
    for line in lines(text):
        name, _, phone = line.rpartition(",")
        if not name:
            name, phone = phone, ""
        contacts.append({"name": name.strip(), "phone": phone.strip()})
    return contacts


class GoalForm(forms.Form):
    title = forms.CharField(max_length=200)
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)
    target_value = forms.DecimalField(max_digits=9, decimal_places=2, required=False,
                                      help_text="Optional: a number to reach, e.g. 3")
    target_unit = forms.CharField(max_length=60, required=False,
                                  help_text="Optional: what the number counts, e.g. walks a week")
    milestones = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False,
                                 help_text="Optional: one milestone a line")


class GoalStatusForm(forms.Form):
    status = forms.ChoiceField(choices=Goal.Status.choices)


class ProgressForm(forms.Form):
    value = forms.DecimalField(max_digits=9, decimal_places=2, required=False,
                               label="Where you are now (a number, optional)")
    note = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False,
                           max_length=4000)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("value") is None and not (data.get("note") or "").strip():
            raise forms.ValidationError("Write a note or give a number.")
        return data


class HomeworkForm(forms.Form):
    instructions = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), max_length=4000)
    due_on = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    repeats_weekly = forms.BooleanField(required=False, label="Repeat every week")
    resource = forms.ModelChoiceField(queryset=Resource.objects.none(), required=False,
                                      empty_label="No resource")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["resource"].queryset = selectors.resources_query()


class ResourceForm(forms.Form):
    kind = forms.ChoiceField(choices=Resource.Kind.choices)
    title = forms.CharField(max_length=200)
    description = forms.CharField(max_length=500, required=False)
    url = forms.URLField(max_length=500, required=False, assume_scheme="https")
    body = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), required=False)
    file = forms.FileField(required=False)

    def clean_file(self) -> Any:
        upload = self.cleaned_data.get("file")
        if upload is not None and upload.size > MAX_FILE_BYTES:
            raise forms.ValidationError("Files can be up to 10 MB.")
        return upload


class ShareForm(forms.Form):
    resource = forms.ModelChoiceField(queryset=Resource.objects.none())

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["resource"].queryset = selectors.resources_query()


SAFETY_HELP = "One a line."
CONTACT_HELP = "One a line: name, phone (e.g. Sam, 555 0100)."


class SafetyPlanForm(forms.Form):
    warning_signs = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False,
                                    label="1. Warning signs", help_text=SAFETY_HELP)
    coping_strategies = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}),
                                        required=False, help_text=SAFETY_HELP,
                                        label="2. Internal coping strategies")
    distractions = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False,
                                   label="3. People and places for distraction",
                                   help_text=SAFETY_HELP)
    help_contacts = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False,
                                    label="4. People to ask for help", help_text=CONTACT_HELP)
    professionals = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False,
                                    label="5. Professionals and agencies",
                                    help_text=CONTACT_HELP)
    environment_safety = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}),
                                         required=False, help_text=SAFETY_HELP,
                                         label="6. Making the environment safe")
    reasons_for_living = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}),
                                         required=False, help_text=SAFETY_HELP,
                                         label="7. Reasons for living")

    def sections(self) -> dict[str, list[Any]]:
        data = self.cleaned_data
        return {
            "warning_signs": lines(data["warning_signs"]),
            "coping_strategies": lines(data["coping_strategies"]),
            "distractions": lines(data["distractions"]),
            "help_contacts": contact_lines(data["help_contacts"]),
            "professionals": contact_lines(data["professionals"]),
            "environment_safety": lines(data["environment_safety"]),
            "reasons_for_living": lines(data["reasons_for_living"]),
        }

    @staticmethod
    def initial_from(plan: Any) -> dict[str, str]:
        if plan is None:
            return {}

        def contacts(items: list[dict[str, str]]) -> str:
            return "\n".join(", ".join(part for part in (item.get("name", ""),
                                                         item.get("phone", "")) if part)
                             for item in items)

        return {
            "warning_signs": "\n".join(plan.warning_signs),
            "coping_strategies": "\n".join(plan.coping_strategies),
            "distractions": "\n".join(plan.distractions),
            "help_contacts": contacts(plan.help_contacts),
            "professionals": contacts(plan.professionals),
            "environment_safety": "\n".join(plan.environment_safety),
            "reasons_for_living": "\n".join(plan.reasons_for_living),
        }


# --- the client's forms ------------------------------------------------------------------------

class CompletionForm(forms.Form):
    reflection = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False,
                                 max_length=4000, label="How did it go? (optional)")


class JournalForm(forms.Form):
    body = forms.CharField(widget=forms.Textarea(attrs={"rows": 5}), max_length=20000,
                           label="Write your entry")
    sharing = forms.ChoiceField(
        choices=[("private", "Private: only I can read it"),
                 ("shared", "Shared with my clinician")],
        initial="private", widget=forms.RadioSelect, label="Who can read it")


class JournalSharingForm(forms.Form):
    sharing = forms.ChoiceField(choices=[("private", "Private"), ("shared", "Shared")])


class SafetyAddForm(forms.Form):
    section = forms.ChoiceField(choices=[("coping", "Something I can do to cope"),
                                         ("reason", "A reason for living")],
                                widget=forms.RadioSelect, label="What are you adding?")
    text = forms.CharField(max_length=300, label="Write it here")
