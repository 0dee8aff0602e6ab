"""Reads of client invoices. The owner and billing staff see every client's invoices; a client
sees their own once shared (never drafts); nobody else sees any. An invoice out of reach and a
missing one look the same (DoesNotExist, so a 404)."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet

from practice.access import Capability, holds
from practice.invoices.models import Invoice, InvoiceLine
from tenants.accounts.models import Role, User

CLIENT_VISIBLE = (Invoice.Status.SHARED, Invoice.Status.PAID, Invoice.Status.VOID)


def invoice_clients() -> QuerySet[User]:
    return User.objects.filter(role=Role.CLIENT, is_active=True).order_by("full_name", "pk")


def invoice_client(client_id: int) -> User:
    return User.objects.get(pk=client_id, role=Role.CLIENT)


def _with_lines(rows: QuerySet[Invoice]) -> QuerySet[Invoice]:
    return rows.select_related("client").prefetch_related(
        Prefetch("lines", queryset=InvoiceLine.objects.order_by("position")))


def invoices_for_staff(user: User, *, status: str = "",
                       client_id: int | None = None) -> QuerySet[Invoice]:
    if not holds(user, Capability.INVOICES):
        return Invoice.objects.none()
    rows = Invoice.objects.select_related("client")
    if status:
        rows = rows.filter(status=status)
    if client_id is not None:
        rows = rows.filter(client_id=client_id)
    return rows.order_by("-issue_date", "-pk")


def invoice_for_staff(user: User, invoice_id: int) -> Invoice:
    if not holds(user, Capability.INVOICES):
        raise Invoice.DoesNotExist
    return _with_lines(Invoice.objects.all()).get(pk=invoice_id)


def invoices_for_client(client: User) -> QuerySet[Invoice]:
    return (Invoice.objects.filter(client=client, status__in=CLIENT_VISIBLE)
            .order_by("-issue_date", "-pk"))


def invoice_for_client(client: User, invoice_id: int) -> Invoice:
    return _with_lines(invoices_for_client(client)).get(pk=invoice_id)
