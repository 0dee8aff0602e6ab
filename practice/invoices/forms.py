"""Forms of the staff invoice pages: the invoice's details and its lines (a few blank rows;
rows left blank are ignored, so no JavaScript is needed to add lines)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any, cast

from django import forms
from django.forms import formset_factory

from practice.invoices.models import CURRENCIES
from practice.invoices.services import MAX_LINES, InvoiceInput, LineInput
from practice.notifications.selectors import local_today
from tenants.accounts.models import User

BLANK_ROWS = 3


class InvoiceForm(forms.Form):
    client = forms.TypedChoiceField(coerce=int, label="Client")
    currency = forms.ChoiceField(choices=CURRENCIES, initial="USD")
    issue_date = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    due_date = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    notes = forms.CharField(required=False, max_length=2000,
                            widget=forms.Textarea(attrs={"rows": 3}),
                            label="Notes (payment instructions; the client sees them)")

    def __init__(self, *args: Any, clients: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["client"]).choices = [("", "Choose a client"), *clients]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        issue, due = data.get("issue_date"), data.get("due_date")
        if issue and due and due < issue:
            self.add_error("due_date", "The due date cannot be before the issue date.")
        return data


class LineForm(forms.Form):
    description = forms.CharField(max_length=200)
    service_date = forms.DateField(required=False, label="Date of service",
                                   widget=forms.DateInput(attrs={"type": "date"}))
    quantity = forms.DecimalField(max_digits=8, decimal_places=2, min_value=Decimal("0.01"),
                                  initial=Decimal("1"))
    unit_price = forms.DecimalField(max_digits=10, decimal_places=2, min_value=Decimal("0"),
                                    label="Unit price")


LineFormSet = formset_factory(LineForm, extra=BLANK_ROWS, max_num=MAX_LINES,
                              validate_max=True)


def invoice_input(form: InvoiceForm, lines: Any) -> InvoiceInput:
    data = form.cleaned_data
    return InvoiceInput(
        client_id=data["client"], currency=data["currency"], issue_date=data["issue_date"],
        due_date=data["due_date"], notes=data["notes"],
        lines=[LineInput(description=row["description"], quantity=row["quantity"],
                         unit_price=row["unit_price"], service_date=row.get("service_date"))
               for row in lines.cleaned_data if row])


def default_dates(user: User) -> dict[str, Any]:
    """Issued today where the staff member is (not UTC's today), due 30 days later."""
    today = local_today(user)
    return {"issue_date": today, "due_date": today + timedelta(days=30),
            "currency": "USD"}


class PaidForm(forms.Form):
    paid_on = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}),
                              label="Paid on")


class VoidForm(forms.Form):
    reason = forms.CharField(max_length=200, label="Reason")
