from __future__ import annotations

from django import template

register = template.Library()

_SYMBOLS = {"usd": "$", "eur": "€", "gbp": "£"}


@register.filter
def money(amount: int | None, currency: str = "usd") -> str:
    """An amount in the smallest currency unit, as `$1,234.50`."""
    value = (amount or 0) / 100
    symbol = _SYMBOLS.get((currency or "").lower(), "")
    text = f"{value:,.2f}"
    return f"{symbol}{text}" if symbol else f"{text} {currency.upper()}"
