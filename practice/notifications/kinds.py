"""The registry of notification kinds. Each feature registers its own kinds (from its
`notifications.py`, imported by its AppConfig.ready), so the pipeline knows, for every row in the
outbox, how to word it, where it links, which preference governs it and whether it is still due.

Nothing here may carry PHI: titles and bodies are fixed wording with the practice's name at most.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from practice.notifications.models import Notification


@dataclass(frozen=True)
class NotificationKind:
    key: str
    # The preference that governs it: for clients one of portal.models.NOTIFICATION_KINDS
    # ("reminders", "messages", "assessments"); for staff "alerts", "messages" or "digest".
    preference: str
    # Fixed, PHI-free wording: the email subject and the push title and body.
    subject: str
    push_body: str
    # `<template>.txt` / `<template>.html`, rendered with the notification's context.
    email_template: str = "notifications/email/generic"
    # Called with the notification's context; returns the path (on the practice's host) the
    # notification links to, e.g. "/portal/messages/4/".
    link: Callable[[dict], str] | None = None
    # Asked just before sending: False means the event no longer needs telling (the message was
    # read, the appointment cancelled); the notification is then skipped, not sent.
    is_still_due: Callable[[Notification], bool] | None = None
    # Reminders wait for the end of the recipient's quiet hours; urgent alerts do not.
    respects_quiet_hours: bool = True
    # Push time-to-live in seconds, so a phone offline for a while still receives it.
    push_ttl: int = 24 * 3600


_REGISTRY: dict[str, NotificationKind] = {}


def register(kind: NotificationKind) -> NotificationKind:
    existing = _REGISTRY.get(kind.key)
    if existing is not None and existing != kind:
        raise ValueError(f"notification kind {kind.key!r} registered twice")
    _REGISTRY[kind.key] = kind
    return kind


def get(key: str) -> NotificationKind:
    return _REGISTRY[key]


def all_kinds() -> tuple[NotificationKind, ...]:
    return tuple(_REGISTRY.values())
