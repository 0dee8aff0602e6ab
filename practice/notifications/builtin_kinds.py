"""Notification kinds that belong to no single feature."""

from __future__ import annotations

from practice.notifications.kinds import NotificationKind, register

ALERT_RAISED = register(NotificationKind(
    key="alert_raised",
    preference="alerts",
    subject="A new alert is waiting in your inbox",
    push_body="A new alert is waiting in your inbox.",
    link=lambda context: "/clinic/alerts/",
    # A clinician hears about a risk answer or a request for urgent contact at any hour.
    respects_quiet_hours=False,
    push_ttl=6 * 3600,
))

ROUTINE_ALERT_RAISED = register(NotificationKind(
    key="alert_raised_routine",
    preference="alerts",
    subject="A new alert is waiting in your inbox",
    push_body="A new alert is waiting in your inbox.",
    link=lambda context: "/clinic/alerts/",
    # A client drifting away can wait for the morning.
    respects_quiet_hours=True,
    push_ttl=24 * 3600,
))

PUSH_TEST = register(NotificationKind(
    key="push_test",
    preference="test",
    subject="Test notification",
    push_body="Notifications work on this device.",
    link=lambda context: "/",
    respects_quiet_hours=False,
    push_ttl=600,
))
