"""Amounts as people read them: "USD 1,234.50". The code, not a symbol, so a dollar is never
ambiguous between currencies."""

from __future__ import annotations

from decimal import Decimal


def money(amount: Decimal, currency: str) -> str:
    return f"{currency} {amount:,.2f}"


def quantity(value: Decimal) -> str:
    """1 rather than 1.00; 1.5 as 1.5."""
    text = format(value.normalize(), "f")
    return text if "." not in text else text.rstrip("0").rstrip(".")
