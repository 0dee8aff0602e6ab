from __future__ import annotations

from typing import Any, cast

from django import forms

from branding.colors import ColorError, check_palette, normalize_hex
from branding.logos import LogoError, process_logo
from tenants.features import MODULES, MessagingPolicyKind
from tenants.subdomains import MAX_LENGTH

MAX_LOGO_BYTES = 2 * 1024 * 1024


class ColorInput(forms.TextInput):
    input_type = "color"


class BrandingForm(forms.Form):
    display_name = forms.CharField(label="Practice name shown to clients", max_length=120)
    primary_color = forms.CharField(label="Primary colour", max_length=7, widget=ColorInput,
                                    help_text="Header and buttons; text on it is chosen for you.")
    accent_color = forms.CharField(label="Accent colour", max_length=7, widget=ColorInput)
    logo = forms.FileField(label="Logo (PNG, JPEG or SVG, up to 2 MB)", required=False)
    remove_logo = forms.BooleanField(label="Remove the current logo", required=False)
    contact_phone = forms.CharField(label="Contact phone", max_length=40, required=False)
    contact_email = forms.EmailField(label="Contact email", required=False)
    address = forms.CharField(label="Address", max_length=300, required=False)
    website = forms.URLField(label="Website", required=False, assume_scheme="https")
    crisis_line = forms.CharField(
        label="Your practice's crisis line", max_length=40, required=False,
        help_text="Shown beside 988 and the emergency number on every page.",
    )
    email_sender_name = forms.CharField(label="Email sender name", max_length=120,
                                        required=False,
                                        help_text="Defaults to the practice name.")
    welcome_text = forms.CharField(label="Welcome text for the portal", max_length=600,
                                   required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def _clean_color(self, field: str) -> str:
        try:
            return normalize_hex(self.cleaned_data[field])
        except ColorError as error:
            raise forms.ValidationError(str(error)) from error

    def clean_primary_color(self) -> str:
        return self._clean_color("primary_color")

    def clean_accent_color(self) -> str:
        return self._clean_color("accent_color")

    def clean_logo(self) -> Any:
        upload = self.cleaned_data.get("logo")
        if not upload:
            return None
        if upload.size > MAX_LOGO_BYTES:
            raise forms.ValidationError("The logo is larger than 2 MB.")
        try:
            return process_logo(upload.read(), upload.name)
        except LogoError as error:
            raise forms.ValidationError(str(error)) from error

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("primary_color") and data.get("accent_color"):
            for problem in check_palette(data["primary_color"], data["accent_color"]):
                field = "accent_color" if "accent" in problem.pair.lower() else "primary_color"
                self.add_error(field, problem.message)
        return data


class ModulesForm(forms.Form):
    enabled = forms.MultipleChoiceField(
        label="Portal modules", required=False, widget=forms.CheckboxSelectMultiple,
        choices=[(module.key, f"{module.label}: {module.description}") for module in MODULES],
    )


class MessagingPolicyForm(forms.Form):
    policy = forms.ChoiceField(label="Who may start a conversation",
                               choices=MessagingPolicyKind.CHOICES, widget=forms.RadioSelect)


def _instrument_choices() -> list[tuple[str, str]]:
    from practice.measurement.library import get_definition, shipped_keys

    return [(key, get_definition(key).title) for key in shipped_keys()]


class InstrumentsForm(forms.Form):
    keys = forms.MultipleChoiceField(label="Instruments your practice offers", required=False,
                                     widget=forms.CheckboxSelectMultiple, choices=())

    def __init__(self, *args: Any, thresholds: dict[str, float] | None = None,
                 **kwargs: Any) -> None:
        from practice.measurement.library import get_definition, shipped_keys

        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["keys"]).choices = _instrument_choices()
        # Instruments without a published reliable-change value take the practice's own.
        for key in shipped_keys():
            definition = get_definition(key)
            if definition.reliable_change is None and definition.has_total:
                self.fields[f"rc_{key}"] = forms.DecimalField(
                    label=f"Reliable change for {definition.title} (points)", required=False,
                    min_value=0.01, max_value=1000, decimal_places=2,
                    initial=(thresholds or {}).get(key),
                    help_text="No published value; changes of at least this are marked "
                              "reliable. Leave empty to mark none.",
                )

    def thresholds(self) -> dict[str, float]:
        return {name.removeprefix("rc_"): float(value)
                for name, value in self.cleaned_data.items()
                if name.startswith("rc_") and value is not None}


class SubdomainForm(forms.Form):
    subdomain = forms.CharField(label="New subdomain", max_length=MAX_LENGTH + 20)
