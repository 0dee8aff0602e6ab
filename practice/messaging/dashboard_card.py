"""The "unread messages" card of the client's portal home (slot 30 of portal.dashboard). One
query: the count of the practice's messages the client has not read."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from portal.dashboard import DashboardCard, register_card
from practice.messaging.selectors import client_unread_count
from tenants.requests import SignedInRequest


def unread_card(request: SignedInRequest, now: datetime) -> dict[str, Any] | None:
    return {"unread": client_unread_count(request.user)}


UNREAD_CARD = register_card(DashboardCard(
    key="unread_messages", order=30, module="messaging",
    template="messaging/portal/_dashboard_card.html", context=unread_card))
