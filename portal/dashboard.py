"""The cards of the client's home page, as a small registry, so a capability adds its card
without touching the page: register a `DashboardCard` from your app (e.g. from
`AppConfig.ready()` or a module it imports):

    from portal.dashboard import DashboardCard, register_card

    register_card(DashboardCard(
        key="next_appointment", order=20, module="booking",
        template="appointments/portal/_dashboard_card.html",
        context=next_appointment_card))  # (request, now) -> dict, or None to hide the card

The page shows, in `order`, each card whose module (if any) the client has, and whose context
function returns a dict; the card's template gets that dict as `card`, plus the page's context.
Slots so far: 10 to do, 20 next appointment, 30 unread messages, 40 mood, 50 scores, 60 goals.
A card's context function runs on every visit to the home page: keep it to a query or two
(tests/portal/test_dashboard_and_mood.py pins the page's query count and that the page writes
nothing: no audit row, no update). It is the client's summary of their own record; a card that
needs a detail audited links to the page that audits it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tenants.requests import SignedInRequest


@dataclass(frozen=True)
class DashboardCard:
    key: str
    template: str
    context: Callable[[SignedInRequest, datetime], dict[str, Any] | None]
    module: str | None = None
    order: int = 100


_CARDS: dict[str, DashboardCard] = {}


def register_card(card: DashboardCard) -> DashboardCard:
    existing = _CARDS.get(card.key)
    if existing is not None and existing != card:
        raise ValueError(f"dashboard card {card.key!r} registered twice")
    _CARDS[card.key] = card
    return card


def cards() -> list[DashboardCard]:
    return sorted(_CARDS.values(), key=lambda card: (card.order, card.key))
