"""Forms of the messaging pages. They parse; the services decide (and say no in words)."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from practice.messaging.models import MAX_BODY_LENGTH, MAX_SUBJECT_LENGTH
from tenants.accounts.models import User

BODY_LENGTH_ERROR = _("A message can be at most %(limit_value)d characters (this one has "
                      "%(show_value)d).")


class _BodyField(forms.CharField):
    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("label", _("Message"))
        super().__init__(
            max_length=MAX_BODY_LENGTH, strip=False,
            widget=forms.Textarea(attrs={"rows": 5, "maxlength": MAX_BODY_LENGTH}),
            error_messages={"required": _("Write a message."),
                            "max_length": BODY_LENGTH_ERROR},
            **kwargs)


def _person_choices(people: list[User], empty: str) -> list[tuple[str, str]]:
    return [("", empty)] + [(str(user.pk), user.full_name or user.email) for user in people]


class StaffStartForm(forms.Form):
    client = forms.TypedChoiceField(label="Client", coerce=int,
                                    error_messages={"invalid_choice": "Choose a client from the "
                                                                      "list."})
    subject = forms.CharField(label="Subject (optional)", required=False,
                              max_length=MAX_SUBJECT_LENGTH)
    body = _BodyField()

    def __init__(self, *args: Any, clients: list[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["client"]).choices = _person_choices(
            clients, "Choose a client")


class ClientStartForm(forms.Form):
    staff = forms.TypedChoiceField(label=_("To"), coerce=int,
                                   error_messages={"invalid_choice": _("Choose someone from "
                                                                       "the list.")})
    subject = forms.CharField(label=_("Subject (optional)"), required=False,
                              max_length=MAX_SUBJECT_LENGTH)
    body = _BodyField()

    def __init__(self, *args: Any, staff: list[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["staff"]).choices = _person_choices(
            staff, str(_("Choose who to write to")))


class ReplyForm(forms.Form):
    body = _BodyField(label=_("Your reply"))


class EditForm(forms.Form):
    body = _BodyField(label=_("New text"))


class CloseForm(forms.Form):
    note = forms.CharField(label="Why (optional, for staff only)", required=False,
                           max_length=300)


class SettingsForm(forms.Form):
    expected_response_time = forms.CharField(
        label="Clients can expect an answer", max_length=120,
        help_text="Shown to clients beside every message form, e.g. "
                  "\"within 2 business days\".")
    expected_response_time_es = forms.CharField(
        label="The same in Spanish (optional)", max_length=120, required=False,
        help_text="What clients who chose Spanish read, e.g. \"en un plazo de 2 días hábiles\". "
                  "Without it they read the wording above (the default one is translated "
                  "for them).")
    front_desk_sees_messages = forms.BooleanField(
        label="Front desk may read and answer messages", required=False,
        help_text="Messages are clinical: by default only the owner and clinicians see them.")
