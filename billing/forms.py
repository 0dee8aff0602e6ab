from __future__ import annotations

from django import forms
from django.core.validators import RegexValidator

from billing.plans import PLANS, Interval


class PlanChoiceForm(forms.Form):
    plan = forms.ChoiceField(
        label="Plan", widget=forms.RadioSelect,
        choices=[(plan.key, plan.name) for plan in PLANS],
    )
    interval = forms.ChoiceField(
        label="Billed", widget=forms.RadioSelect, choices=Interval.CHOICES,
        initial=Interval.MONTH,
    )


class ExtendTrialForm(forms.Form):
    days = forms.IntegerField(label="Extend the trial by (days)", min_value=1, max_value=90)


class CouponForm(forms.Form):
    coupon_id = forms.CharField(
        label="Stripe coupon id", max_length=255,
        validators=[RegexValidator(r"^[A-Za-z0-9_-]+$", "Letters, digits, - and _ only.")],
    )
