from __future__ import annotations

from typing import Any

from django import forms

from tenants.services import PracticeSignup, signup_problems
from tenants.subdomains import MAX_LENGTH


class SignupForm(forms.Form):
    practice_name = forms.CharField(label="Practice name", max_length=120)
    subdomain = forms.CharField(
        label="Subdomain", max_length=MAX_LENGTH + 20,
        help_text="3 to 40 lowercase letters, digits and hyphens; your portal's address.",
        widget=forms.TextInput(attrs={"autocapitalize": "none", "spellcheck": "false"}),
    )
    owner_name = forms.CharField(label="Your name", max_length=150)
    owner_email = forms.EmailField(label="Your email")
    owner_password = forms.CharField(
        label="Password", strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text="At least 10 characters, not a common password.",
    )

    def clean_subdomain(self) -> str:
        # Shape and availability are checked by the provisioning service, which owns the rules.
        return self.cleaned_data["subdomain"].strip()

    def clean(self) -> dict[str, Any]:
        """Every problem in one answer: the service's rules (subdomain shape and availability,
        the practice's name, password strength) are checked with whatever else is wrong, e.g.
        an email the field refused, rather than one after another."""
        cleaned = super().clean() or {}
        raw = {name: str(self.data.get(name, "")) for name in self.fields}
        signup = PracticeSignup(
            practice_name=cleaned.get("practice_name", raw["practice_name"]),
            subdomain=cleaned.get("subdomain", raw["subdomain"].strip()),
            owner_name=cleaned.get("owner_name", raw["owner_name"]),
            owner_email=cleaned.get("owner_email", raw["owner_email"]),
            owner_password=cleaned.get("owner_password", raw["owner_password"]),
        )
        for field, messages in signup_problems(signup).items():
            if field in self.errors:
                continue  # the field's own message (e.g. "required") says it already
            for message in messages:
                self.add_error(field, message)
        return cleaned


class LifecycleConfirmForm(forms.Form):
    """An operator confirms closing a practice by typing its subdomain."""

    confirm = forms.CharField(max_length=MAX_LENGTH, required=False,
                              widget=forms.TextInput(attrs={"autocomplete": "off",
                                                            "spellcheck": "false"}))

    def __init__(self, *args: Any, subdomain: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.subdomain = subdomain
        self.fields["confirm"].label = f"Type the practice's subdomain, {subdomain}, to confirm"

    def clean_confirm(self) -> str:
        typed = (self.cleaned_data.get("confirm") or "").strip().lower()
        if typed != self.subdomain:
            raise forms.ValidationError(
                f"Type {self.subdomain} exactly to confirm; nothing was changed.")
        return typed
