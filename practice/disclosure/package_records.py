"""The documents and message threads a package can carry, chosen by a release's date range, and
the PDFs that present them: the index of a documents package and the transcript of message
threads. Reads and rendering only; `packages` builds with them, for a request the gate cleared.

- Documents: the client's completed and signed forms (as their PDF, with the signature and seal)
  by the moment they were submitted, and the files shared with or uploaded by the client by the
  moment they were stored. Files staff withdrew from the client's view (shared in error) are
  not records to send and are left out.
- Messages: every message of the client's conversations written inside the range, grouped by
  conversation, as they read now (an edit's earlier text is not sent)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from itertools import groupby
from zoneinfo import ZoneInfo

from django.db.models import QuerySet

from branding.pdf import BrandedPdf, Column, logo_png_for
from branding.values import Branding
from practice.documents.models import Document
from practice.formbuilder.models import FormAssignment
from practice.messaging.models import Message
from tenants.accounts.models import User


@dataclass(frozen=True)
class Window:
    """A half-open range of instants: [start, end), `end` None for "until now"."""

    start: datetime
    end: datetime | None


def _within(queryset: QuerySet, field: str, window: Window) -> QuerySet:
    queryset = queryset.filter(**{f"{field}__gte": window.start})
    return queryset.filter(**{f"{field}__lt": window.end}) if window.end else queryset


def forms_in(client: User, window: Window) -> QuerySet[FormAssignment]:
    forms = FormAssignment.objects.filter(
        client=client, status__in=(FormAssignment.Status.COMPLETED,
                                   FormAssignment.Status.SIGNED))
    return _within(forms, "submitted_at", window).select_related(
        "client__client_profile", "version", "signature").order_by("submitted_at", "pk")


def files_in(client: User, window: Window) -> QuerySet[Document]:
    files = Document.objects.filter(client=client, withdrawn_at__isnull=True)
    return _within(files, "created_at", window).order_by("created_at", "pk")


def messages_in(client: User, window: Window) -> QuerySet[Message]:
    """The client's own threads with the practice. A family member's (proxy's) thread about
    the client is not the client's to release: it holds another person's words, which the
    client has never seen, so no release the client signs sends it."""
    messages = Message.objects.filter(conversation__client=client,
                                      conversation__proxy_link__isnull=True)
    return _within(messages, "created_at", window).select_related(
        "conversation", "author").order_by("conversation__created_at", "conversation_id",
                                           "created_at", "pk")


def _when(moment: datetime | None, zone: ZoneInfo) -> str:
    return f"{moment.astimezone(zone):%-d %b %Y %H:%M}" if moment else ""


@dataclass(frozen=True)
class IndexRow:
    name: str  # the file's name inside the package
    kind: str
    title: str
    when: datetime | None
    sha256: str


def documents_index_pdf(*, client: User, rows: list[IndexRow], branding: Branding,
                        now: datetime, zone: ZoneInfo, notice: str) -> bytes:
    """The first page of a documents package: the notice (Part 2), then what is inside."""
    pdf = BrandedPdf(branding=branding, title="Documents", created_at=now,
                     logo_png=logo_png_for(branding))
    pdf.title_block("Documents", client.full_name)
    if notice:
        pdf.heading("Notice")
        pdf.paragraph(notice)
    pdf.paragraph(f"{len(rows)} document(s), listed in the order they were completed or stored. "
                  "Each file's SHA-256 lets the recipient check it is the one sent.", size=9)
    if rows:
        pdf.table((Column("File", 0.3), Column("What", 0.3), Column("Date", 0.18),
                   Column("SHA-256 (start)", 0.22)),
                  [[row.name, f"{row.kind}: {row.title}", _when(row.when, zone),
                    row.sha256[:16]] for row in rows])
    return pdf.to_bytes()


def messages_pdf(*, client: User, messages: list[Message], branding: Branding, now: datetime,
                 zone: ZoneInfo, notice: str) -> bytes:
    """The message threads: each conversation with its messages, who wrote each and when."""
    pdf = BrandedPdf(branding=branding, title="Message threads", created_at=now,
                     logo_png=logo_png_for(branding))
    pdf.title_block("Message threads", client.full_name)
    if notice:
        pdf.heading("Notice")
        pdf.paragraph(notice)
    if not messages:
        pdf.paragraph("No messages in the period covered.", muted=True)
    for _conversation_id, grouped in groupby(messages, key=lambda message: message.conversation_id):
        thread = list(grouped)
        conversation = thread[0].conversation
        pdf.heading(conversation.subject or f"Conversation {conversation.pk}")
        pdf.paragraph(f"Started {_when(conversation.created_at, zone)}; "
                      f"{conversation.get_state_display().lower()}.", muted=True, size=9)
        for message in thread:
            side = "client" if message.from_client else "practice"
            edited = ", edited" if message.edited_at else ""
            pdf.label_value(f"{message.author.full_name} ({side}), "
                            f"{_when(message.created_at, zone)}{edited}", message.body)
    return pdf.to_bytes()
