"""The audit trail's filters (page and API)."""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from typing import Any, cast
from zoneinfo import ZoneInfo

from django import forms

from practice.audit_trail.selectors import TrailFilters, action_groups, person_by_email
from tenants.audit.actions import Action

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
OBJECT_TYPE = re.compile(r"^[a-z_]{1,64}$")


class TrailFilterForm(forms.Form):
    action = forms.ChoiceField(label="Kind of event", required=False, error_messages={
        "invalid_choice": "Choose a kind of event from the list."})
    person = forms.EmailField(label="Who (email)", required=False,
                              help_text="Someone of the practice: staff or client.")
    object_type = forms.CharField(label="About (kind)", required=False, max_length=64,
                                  help_text='For example "client", "response", "document".')
    object_id = forms.CharField(label="About (number)", required=False, max_length=64)
    start = forms.DateField(label="From", widget=DATE_INPUT, required=False)
    end = forms.DateField(label="To", widget=DATE_INPUT, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["action"]).choices = [
            ("", "Every kind"),
            *[(group, [(value, value) for value in values])
              for group, values in action_groups()]]
        self.person_id: int | None = None

    def clean_action(self) -> str:
        value = self.cleaned_data.get("action") or ""
        if value and value not in {member.value for member in Action}:
            raise forms.ValidationError("Choose a kind of event from the list.")
        return value

    def clean_person(self) -> str:
        email = self.cleaned_data.get("person") or ""
        if email:
            person = person_by_email(email)
            if person is None:
                raise forms.ValidationError("No one in this practice has that email address.")
            self.person_id = person.pk
        return email

    def clean_object_type(self) -> str:
        value = (self.cleaned_data.get("object_type") or "").strip().lower()
        if value and not OBJECT_TYPE.match(value):
            raise forms.ValidationError(
                "Write the kind in lower-case letters and underscores, e.g. client.")
        return value

    def clean_object_id(self) -> str:
        value = (self.cleaned_data.get("object_id") or "").strip()
        if value and not value.isdigit():
            raise forms.ValidationError("Write the number only, e.g. 12.")
        return value

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start: date | None = data.get("start")
        end: date | None = data.get("end")
        if start and end and end < start:
            self.add_error("end", "The end date is before the start date.")
        return data

    def filters(self, zone: ZoneInfo) -> TrailFilters:
        """From a valid form (an unbound or invalid one filters nothing); "to" includes its
        whole day, both days in ``zone``."""
        if not (self.is_bound and self.is_valid()):
            return TrailFilters()
        data = self.cleaned_data

        def moment(day: date | None, *, next_day: bool = False) -> datetime | None:
            if day is None:
                return None
            return datetime.combine(day + timedelta(days=1 if next_day else 0), time.min,
                                    tzinfo=zone)

        return TrailFilters(action=data["action"] or None, actor_id=self.person_id,
                            object_type=data["object_type"] or None,
                            object_id=data["object_id"] or None,
                            start=moment(data.get("start")),
                            end=moment(data.get("end"), next_day=True))
