"""Reads for documents. Who may see a client's files: the owner and front desk every client's,
a clinician their caseload's, the client their own (not the ones staff withdrew). A client or a
file out of reach raises DoesNotExist, exactly like a missing one. Each list runs a fixed number
of queries, whatever the number of files."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Count, Q, QuerySet

from practice.access import Capability, clients_in_reach, holds, roles_with
from practice.documents.models import Document, DocumentSettings
from practice.documents.policies import MEGABYTE, UploadPolicy
from tenants.accounts.models import Role, User

RECENT_LIMIT = 50


def upload_policy() -> UploadPolicy:
    """The practice's rules (the defaults until the owner changes them)."""
    row = DocumentSettings.objects.filter(pk=1).first()
    if row is None:
        return UploadPolicy()
    return UploadPolicy(max_bytes=row.max_upload_mb * MEGABYTE,
                        client_uploads_enabled=row.client_uploads_enabled)


def document_settings() -> DocumentSettings:
    """The settings row as it stands (unsaved defaults if the owner never changed them)."""
    return DocumentSettings.objects.filter(pk=1).first() or DocumentSettings(pk=1)


def _with_people(documents: QuerySet[Document]) -> QuerySet[Document]:
    return documents.select_related("uploaded_by", "withdrawn_by")


def documents_for_client(client: User) -> list[Document]:
    """Every file of the client, newest first, withdrawn ones included (for staff)."""
    return list(_with_people(Document.objects.filter(client=client)))


def documents_visible_to_client(client: User) -> list[Document]:
    """What the client sees: their uploads and what staff shared and did not withdraw."""
    return list(Document.objects.filter(client=client, withdrawn_at__isnull=True)
                .select_related("uploaded_by"))


def document_for_staff(user: User, document_id: int) -> Document:
    """The file, if `user` may see its client's files; else Document.DoesNotExist."""
    reachable = Document.objects.filter(client__in=clients_in_reach(user, Capability.DOCUMENTS))
    return _with_people(reachable).select_related("client").get(pk=document_id)


def document_for_client(client: User, document_id: int) -> Document:
    return Document.objects.select_related("uploaded_by").get(
        pk=document_id, client=client, withdrawn_at__isnull=True)


def document_is_shared(document_id: int) -> bool:
    """Still in the client's view (not withdrawn)."""
    return Document.objects.filter(pk=document_id, withdrawn_at__isnull=True).exists()


def recent_documents(user: User, *, source: str = "") -> list[Document]:
    """The latest files across the clients `user` may see (optionally only one source)."""
    documents = Document.objects.filter(client__in=clients_in_reach(user, Capability.DOCUMENTS))
    if source in Document.Source.values:
        documents = documents.filter(source=source)
    return list(_with_people(documents).select_related("client")[:RECENT_LIMIT])


def client_choices(user: User) -> list[tuple[int, str, int]]:
    """(id, name, number of files) of every client `user` may share with, by name."""
    rows = (clients_in_reach(user, Capability.DOCUMENTS).annotate(files=Count("documents"))
            .order_by("full_name", "pk").values_list("pk", "full_name", "files"))
    return list(rows)


def uploads_since(user: User, since: datetime) -> int:
    """How many files clients uploaded since `since`, among the clients `user` may see."""
    if not holds(user, Capability.DOCUMENTS):
        return 0
    return Document.objects.filter(
        Q(source=Document.Source.CLIENT) & Q(created_at__gte=since)
        & Q(client__in=clients_in_reach(user, Capability.DOCUMENTS))).count()


def upload_recipients(client: User) -> list[User]:
    """Who hears of a client's upload: their clinicians; if they have none yet, the owner."""
    clinicians = list(User.objects.filter(caseload__user=client, is_active=True,
                                          role__in=roles_with(Capability.HOLD_CASELOAD)).order_by("pk"))
    if clinicians:
        return clinicians
    return list(User.objects.filter(role=Role.OWNER, is_active=True).order_by("pk"))
