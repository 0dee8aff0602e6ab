"""What secure messaging tells people outside the app: the "new secure message" notice (sent two
minutes after a message if the recipient has not read it by then, never saying what it says or
who wrote it) and the unread count of the staff digest. Imported by MessagingConfig.ready()."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from practice.access import Capability, roles_with
from practice.messaging.selectors import message_is_unread_by, policy_of, unread_count
from practice.notifications.digest import DigestSection, register_section
from practice.notifications.kinds import NotificationKind, register
from tenants.accounts.models import User
from tenants.selectors import current_practice

if TYPE_CHECKING:
    from practice.notifications.models import Notification


def _link(context: dict) -> str:
    conversation_id = int(context.get("conversation_id", 0))
    if context.get("audience") == "client":
        return f"/portal/messages/{conversation_id}/"
    if context.get("audience") == "proxy":
        return "/family/"  # a family member's pages; which client it is about stays inside
    return f"/messages/{conversation_id}/"


def _still_unread(notification: Notification) -> bool:
    """Due only while the recipient has not read the message."""
    message_id = notification.context.get("message_id")
    if message_id is None:
        return False
    return message_is_unread_by(int(message_id), notification.recipient_id)


MESSAGE_WAITING = register(NotificationKind(
    key="message_waiting",
    preference="messages",
    subject="You have a new secure message",
    push_body="You have a new secure message",
    link=_link,
    is_still_due=_still_unread,
))


def _unread_since(user: User, since: datetime) -> int:
    """Client messages the staff member has not read, sent since `since` (the digest runs
    inside the practice's schema)."""
    practice = current_practice()
    return unread_count(user, policy_of(practice), since=since)


UNREAD_MESSAGES = register_section(DigestSection(
    key="unread_messages",
    label="{count} unread messages",
    count=_unread_since,
    link="/messages/",
    roles=roles_with(Capability.MESSAGES),
))
