"""Writes for documents: staff share a file with a client, a client uploads one, staff withdraw
a shared file from the client's view, the owner sets the practice's rules.

An upload is checked in full (size, type by content, name) before a byte is stored; a refused
one raises UploadRefused and leaves nothing anywhere. The bytes go to storage under a random key
first, outside any transaction (a network write must not hold row locks); the row, its audit
event and its notifications are then written in one transaction, and if that fails the stored
object is deleted again, so nothing is ever half-written. Audit details carry ids, sizes and
types, never a file's name."""

from __future__ import annotations

import hashlib
import logging
import secrets
from dataclasses import dataclass
from typing import IO

from django.core.files import File
from django.core.files.storage import Storage
from django.db import transaction
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _

from practice.access import Capability, client_in_reach, clients_in_reach, holds
from practice.documents import selectors
from practice.documents.models import Document, DocumentSettings
from practice.documents.policies import HIGHEST_MAX_MB, CheckedUpload, UploadRefused
from practice.notifications.services import notification_enqueue
from tenants.accounts.models import Role, User
from tenants.actor import Actor
from tenants.audit.actions import Action
from tenants.audit.services import audit_record

logger = logging.getLogger(__name__)

__all__ = ["DocumentError", "IncomingFile", "UploadRefused", "UploadsClosed", "document_share",
           "document_upload", "document_withdraw", "document_settings_update"]


class DocumentError(Exception):
    """A refused request, with a message fit to show to the person who made it."""


class UploadsClosed(DocumentError):
    """The practice does not take uploads from clients."""


@dataclass(frozen=True)
class IncomingFile:
    """An upload as received: the name the sender gave it, its size and a seekable stream."""

    name: str
    size: int
    stream: IO[bytes]


def _storage() -> Storage:
    return Document._meta.get_field("file").storage


def _sha256(stream: IO[bytes]) -> str:
    digest = hashlib.sha256()
    stream.seek(0)
    for chunk in iter(lambda: stream.read(1024 * 1024), b""):
        digest.update(chunk)
    stream.seek(0)
    return digest.hexdigest()


def _discard(storage: Storage, name: str) -> None:
    """Best effort: remove what a failed upload left in storage."""
    try:
        storage.delete(name)
    except Exception:  # the original error matters more; the key is random and unreferenced
        logger.warning("could not remove an unreferenced upload after a failure", exc_info=True)


def _put(checked: CheckedUpload, incoming: IncomingFile) -> str:
    """Store the checked bytes under a fresh random key; the key as stored."""
    key = f"documents/{secrets.token_hex(16)}.{checked.file_type.extension}"
    content = File(incoming.stream, name=key)
    # What the content is (never what the sender's browser claimed), and the name to download
    # it under, kept with the object (S3) rather than put in any URL.
    content.content_type = checked.file_type.mime  # type: ignore[attr-defined]  # S3 reads it
    content.content_disposition = content_disposition_header(  # type: ignore[attr-defined]  # too
        True, checked.display_name)
    storage = _storage()
    incoming.stream.seek(0)
    try:
        return storage.save(key, content)
    except BaseException:
        _discard(storage, key)  # a partly written local file, say
        raise


def _store(*, client: User, source: str, incoming: IncomingFile, note: str,
           actor: Actor, action: str) -> Document:
    checked = selectors.upload_policy().check(name=incoming.name, size=incoming.size,
                                              stream=incoming.stream)
    sha256 = _sha256(incoming.stream)
    stored = _put(checked, incoming)
    try:
        with transaction.atomic():
            document = Document.objects.create(
                client=client, source=source, uploaded_by=actor.person,
                display_name=checked.display_name, note=note.strip()[:300], file=stored,
                content_type=checked.file_type.mime, size=checked.size, sha256=sha256)
            audit_record(action=action, actor=actor, object_type="document",
                         object_id=document.pk, detail={"client_id": client.pk,
                                                        "size": checked.size,
                                 "content_type": checked.file_type.mime})
            _notify(document)
    except BaseException:
        _discard(_storage(), stored)
        raise
    return document


def _notify(document: Document) -> None:
    """In the event's transaction (the outbox contract): ids only in the context."""
    context = {"document_id": document.pk, "client_id": document.client_id}
    if document.source == Document.Source.STAFF:
        notification_enqueue(recipient=document.client, kind="document_shared",
                             idempotency_key=f"document_shared:{document.pk}", context=context)
        return
    for recipient in selectors.upload_recipients(document.client):
        notification_enqueue(recipient=recipient, kind="document_uploaded",
                             idempotency_key=f"document_uploaded:{document.pk}:{recipient.pk}",
                             context=context)


def document_share(*, client_id: int, incoming: IncomingFile, note: str = "",
                   actor: Actor) -> Document:
    """Staff share a file with a client (who is told by email or push, without the file's
    name). A client out of reach raises User.DoesNotExist, like a missing one."""
    if not holds(actor.person, Capability.DOCUMENTS):
        raise PermissionError("Only the owner, clinicians and front desk share files.")
    client = client_in_reach(actor.person, Capability.DOCUMENTS, client_id)
    return _store(client=client, source=Document.Source.STAFF, incoming=incoming, note=note,
                  actor=actor, action=Action.DOCUMENT_SHARED)


def document_upload(*, incoming: IncomingFile, actor: Actor) -> Document:
    """A client uploads a file to the practice, if the practice takes uploads; their
    clinicians are told (without who or what)."""
    if not (actor.person.is_active and actor.person.role == Role.CLIENT):
        raise PermissionError("Only a client uploads to their own files.")
    if not selectors.upload_policy().may_upload(is_client=True):
        raise UploadsClosed(_("Your practice does not take uploads through the portal. Please "
                              "contact the practice to share a file."))
    return _store(client=actor.person, source=Document.Source.CLIENT, incoming=incoming, note="",
                  actor=actor, action=Action.DOCUMENT_UPLOADED)


@transaction.atomic
def document_withdraw(*, document_id: int, actor: Actor) -> Document:
    """Take a shared file out of the client's view. It is kept (and staff still see it)."""
    if not holds(actor.person, Capability.DOCUMENTS):
        raise PermissionError("Only the owner, clinicians and front desk withdraw files.")
    reachable = Document.objects.filter(
        client__in=clients_in_reach(actor.person, Capability.DOCUMENTS))
    document = reachable.select_for_update().get(pk=document_id)
    if document.source != Document.Source.STAFF:
        raise DocumentError("Only files the practice shared can be withdrawn.")
    if document.withdrawn_at is None:
        document.withdrawn_at = timezone.now()
        document.withdrawn_by = actor.user
        document.save(update_fields=["withdrawn_at", "withdrawn_by"])
        audit_record(action=Action.DOCUMENT_WITHDRAWN, actor=actor, object_type="document",
                     object_id=document.pk, detail={"client_id": document.client_id})
    return document


@transaction.atomic
def document_settings_update(*, client_uploads_enabled: bool, max_upload_mb: int,
                             actor: Actor) -> DocumentSettings:
    if not holds(actor.person, Capability.MANAGE_PRACTICE):
        raise PermissionError("Only the practice's owner changes its rules for files.")
    if not 1 <= max_upload_mb <= HIGHEST_MAX_MB:
        raise DocumentError(f"The upload limit is from 1 to {HIGHEST_MAX_MB} MB.")
    row, _created = DocumentSettings.objects.select_for_update().get_or_create(pk=1)
    before = {"client_uploads_enabled": row.client_uploads_enabled,
              "max_upload_mb": row.max_upload_mb}
    row.client_uploads_enabled = client_uploads_enabled
    row.max_upload_mb = max_upload_mb
    row.updated_at = timezone.now()
    row.updated_by = actor.user
    row.save()
    audit_record(action=Action.DOCUMENTS_SETTINGS_CHANGED, actor=actor,
                 object_type="document_settings", object_id=row.pk, detail={"before": before,
                                                                            "after": {
                     "client_uploads_enabled": client_uploads_enabled,
                     "max_upload_mb": max_upload_mb}})
    return row
