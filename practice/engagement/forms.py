"""Forms of the engagement pages."""

from __future__ import annotations

from typing import Any

from django import forms

from practice.engagement.rules import RuleState


class RuleSettingsForm(forms.Form):
    """Every switchable rule: on or off, and its threshold (within the rule's bounds)."""

    def __init__(self, *args: Any, states: dict[str, RuleState], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.states = [state for state in states.values() if state.rule.is_switchable]
        for state in self.states:
            rule = state.rule
            self.fields[f"{rule.key}-enabled"] = forms.BooleanField(
                label=f"{rule.title}: on", required=False, initial=state.is_enabled)
            self.fields[f"{rule.key}-threshold"] = forms.IntegerField(
                label=f"{rule.title}: {rule.threshold_label.lower()}",
                min_value=rule.minimum, max_value=rule.maximum, initial=state.threshold,
                help_text=f"From {rule.minimum} to {rule.maximum}; {rule.default_threshold} "
                          "unless you change it.",
                widget=forms.NumberInput(attrs={"inputmode": "numeric"}))

    def rows(self) -> list[tuple[RuleState, Any, Any]]:
        return [(state, self[f"{state.rule.key}-enabled"], self[f"{state.rule.key}-threshold"])
                for state in self.states]

    def changes(self) -> list[tuple[str, bool, int]]:
        return [(state.rule.key, self.cleaned_data[f"{state.rule.key}-enabled"],
                 self.cleaned_data[f"{state.rule.key}-threshold"]) for state in self.states]


class JournalingForm(forms.Form):
    action = forms.ChoiceField(choices=[("assign", "Assign journaling"),
                                        ("end", "Stop journaling")])
