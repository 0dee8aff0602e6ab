"""Small formatting shared by the staff and client pages."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any


def tel_uri(phone: str) -> str:
    """A tap-to-call address: digits, with a leading + kept ("tel:+15550100"); "" if none."""
    digits = re.sub(r"[^\d]", "", phone or "")
    if not digits:
        return ""
    return f"tel:{'+' if phone.strip().startswith('+') else ''}{digits}"


@dataclass(frozen=True)
class Contact:
    name: str
    phone: str
    tel: str


def contacts(items: list[dict[str, Any]]) -> list[Contact]:
    return [Contact(name=item.get("name", ""), phone=item.get("phone", ""),
                    tel=tel_uri(item.get("phone", ""))) for item in items]
