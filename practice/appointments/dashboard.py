"""The portal home's "next session" card (registered with portal.dashboard)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from portal.dashboard import DashboardCard, register_card
from practice.appointments.views_portal import next_session
from tenants.requests import SignedInRequest


def next_session_card(request: SignedInRequest, now: datetime) -> dict[str, Any] | None:
    """Two queries: the next booked session and the practice's booking rules."""
    session = next_session(request.user, now)
    return {"session": session} if session is not None else None


register_card(DashboardCard(
    key="next_appointment", order=20, module="booking",
    template="appointments/portal/_next_session.html", context=next_session_card))
