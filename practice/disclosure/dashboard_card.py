"""The "release to sign" card of the client's portal home (slot 15 of portal.dashboard): shown
while a release waits for the client's signature. One query."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from portal.dashboard import DashboardCard, register_card
from practice.disclosure.models import Release
from tenants.requests import SignedInRequest


def awaiting_card(request: SignedInRequest, now: datetime) -> dict[str, Any] | None:
    waiting = Release.objects.filter(client=request.user,
                                     status=Release.Status.AWAITING_SIGNATURE).count()
    return {"waiting": waiting} if waiting else None


AWAITING_CARD = register_card(DashboardCard(
    key="releases_to_sign", order=15, template="disclosure/portal/_dashboard_card.html",
    context=awaiting_card))
