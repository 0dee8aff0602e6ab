"""Writes of client invoices: the owner and billing staff create drafts, edit them, share them
(the client is told by email, without amounts or anything else), mark them paid or void them.
Every write leaves an audit row in its transaction with ids and flags only."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from django.db import transaction
from django.utils import timezone

from practice.access import Capability, holds
from practice.invoices import selectors
from practice.invoices.models import CENT, CURRENCIES, Invoice, InvoiceLine, InvoiceSequence
from practice.invoices.notifications import INVOICE_SHARED
from practice.notifications.selectors import local_today
from practice.notifications.services import notification_enqueue
from tenants.accounts.models import User
from tenants.actor import Actor
from tenants.audit.actions import Action
from tenants.audit.services import audit_record

MAX_LINES = 50
MAX_QUANTITY = Decimal("999999.99")
MAX_PRICE = Decimal("99999999.99")
MAX_TOTAL = Decimal("9999999999.99")
CURRENCY_CODES = frozenset(code for code, _name in CURRENCIES)


class InvoiceError(Exception):
    """A request the service refuses, with a message for the person who made it."""


@dataclass(frozen=True)
class LineInput:
    description: str
    quantity: Decimal
    unit_price: Decimal
    service_date: date | None = None


@dataclass(frozen=True)
class InvoiceInput:
    client_id: int
    currency: str
    issue_date: date
    due_date: date
    lines: Sequence[LineInput]
    notes: str = ""


def line_amount(quantity: Decimal, unit_price: Decimal) -> Decimal:
    return (quantity * unit_price).quantize(CENT, rounding=ROUND_HALF_UP)


def _require_billing(acting_user: User) -> None:
    if not holds(acting_user, Capability.INVOICES):
        raise PermissionError("Only the owner and billing staff handle invoices.")


def _checked(data: InvoiceInput) -> list[InvoiceLine]:
    """The invoice's lines, or InvoiceError saying what is wrong."""
    if data.currency not in CURRENCY_CODES:
        raise InvoiceError("Choose one of the currencies offered.")
    if data.due_date < data.issue_date:
        raise InvoiceError("The due date cannot be before the issue date.")
    if len(data.notes) > 2000:
        raise InvoiceError("Keep the notes under 2000 characters.")
    if not data.lines:
        raise InvoiceError("Add at least one line.")
    if len(data.lines) > MAX_LINES:
        raise InvoiceError(f"An invoice has at most {MAX_LINES} lines.")
    lines = []
    for position, line in enumerate(data.lines, start=1):
        description = " ".join(line.description.split())
        if not description or len(description) > 200:
            raise InvoiceError(f"Line {position}: describe it in at most 200 characters.")
        if not (Decimal(0) < line.quantity <= MAX_QUANTITY):
            raise InvoiceError(f"Line {position}: the quantity must be above 0.")
        if not (Decimal(0) <= line.unit_price <= MAX_PRICE):
            raise InvoiceError(f"Line {position}: the price cannot be negative.")
        quantity, price = line.quantity.quantize(CENT), line.unit_price.quantize(CENT)
        lines.append(InvoiceLine(position=position, description=description,
                                 service_date=line.service_date, quantity=quantity,
                                 unit_price=price, amount=line_amount(quantity, price)))
    if sum((line.amount for line in lines), Decimal(0)) > MAX_TOTAL:
        raise InvoiceError("The total is too large.")
    return lines


def _write_lines(invoice: Invoice, lines: list[InvoiceLine]) -> None:
    invoice.lines.all().delete()
    for line in lines:
        line.invoice = invoice
    InvoiceLine.objects.bulk_create(lines)
    invoice.total = sum((line.amount for line in lines), Decimal("0.00"))


@transaction.atomic
def invoice_create(*, data: InvoiceInput, actor: Actor) -> Invoice:
    _require_billing(actor.person)
    client = selectors.invoice_client(data.client_id)  # User.DoesNotExist if not a client
    lines = _checked(data)
    invoice = Invoice.objects.create(client=client, currency=data.currency,
                                     issue_date=data.issue_date, due_date=data.due_date,
                                     notes=data.notes.strip(), created_by=actor.person)
    _write_lines(invoice, lines)
    invoice.save(update_fields=["total"])
    audit_record(action=Action.INVOICE_CREATED, actor=actor, object_type="invoice",
                 object_id=invoice.pk, detail={"client_id": client.pk, "lines": len(lines)})
    return invoice


def _locked(invoice_id: int) -> Invoice:
    return Invoice.objects.select_for_update().get(pk=invoice_id)


@transaction.atomic
def invoice_update(*, invoice_id: int, data: InvoiceInput, actor: Actor) -> Invoice:
    """Replace a draft's details and lines; a shared invoice never changes."""
    _require_billing(actor.person)
    invoice = _locked(invoice_id)
    if not invoice.is_draft:
        raise InvoiceError("Only a draft can be edited; void this invoice and make a new one.")
    invoice.client = selectors.invoice_client(data.client_id)
    lines = _checked(data)
    invoice.currency, invoice.notes = data.currency, data.notes.strip()
    invoice.issue_date, invoice.due_date = data.issue_date, data.due_date
    _write_lines(invoice, lines)
    invoice.save()
    audit_record(action=Action.INVOICE_EDITED, actor=actor, object_type="invoice",
                 object_id=invoice.pk, detail={"client_id": invoice.client_id, "lines": len(lines)})
    return invoice


@transaction.atomic
def invoice_share(*, invoice_id: int, actor: Actor) -> Invoice:
    """Number the draft (the practice's next number), freeze it and show it to the client,
    who gets a notice without any of its content, in the same transaction."""
    _require_billing(actor.person)
    invoice = _locked(invoice_id)
    if not invoice.is_draft:
        raise InvoiceError("This invoice is already shared.")
    if not invoice.lines.exists():
        raise InvoiceError("Add at least one line before sharing.")
    sequence, _created = InvoiceSequence.objects.select_for_update().get_or_create(pk=1)
    sequence.last_number += 1
    sequence.save(update_fields=["last_number"])
    invoice.number = sequence.last_number
    invoice.status = Invoice.Status.SHARED
    invoice.shared_at = timezone.now()
    invoice.save(update_fields=["number", "status", "shared_at"])
    audit_record(action=Action.INVOICE_SHARED, actor=actor, object_type="invoice",
                 object_id=invoice.pk, detail={"client_id": invoice.client_id,
                                               "number": invoice.number})
    notification_enqueue(recipient=invoice.client, kind=INVOICE_SHARED.key,
                         idempotency_key=f"invoice_shared:{invoice.pk}",
                         context={"invoice_id": invoice.pk})
    return invoice


@transaction.atomic
def invoice_mark_paid(*, invoice_id: int, paid_on: date, actor: Actor) -> Invoice:
    _require_billing(actor.person)
    invoice = _locked(invoice_id)
    if invoice.status != Invoice.Status.SHARED:
        raise InvoiceError("Only a shared, unpaid invoice can be marked paid.")
    if paid_on > local_today(actor.person):  # today where the staff member is
        raise InvoiceError("The payment date cannot be in the future.")
    invoice.status, invoice.paid_on = Invoice.Status.PAID, paid_on
    invoice.save(update_fields=["status", "paid_on"])
    audit_record(action=Action.INVOICE_PAID, actor=actor, object_type="invoice",
                 object_id=invoice.pk, detail={"client_id": invoice.client_id})
    return invoice


@transaction.atomic
def invoice_void(*, invoice_id: int, reason: str, actor: Actor) -> Invoice:
    """Cancel a shared, unpaid invoice. It stays, with its number, for the record; the client
    sees it as cancelled."""
    _require_billing(actor.person)
    invoice = _locked(invoice_id)
    if invoice.status != Invoice.Status.SHARED:
        raise InvoiceError("Only a shared, unpaid invoice can be voided (a draft is discarded).")
    reason = " ".join(reason.split())
    if not reason or len(reason) > 200:
        raise InvoiceError("Give a short reason (at most 200 characters).")
    invoice.status, invoice.voided_at = Invoice.Status.VOID, timezone.now()
    invoice.void_reason = reason
    invoice.save(update_fields=["status", "voided_at", "void_reason"])
    audit_record(action=Action.INVOICE_VOIDED, actor=actor, object_type="invoice",
                 object_id=invoice.pk, detail={"client_id": invoice.client_id})
    return invoice


@transaction.atomic
def invoice_discard(*, invoice_id: int, actor: Actor) -> None:
    """Delete a draft: it was never issued and has no number."""
    _require_billing(actor.person)
    invoice = _locked(invoice_id)
    if not invoice.is_draft:
        raise InvoiceError("Only a draft can be discarded; void a shared invoice instead.")
    client_id = invoice.client_id
    invoice.delete()
    audit_record(action=Action.INVOICE_DISCARDED, actor=actor, object_type="invoice",
                 object_id=invoice_id, detail={"client_id": client_id})
