from __future__ import annotations

from decimal import Decimal

from django import template

from practice.invoices import money as formatting

register = template.Library()


@register.filter
def money(amount: Decimal, currency: str) -> str:
    return formatting.money(amount, currency)


@register.filter
def quantity(value: Decimal) -> str:
    return formatting.quantity(value)
