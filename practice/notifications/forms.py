"""Forms of notification settings: a staff member's own preferences, a client's own quiet hours,
and the owner's practice-wide rules."""

from __future__ import annotations

from datetime import time
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from practice.notifications.models import CHANNELS, STAFF_PREFERENCES
from practice.timezones import TimezoneField, offer_likely_zones

PREFERENCE_LABELS = {"alerts": "Alerts about clients", "messages": "New secure messages",
                     "digest": "The daily summary"}
CHANNEL_LABELS = {"email": "Email", "push": "Notifications on my devices"}
TIME_WIDGET = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")


def preference_field(channel: str, preference: str) -> str:
    return f"{channel}_{preference}"


class OwnQuietHoursMixin(forms.Form):
    """Quiet hours of one's own: both times, or neither (then the practice's apply)."""

    quiet_hours_start = forms.TimeField(label=_("Quiet from"), required=False, widget=TIME_WIDGET)
    quiet_hours_end = forms.TimeField(label=_("Quiet until"), required=False, widget=TIME_WIDGET)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("quiet_hours_start"), data.get("quiet_hours_end")
        if (start is None) != (end is None):
            raise forms.ValidationError(
                _("Give both times for your own quiet hours, or leave both empty."))
        if start is not None and start == end:
            raise forms.ValidationError(_("Quiet hours must start and end at different times."))
        return data


class StaffPreferenceForm(OwnQuietHoursMixin):
    timezone = TimezoneField(label="Timezone", required=False,
                             blank_label="The practice's timezone",
                             help_text="Leave empty to use the practice's timezone. Type the "
                                       "first letters of a city to find it.")
    field_order = ["timezone", "quiet_hours_start", "quiet_hours_end"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        offer_likely_zones(self, "timezone")
        for channel in CHANNELS:
            for preference in STAFF_PREFERENCES:
                self.fields[preference_field(channel, preference)] = forms.BooleanField(
                    label=f"{PREFERENCE_LABELS[preference]} by {CHANNEL_LABELS[channel].lower()}",
                    required=False)

    def channels(self) -> dict[str, dict[str, bool]]:
        return {channel: {preference: bool(self.cleaned_data.get(
            preference_field(channel, preference))) for preference in STAFF_PREFERENCES}
            for channel in CHANNELS}

    def choice_fields(self) -> list[tuple[str, list[forms.BoundField]]]:
        """Rows of the channel-by-kind grid: (kind label, [email field, push field])."""
        return [(PREFERENCE_LABELS[preference],
                 [self[preference_field(channel, preference)] for channel in CHANNELS])
                for preference in STAFF_PREFERENCES]

    def other_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in ("timezone", "quiet_hours_start", "quiet_hours_end")]


class ClientQuietHoursForm(OwnQuietHoursMixin):
    pass


class PracticeNotificationSettingsForm(forms.Form):
    quiet_hours_enabled = forms.BooleanField(
        label="Keep quiet hours", required=False,
        help_text="Reminders wait until the quiet hours end, in each person's own timezone. "
                  "Urgent alerts to clinicians are never held back.")
    quiet_hours_start = forms.TimeField(label="Quiet from", widget=TIME_WIDGET,
                                        initial=time(21, 0))
    quiet_hours_end = forms.TimeField(label="Quiet until", widget=TIME_WIDGET,
                                      initial=time(8, 0))
    default_timezone = TimezoneField(
        label="Practice timezone", include_utc=True,
        help_text="For staff who have not chosen their own.")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        offer_likely_zones(self, "default_timezone")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("quiet_hours_start"), data.get("quiet_hours_end")
        if data.get("quiet_hours_enabled") and start is not None and start == end:
            raise forms.ValidationError("Quiet hours must start and end at different times.")
        return data
