"""What the release, send, restriction, tag and code forms may carry."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from practice.disclosure import policies
from practice.disclosure.models import Release


def _choices(mapping: dict[str, object]) -> list[tuple[str, Any]]:
    return [(key, label) for key, label in mapping.items()]


# Checkbox lists laid out as the rest of the product's (tandem.css `kind-check`).
_CHECKS = forms.CheckboxSelectMultiple(attrs={"class": "kind-check"})


class ReleaseForm(forms.Form):
    recipient_name = forms.CharField(label=_("Recipient's name"), max_length=150)
    recipient_organisation = forms.CharField(label=_("Organisation"), max_length=200,
                                             required=False)
    recipient_email = forms.EmailField(label=_("Email (the link is sent here)"), required=False)
    recipient_phone = forms.CharField(label=_("Phone (to give the code)"), max_length=40,
                                      required=False)
    kinds = forms.MultipleChoiceField(label=_("What may be shared"),
                                      choices=_choices(policies.SCOPE_KINDS),
                                      widget=_CHECKS)
    instrument_keys = forms.MultipleChoiceField(label=_("Instruments"), required=False,
                                                widget=_CHECKS)
    covers_from = forms.DateField(label=_("Records from"), required=False,
                                  widget=forms.DateInput(attrs={"type": "date"}))
    covers_to = forms.DateField(label=_("Records to"), required=False,
                                widget=forms.DateInput(attrs={"type": "date"}))
    purpose = forms.CharField(label=_("Purpose"), max_length=300)
    expires_on = forms.DateField(label=_("Expires on"), required=False,
                                 widget=forms.DateInput(attrs={"type": "date"}))
    expiry_event = forms.CharField(label=_("Or expires at this event"), max_length=120,
                                   required=False,
                                   help_text=_('For example "end of treatment".'))
    is_part2_consent = forms.BooleanField(label=_("This is a 42 CFR Part 2 consent"),
                                          required=False)
    discloser = forms.CharField(label=_("Who may disclose (Part 2)"), max_length=200,
                                required=False)
    information_description = forms.CharField(
        label=_("Specific description of the information (Part 2)"), required=False,
        widget=forms.Textarea(attrs={"rows": 3}), max_length=2000)

    def __init__(self, *args: Any, instruments: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["instrument_keys"]).choices = instruments


class SendForm(forms.Form):
    """What to send under a release: the packages that can carry something it covers, and
    optionally a narrower date range (a wider one is refused by `disclose`, with the reason)."""

    package_kind = forms.ChoiceField(label=_("Package"))
    covers_from = forms.DateField(label=_("Only records from (optional)"), required=False,
                                  widget=forms.DateInput(attrs={"type": "date"}))
    covers_to = forms.DateField(label=_("Only records to (optional)"), required=False,
                                widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args: Any, release_kinds: list[str] | None = None,
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        offered = policies.packages_for(release_kinds) if release_kinds else list(
            policies.PACKAGE_KINDS)
        # A POST may name any package kind: the gate refuses, with the reason, what the release
        # does not cover.
        choices = offered if not self.is_bound else list(policies.PACKAGE_KINDS)
        cast(forms.ChoiceField, self.fields["package_kind"]).choices = [
            (kind, policies.PACKAGE_KINDS[kind]) for kind in choices]
        if len(offered) == 1:
            self.fields["package_kind"].initial = offered[0]


class RestrictionForm(forms.Form):
    recipient_match = forms.CharField(label=_("Recipient (name or organisation; empty: anyone)"),
                                      max_length=200, required=False)
    kinds = forms.MultipleChoiceField(label=_("Kinds of record (none ticked: everything)"),
                                      choices=_choices(policies.SCOPE_KINDS), required=False,
                                      widget=_CHECKS)
    instrument_keys = forms.CharField(label=_("Instruments (keys, comma separated)"),
                                      max_length=300, required=False)
    note = forms.CharField(label=_("Note"), max_length=300, required=False)

    def clean_instrument_keys(self) -> list[str]:
        raw = self.cleaned_data.get("instrument_keys") or ""
        return sorted({part.strip() for part in raw.split(",") if part.strip()})


class TagForm(forms.Form):
    kind = forms.ChoiceField(choices=[(kind, kind) for kind in policies.TAG_KINDS])
    object_id = forms.IntegerField(min_value=1)


class SignForm(forms.Form):
    typed_name = forms.CharField(max_length=150, required=False)
    consent = forms.BooleanField(required=False)
    drawn = forms.CharField(required=False, max_length=400_000)


class CodeForm(forms.Form):
    code = forms.CharField(label=_("Code"), max_length=20)


class Part2SettingForm(forms.Form):
    is_part2_program = forms.BooleanField(
        label=_("We are a 42 CFR Part 2 program (federally assisted, holding ourselves out "
                "as providing substance use disorder treatment)"), required=False)


RELEASE_STATUS_LABELS = dict(Release.Status.choices)
