"""Forms of the staff pages (the builder's steps, sharing) and the client's signing form. The
client's answers are read from the POST by question key (views.portal.raw_answers), not by a
Django form: the questions are data."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from practice.formbuilder.builder import FieldSpec
from practice.formbuilder.definitions import (
    CHOICE_TYPES,
    FIELD_TYPES,
    MAX_DESCRIPTION,
    MAX_HELP,
    MAX_LABEL,
    MAX_OPTION,
    MAX_TITLE,
    NUMBER,
)
from practice.formbuilder.services import MAX_TYPED_NAME


class TemplateForm(forms.Form):
    title = forms.CharField(max_length=MAX_TITLE)
    description = forms.CharField(max_length=MAX_DESCRIPTION, required=False,
                                  widget=forms.Textarea(attrs={"rows": 2}))


class SectionForm(forms.Form):
    title = forms.CharField(max_length=MAX_TITLE, label="Section title")
    description = forms.CharField(max_length=MAX_DESCRIPTION, required=False,
                                  widget=forms.Textarea(attrs={"rows": 2}),
                                  label="Introduction (optional)")


class FieldForm(forms.Form):
    type = forms.ChoiceField(choices=list(FIELD_TYPES.items()), label="Kind of question")
    label = forms.CharField(max_length=MAX_LABEL, label="Question",
                            help_text="For a signature: the statement the client signs.")
    help = forms.CharField(max_length=MAX_HELP, required=False, label="Help text (optional)")
    required = forms.BooleanField(required=False, label="An answer is required")
    options = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}),
                              label="Options, one per line (choice questions)")
    min = forms.DecimalField(required=False, label="Smallest number (optional)",
                             max_digits=14, decimal_places=4)
    max = forms.DecimalField(required=False, label="Largest number (optional)",
                             max_digits=14, decimal_places=4)
    integer_only = forms.BooleanField(required=False, label="Whole numbers only")

    def clean_options(self) -> list[str]:
        lines = [line.strip() for line in self.cleaned_data["options"].splitlines()]
        options = [line for line in lines if line]
        if any(len(option) > MAX_OPTION for option in options):
            raise forms.ValidationError(f"Keep each option under {MAX_OPTION} characters.")
        return options

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        kind = data.get("type")
        if kind in CHOICE_TYPES and len(data.get("options") or []) < 2:
            self.add_error("options", "Give at least two options, one per line.")
        return data

    def spec(self) -> FieldSpec:
        data = self.cleaned_data
        kind = data["type"]
        return FieldSpec(
            type=kind, label=data["label"], help=data["help"], required=data["required"],
            options=data["options"] if kind in CHOICE_TYPES else [],
            min=str(data["min"]) if kind == NUMBER and data["min"] is not None else None,
            max=str(data["max"]) if kind == NUMBER and data["max"] is not None else None,
            integer_only=kind == NUMBER and data["integer_only"])

    @classmethod
    def initial_for(cls, item: dict[str, Any]) -> dict[str, Any]:
        return {"type": item["type"], "label": item["label"], "help": item.get("help", ""),
                "required": item.get("required", False),
                "options": "\n".join(item.get("options", [])), "min": item.get("min"),
                "max": item.get("max"), "integer_only": item.get("integer_only", False)}


class ShareForm(forms.Form):
    client = forms.TypedChoiceField(coerce=int, label="Client")
    template = forms.TypedChoiceField(coerce=int, label="Form")
    due_on = forms.DateField(required=False, label="Due by (optional)",
                             widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args: Any, clients: list[tuple[int, str]],
                 templates: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["client"]).choices = [("", "Choose a client"), *clients]
        cast(forms.ChoiceField, self.fields["template"]).choices = [
            ("", "Choose a form"), *templates]


class SignForm(forms.Form):
    typed_name = forms.CharField(max_length=MAX_TYPED_NAME, label=_("Your full name"),
                                 error_messages={"required": _("Type your full name to sign.")})
    consent = forms.BooleanField(
        label=_("I agree to sign electronically"),
        error_messages={"required": _("Tick the box to agree to sign electronically.")})
    drawn = forms.CharField(required=False, widget=forms.HiddenInput)
