from __future__ import annotations

from typing import Any, cast

from django import forms

from tenants.features import enabled_modules
from tenants.models import Practice


class ModulesField(forms.MultipleChoiceField):
    widget = forms.CheckboxSelectMultiple


def _module_choices(practice: Practice) -> list[tuple[str, str]]:
    return [(module.key, module.label) for module in enabled_modules(practice.enabled_modules)]


class ClientInviteForm(forms.Form):
    full_name = forms.CharField(label="Name", max_length=150)
    email = forms.EmailField(label="Email")
    phone = forms.CharField(label="Phone (optional)", max_length=40, required=False)
    modules = ModulesField(label="What this client sees in the portal", required=False)

    def __init__(self, *args: Any, practice: Practice, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = _module_choices(practice)
        cast(forms.ChoiceField, self.fields["modules"]).choices = choices
        self.fields["modules"].initial = [key for key, _ in choices]


class ClientModulesForm(forms.Form):
    modules = ModulesField(label="What this client sees in the portal", required=False)

    def __init__(self, *args: Any, practice: Practice, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = _module_choices(practice)
        cast(forms.ChoiceField, self.fields["modules"]).choices = choices
        self.fields["modules"].initial = [key for key, _ in choices]
