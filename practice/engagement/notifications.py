"""What the engagement app tells people: the daily staff digest (its kind, and the alert sections
of it). Alerts themselves go out as the built-in `alert_raised` kind."""

from __future__ import annotations

from datetime import datetime

from practice.access import Capability, roles_with
from practice.engagement import selectors
from practice.notifications.digest import DigestSection, register_section
from practice.notifications.kinds import NotificationKind, register
from tenants.accounts.models import User

STAFF_DIGEST = register(NotificationKind(
    key="staff_digest",
    preference="digest",
    subject="Your daily summary",
    push_body="Your daily summary is ready.",
    email_template="engagement/email/staff_digest",
    link=lambda context: "/",
    respects_quiet_hours=True,
))



def _open_alerts(user: User, since: datetime) -> int:
    return selectors.inbox_counts(user, since)[0]


def _new_alerts(user: User, since: datetime) -> int:
    return selectors.inbox_counts(user, since)[1]


register_section(DigestSection(
    key="alerts_open", label="{count} alerts in your inbox", count=_open_alerts,
    link="/clinic/alerts/", roles=roles_with(Capability.CLINICAL_RECORD)))
register_section(DigestSection(
    key="alerts_new", label="{count} new alerts since yesterday", count=_new_alerts,
    link="/clinic/alerts/", roles=roles_with(Capability.CLINICAL_RECORD)))
