"""Forms for care between sessions, for staff and for the client's portal. Lists are written one
item a line so that every form works without JavaScript."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.forms import formset_factory

from practice.care import selectors
from practice.care.contacts import (
    NAME_MAX,
    PHONE_MAX,
    RELATIONSHIP_MAX,
    TEXT_MAX,
    PhoneError,
    phone_tel,
)
from practice.care.models import Goal, Resource

MAX_FILE_BYTES = 10 * 1024 * 1024


def lines(text: str) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


class ResourceChoiceField(forms.ModelChoiceField):
    """The library's resources by title (and kind), never by database id."""

    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.title} ({obj.get_kind_display().lower()})"


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
        data = super().clean() or {}
        if data.get("value") is None and not (data.get("note") or "").strip():
            raise forms.ValidationError("Write a note or give a number.")
        return data


class HomeworkForm(forms.Form):
    instructions = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), max_length=4000)
    due_on = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    repeats_weekly = forms.BooleanField(required=False, label="Repeat every week")
    resource = ResourceChoiceField(queryset=Resource.objects.none(), required=False,
                                   empty_label="No resource")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["resource"]).queryset = selectors.resources_query()


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
    resource = ResourceChoiceField(queryset=Resource.objects.none())

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["resource"]).queryset = selectors.resources_query()


SAFETY_HELP = "One a line."
BLANK_CONTACT_ROWS = 2
MAX_CONTACTS = 30  # services.MAX_ITEMS


class ContactForm(forms.Form):
    """One contact of the plan: a name, how they relate to the client, a phone number that will
    be tap-to-call. A contact kept from the old free-text plan that could not be read carries
    its text in `original` and stays flagged while it is left as it was."""

    name = forms.CharField(max_length=NAME_MAX, required=False)
    relationship = forms.CharField(max_length=RELATIONSHIP_MAX, required=False,
                                   help_text="Optional, e.g. sister, GP, crisis line")
    phone = forms.CharField(max_length=PHONE_MAX, required=False,
                            widget=forms.TextInput(attrs={"type": "tel",
                                                          "autocomplete": "off"}),
                            help_text="e.g. 555-010-0199 or +1 555 010 0199")
    original = forms.CharField(max_length=TEXT_MAX, required=False, widget=forms.HiddenInput)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        name = (data.get("name") or "").strip()
        relationship = (data.get("relationship") or "").strip()
        phone = (data.get("phone") or "").strip()
        original = (data.get("original") or "").strip()
        data.update(name=name, relationship=relationship, phone=phone, contact=None)
        if not (name or relationship or phone):
            return data  # an empty row: nothing to keep
        if original and name == original and not phone and not relationship:
            data["contact"] = {"text": original, "needs_review": True}
            return data
        if not name:
            self.add_error("name", "Add the person's or the service's name.")
        if not phone:
            self.add_error("phone", "Add a phone number, so the client can tap to call.")
        else:
            try:
                phone_tel(phone)
            except PhoneError as error:
                self.add_error("phone", str(error))
        if not self.errors:
            data["contact"] = {"name": name, "relationship": relationship, "phone": phone}
        return data


class BaseContactFormSet(forms.BaseFormSet):
    def add_fields(self, form: forms.Form, index: int | None) -> None:
        super().add_fields(form, index)
        if "DELETE" in form.fields:
            form.fields["DELETE"].label = "Remove"


ContactFormSet = formset_factory(ContactForm, formset=BaseContactFormSet,
                                 extra=BLANK_CONTACT_ROWS, can_delete=True,
                                 max_num=MAX_CONTACTS, validate_max=True)

CONTACT_SECTIONS = (("help_contacts", "4. People to ask for help"),
                    ("professionals", "5. Professionals and agencies"))


def contact_initial(items: list[dict[str, Any]]) -> list[dict[str, str]]:
    initial = []
    for item in items:
        if item.get("needs_review"):
            initial.append({"name": item.get("text", ""), "original": item.get("text", "")})
        else:
            initial.append({"name": item.get("name", ""),
                            "relationship": item.get("relationship", ""),
                            "phone": item.get("phone", "")})
    return initial


def contact_formsets(data: Any, plan: Any) -> dict[str, Any]:
    """The plan's two contact lists as formsets (prefixes "help_contacts", "professionals").
    A posted form is read as posted: every row counts, whether it changed or not."""
    if data is not None:
        return {section: ContactFormSet(data, prefix=section)
                for section, _ in CONTACT_SECTIONS}
    return {
        section: ContactFormSet(prefix=section,
                                initial=contact_initial(getattr(plan, section)) if plan else [])
        for section, _ in CONTACT_SECTIONS
    }


def contacts_from(formset: Any) -> list[dict[str, Any]]:
    return [form.cleaned_data["contact"] for form in formset.forms
            if form.cleaned_data.get("contact") and not form.cleaned_data.get("DELETE")]


class SafetyPlanForm(forms.Form):
    warning_signs = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False,
                                    label="1. Warning signs", help_text=SAFETY_HELP)
    coping_strategies = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}),
                                        required=False, help_text=SAFETY_HELP,
                                        label="2. Internal coping strategies")
    distractions = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False,
                                   label="3. People and places for distraction",
                                   help_text=SAFETY_HELP)
    environment_safety = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}),
                                         required=False, help_text=SAFETY_HELP,
                                         label="6. Making the environment safe")
    reasons_for_living = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}),
                                         required=False, help_text=SAFETY_HELP,
                                         label="7. Reasons for living")

    def sections(self, contact_formsets: dict[str, Any]) -> dict[str, list[Any]]:
        data = self.cleaned_data
        return {
            "warning_signs": lines(data["warning_signs"]),
            "coping_strategies": lines(data["coping_strategies"]),
            "distractions": lines(data["distractions"]),
            "help_contacts": contacts_from(contact_formsets["help_contacts"]),
            "professionals": contacts_from(contact_formsets["professionals"]),
            "environment_safety": lines(data["environment_safety"]),
            "reasons_for_living": lines(data["reasons_for_living"]),
        }

    @staticmethod
    def initial_from(plan: Any) -> dict[str, str]:
        if plan is None:
            return {}
        return {
            "warning_signs": "\n".join(plan.warning_signs),
            "coping_strategies": "\n".join(plan.coping_strategies),
            "distractions": "\n".join(plan.distractions),
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
