"""Small formatting shared by the staff and client pages."""

from __future__ import annotations

import re
from typing import Any

from practice.care.contacts import ShownContact, shown


def tel_uri(phone: str) -> str:
    """A tap-to-call address: digits, with a leading + kept ("tel:+15550100"); "" if none."""
    digits = re.sub(r"[^\d]", "", phone or "")
    if not digits:
        return ""
    return f"tel:{'+' if phone.strip().startswith('+') else ''}{digits}"


def contacts(items: list[dict[str, Any]]) -> list[ShownContact]:
    """Safety-plan contacts as pages show them (tel: address, or flagged with the old text)."""
    return shown(items)
