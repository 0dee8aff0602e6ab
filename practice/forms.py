from __future__ import annotations

from django import forms
from django.contrib.auth import password_validation
from django.contrib.auth.forms import AuthenticationForm

from practice.models import STAFF_ROLE_CHOICES
from tenants.accounts.models import email_normalise


class SignInForm(AuthenticationForm):
    username = forms.EmailField(
        label="Email", widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True})
    )
    error_messages = {
        "invalid_login": "That email and password do not match an account here.",
        "inactive": "This account is not active.",
    }

    def clean_username(self) -> str:
        # Emails are case-insensitive: the lockout key (django-axes) and the lookup agree.
        return email_normalise(self.cleaned_data["username"])


class StaffInviteForm(forms.Form):
    full_name = forms.CharField(label="Name", max_length=150)
    email = forms.EmailField(label="Email")
    role = forms.ChoiceField(label="Role", choices=STAFF_ROLE_CHOICES)


class StaffRoleForm(forms.Form):
    role = forms.ChoiceField(label="Role", choices=STAFF_ROLE_CHOICES)


class SetPasswordFields(forms.Form):
    password1 = forms.CharField(
        label="Password", strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=password_validation.password_validators_help_text_html(),
    )
    password2 = forms.CharField(
        label="Password again", strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self) -> dict:
        data = super().clean() or {}
        if data.get("password1") and data.get("password1") != data.get("password2"):
            self.add_error("password2", "The two passwords differ.")
        return data


class AcceptInvitationForm(SetPasswordFields):
    full_name = forms.CharField(label="Your name", max_length=150)
    field_order = ["full_name", "password1", "password2"]
