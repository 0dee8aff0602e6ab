"""Sections of the daily staff digest. Each feature registers what it counts (from its
`notifications.py`); the digest job asks every section for each staff member and sends counts and
links only, never PHI. A section that counts nothing for someone is left out of their email."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from tenants.accounts.models import User


@dataclass(frozen=True)
class DigestSection:
    key: str
    # Fixed wording with the count, e.g. "{count} forms completed".
    label: str
    # How many items this staff member should hear about since `since`.
    count: Callable[[User, datetime], int]
    # Path on the practice's host where they are listed.
    link: str
    # Roles that receive this section.
    roles: frozenset[str]


_SECTIONS: dict[str, DigestSection] = {}


def register_section(section: DigestSection) -> DigestSection:
    _SECTIONS[section.key] = section
    return section


def sections() -> tuple[DigestSection, ...]:
    return tuple(_SECTIONS.values())
