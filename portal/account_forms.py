"""Forms of the client's account: accepting an invitation, consent, settings, MFA."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from portal.models import NOTIFICATION_CHANNELS, NOTIFICATION_KINDS
from practice.forms import SetPasswordFields
from practice.timezones import TimezoneField, offer_likely_zones

# Each language in its own name, whatever language the page is in.
LANGUAGE_CHOICES = [("en", "English"), ("es", "Español")]
KIND_LABELS = {"reminders": gettext_lazy("Reminders"), "messages": gettext_lazy("Messages"),
               "assessments": gettext_lazy("Questionnaires due")}
CHANNEL_LABELS = {"email": gettext_lazy("by email"),
                  "push": gettext_lazy("as notifications on this device")}


class ConsentForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    agree = forms.BooleanField(label=gettext_lazy("I have read this and I agree"),
                               required=True)


class AcceptClientInvitationForm(SetPasswordFields, ConsentForm):
    field_order = ["password1", "password2", "agree", "version"]


class ClientSettingsForm(forms.Form):
    full_name = forms.CharField(label=gettext_lazy("Name"), max_length=150)
    preferred_name = forms.CharField(label=gettext_lazy("Preferred name"), max_length=150,
                                     required=False)
    pronouns = forms.CharField(label=gettext_lazy("Pronouns"), max_length=60, required=False)
    timezone = TimezoneField(label=gettext_lazy("Timezone"), help_text=gettext_lazy(
        "Type the first letters of a city to find it."))
    language = forms.ChoiceField(label=gettext_lazy("Language"), choices=LANGUAGE_CHOICES)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        offer_likely_zones(self, "timezone")
        for channel in NOTIFICATION_CHANNELS:
            for kind in NOTIFICATION_KINDS:
                self.fields[f"notify_{channel}_{kind}"] = forms.BooleanField(
                    label=_("%(kind)s %(channel)s") % {"kind": KIND_LABELS[kind],
                                                       "channel": CHANNEL_LABELS[channel]},
                    required=False)

    def notifications(self) -> dict[str, dict[str, bool]]:
        return {channel: {kind: bool(self.cleaned_data.get(f"notify_{channel}_{kind}"))
                          for kind in NOTIFICATION_KINDS}
                for channel in NOTIFICATION_CHANNELS}


class CodeForm(forms.Form):
    code = forms.CharField(
        label=gettext_lazy("Code"), max_length=20,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric",
                                      "autofocus": True}))


class StaffMfaRuleForm(forms.Form):
    require_staff_mfa = forms.BooleanField(
        label=gettext_lazy("Require a second sign-in step for all staff"), required=False)
