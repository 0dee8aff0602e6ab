"""Notification kinds and the staff digest's section for documents. Fixed wording, no PHI: never
a client's name, never a file's name; the context holds ids only."""

from __future__ import annotations

from typing import TYPE_CHECKING

from practice.access import Capability, roles_with
from practice.documents import selectors
from practice.notifications.digest import DigestSection, register_section
from practice.notifications.kinds import NotificationKind, register

if TYPE_CHECKING:
    from practice.notifications.models import Notification


def _still_shared(notification: Notification) -> bool:
    """A file staff withdrew before the notice went out needs no notice."""
    return selectors.document_is_shared(int(notification.context.get("document_id", 0)))


DOCUMENT_SHARED = register(NotificationKind(
    key="document_shared",
    # Clients govern it with their "messages" preference: something new from the practice.
    preference="messages",
    subject="A new document is waiting in your portal",
    push_body="Your practice shared a document with you.",
    link=lambda context: "/portal/documents/files/",
    is_still_due=_still_shared,
))

DOCUMENT_UPLOADED = register(NotificationKind(
    key="document_uploaded",
    preference="messages",
    subject="A client uploaded a document",
    push_body="A client uploaded a new document.",
    link=lambda context: f"/documents/files/clients/{int(context['client_id'])}/",
))

NEW_UPLOADS = register_section(DigestSection(
    key="documents_new_uploads",
    label="New uploads from clients: {count}",
    count=selectors.uploads_since,
    link="/documents/files/?source=client",
    roles=roles_with(Capability.DOCUMENTS),
))
