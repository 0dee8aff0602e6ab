"""What the family pages may carry."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from portal.account_forms import LANGUAGE_CHOICES, AcceptClientInvitationForm, ConsentForm
from practice.family import policies
from practice.measurement.models import Assignment
from practice.timezones import TimezoneField, offer_likely_zones

__all__ = ["AcceptClientInvitationForm", "ConsentForm", "ProxyInviteForm", "LinkForm",
           "GrantsForm", "ProxySettingsForm", "MessageForm", "AgeForm", "FamilySettingsForm",
           "SummaryForm", "MarkForm", "CaregiverAssignForm", "ConfirmAccountForm"]


# Ticks in a compact list (tandem.css: .kind-check).
KINDS_WIDGET = forms.CheckboxSelectMultiple(attrs={"class": "kind-check"})


def _kind_choices(kinds: tuple[str, ...]) -> list[tuple[str, Any]]:
    return [(kind, policies.KIND_LABELS[kind]) for kind in kinds]


class ConfirmAccountForm(ConsentForm):
    """A proxy who already has an account here (a parent of two) confirms it by its password."""

    password1 = forms.CharField(label=_("Your password here"), strip=False,
                                widget=forms.PasswordInput(attrs={"autocomplete":
                                                                  "current-password"}))
    field_order = ["password1", "agree", "version"]


class ProxyInviteForm(forms.Form):
    full_name = forms.CharField(label=_("Their name"), max_length=150)
    email = forms.EmailField(label=_("Their email"))
    relationship = forms.CharField(label=_("Relationship to the client"), max_length=60,
                                   help_text=_("For example: mother, father, guardian."))
    tier = forms.ChoiceField(label=_("What they see"))

    def __init__(self, *args: Any, tiers: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["tier"]).choices = [
            (tier.key, tier.name) for tier in tiers]


class LinkForm(forms.Form):
    tier = forms.ChoiceField(label=_("Tier"))
    added = forms.MultipleChoiceField(label=_("Also show"), required=False,
                                      widget=KINDS_WIDGET,
                                      choices=_kind_choices(policies.TIERABLE))
    removed = forms.MultipleChoiceField(label=_("Never show"), required=False,
                                        widget=KINDS_WIDGET,
                                        choices=_kind_choices(policies.TIERABLE))

    def __init__(self, *args: Any, tiers: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["tier"]).choices = [
            (tier.key, tier.name) for tier in tiers]


class GrantsForm(forms.Form):
    kinds = forms.MultipleChoiceField(label=_("They may see"), required=False,
                                      widget=KINDS_WIDGET,
                                      choices=_kind_choices(policies.GRANTABLE))


class ProxySettingsForm(forms.Form):
    language = forms.ChoiceField(label=_("Language"), choices=LANGUAGE_CHOICES)
    timezone = TimezoneField(label=_("Timezone"), help_text=_(
        "Type the first letters of a city to find it."))
    email_notifications = forms.BooleanField(label=_("Email me when there is something new"),
                                             required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        offer_likely_zones(self, "timezone")


class MessageForm(forms.Form):
    body = forms.CharField(label=_("Message"), max_length=5000, widget=forms.Textarea(
        attrs={"rows": 4}))


class ProxyConversationForm(forms.Form):
    """Staff start a conversation with a proxy (replies happen in the staff inbox)."""

    subject = forms.CharField(label=_("Subject (optional)"), max_length=150, required=False)
    body = forms.CharField(label=_("Message"), max_length=5000, widget=forms.Textarea(
        attrs={"rows": 4}))


class AgeForm(forms.Form):
    birth_date = forms.DateField(label=_("Date of birth"), required=False,
                                 widget=forms.DateInput(attrs={"type": "date"}))
    self_consent_age = forms.IntegerField(
        label=_("Age of self-consent for this client"), required=False, min_value=8,
        max_value=21, help_text=_("Leave blank to use the practice's age."))


class FamilySettingsForm(forms.Form):
    self_consent_age = forms.IntegerField(
        label=_("Age at which a client consents for themself"), required=False, min_value=8,
        max_value=21, help_text=_("Leave blank and every client decides what their family "
                                  "sees."))
    disagreement_points = forms.IntegerField(
        label=_("Alert when a caregiver's and the client's totals differ by at least"),
        min_value=1, max_value=200)

    def __init__(self, *args: Any, tiers: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.tier_keys = [tier.key for tier in tiers]
        for tier in tiers:
            self.fields[f"tier_{tier.key}"] = forms.MultipleChoiceField(
                label=tier.name, required=False, widget=KINDS_WIDGET,
                choices=_kind_choices(policies.TIERABLE), initial=list(tier.kinds))

    def tier_kinds(self) -> dict[str, list[str]]:
        return {key: self.cleaned_data.get(f"tier_{key}", []) for key in self.tier_keys}


class SummaryForm(forms.Form):
    text = forms.CharField(label=_("Progress summary for family"), max_length=4000,
                           widget=forms.Textarea(attrs={"rows": 4}))


class MarkForm(forms.Form):
    kind = forms.ChoiceField(choices=_kind_choices(policies.ALL_KINDS))
    object_id = forms.IntegerField(min_value=1)
    mark = forms.ChoiceField(choices=[("hidden", "hidden"), ("shareable", "shareable")])
    is_on = forms.BooleanField(required=False)


class CaregiverAssignForm(forms.Form):
    link = forms.IntegerField(min_value=1, widget=forms.HiddenInput)
    instrument_key = forms.ChoiceField(label=_("Parent-report instrument"))
    compare_with = forms.ChoiceField(label=_("Chart beside the client's"), required=False)
    frequency = forms.ChoiceField(label=_("How often"), choices=Assignment.Frequency.choices,
                                  initial=Assignment.Frequency.ONCE)
    starts_on = forms.DateField(label=_("From"), required=False,
                                widget=forms.DateInput(attrs={"type": "date"}))
    ends_on = forms.DateField(label=_("Until (optional)"), required=False,
                              widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args: Any, instruments: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["instrument_key"]).choices = instruments
        cast(forms.ChoiceField, self.fields["compare_with"]).choices = [("", "—"), *instruments]
