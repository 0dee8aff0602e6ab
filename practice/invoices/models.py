"""Invoices a practice shares with its clients (module "billing"). Amounts are Decimal with two
places in the invoice's currency; no tax is computed (therapy is mostly exempt; a practice that
charges tax adds it as a line). Nothing here goes to Stripe: taking client payments is out of
scope, a practice records a payment by marking the invoice paid.

A draft is editable and invisible to the client. Sharing gives it the practice's next number and
freezes it: number, client, currency, dates, notes and total never change afterwards (the database
refuses), only the status moves on to paid or void."""

from __future__ import annotations

from decimal import Decimal

import pgtrigger
from django.db import models
from django.utils import timezone

# Currencies with two minor units, so every amount is a Decimal with two places.
CURRENCIES = (
    ("USD", "US dollar"), ("CAD", "Canadian dollar"), ("EUR", "Euro"),
    ("GBP", "Pound sterling"), ("AUD", "Australian dollar"), ("NZD", "New Zealand dollar"),
    ("MXN", "Mexican peso"), ("CHF", "Swiss franc"),
)
CENT = Decimal("0.01")


class InvoiceSequence(models.Model):
    """The practice's last invoice number (one row), taken under a row lock when an invoice is
    shared, so numbers never repeat and have no gaps."""

    last_number = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"Invoice numbers up to {self.last_number}"


class Invoice(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        SHARED = "shared", "Shared"
        PAID = "paid", "Paid"
        VOID = "void", "Void"

    client = models.ForeignKey("accounts.User", on_delete=models.PROTECT,
                               related_name="invoices")
    number = models.PositiveIntegerField(null=True, blank=True, unique=True)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.DRAFT)
    currency = models.CharField(max_length=3, choices=CURRENCIES, default="USD")
    issue_date = models.DateField()
    due_date = models.DateField()
    notes = models.TextField(blank=True)  # payment instructions, shown on the invoice
    total = models.DecimalField(max_digits=12, decimal_places=2, default=Decimal("0.00"))
    created_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    shared_at = models.DateTimeField(null=True, blank=True, db_index=True)
    paid_on = models.DateField(null=True, blank=True)
    voided_at = models.DateTimeField(null=True, blank=True)
    void_reason = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-issue_date", "-pk"]
        indexes = [models.Index(fields=["client", "status"], name="invoice_client_status")]
        constraints = [
            models.CheckConstraint(condition=models.Q(due_date__gte=models.F("issue_date")),
                                   name="invoice_due_after_issue"),
            models.CheckConstraint(
                condition=models.Q(status="draft") | models.Q(number__isnull=False),
                name="invoice_issued_has_number"),
        ]
        triggers = [
            pgtrigger.Protect(
                name="issued_invoice_is_frozen",
                operation=pgtrigger.Update,
                condition=pgtrigger.Condition(
                    "OLD.status <> 'draft' AND ("
                    "OLD.number IS DISTINCT FROM NEW.number"
                    " OR OLD.client_id IS DISTINCT FROM NEW.client_id"
                    " OR OLD.currency IS DISTINCT FROM NEW.currency"
                    " OR OLD.issue_date IS DISTINCT FROM NEW.issue_date"
                    " OR OLD.due_date IS DISTINCT FROM NEW.due_date"
                    " OR OLD.notes IS DISTINCT FROM NEW.notes"
                    " OR OLD.total IS DISTINCT FROM NEW.total"
                    " OR NEW.status = 'draft'"
                    " OR OLD.status = 'void' AND NEW.status <> 'void')"),
            ),
            pgtrigger.Protect(
                name="issued_invoice_is_kept",
                operation=pgtrigger.Delete,
                condition=pgtrigger.Condition("OLD.status <> 'draft'"),
            ),
        ]

    def __str__(self) -> str:
        return f"Invoice {self.display_number}"

    @property
    def display_number(self) -> str:
        return f"INV-{self.number:05d}" if self.number is not None else f"Draft {self.pk}"

    @property
    def is_draft(self) -> bool:
        return self.status == self.Status.DRAFT


class InvoiceLine(models.Model):
    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveSmallIntegerField()
    description = models.CharField(max_length=200)
    service_date = models.DateField(null=True, blank=True)
    quantity = models.DecimalField(max_digits=8, decimal_places=2)
    unit_price = models.DecimalField(max_digits=10, decimal_places=2)
    amount = models.DecimalField(max_digits=12, decimal_places=2)

    class Meta:
        ordering = ["invoice_id", "position"]
        triggers = [
            # The lines of a shared, paid or void invoice never change, whoever asks.
            pgtrigger.Trigger(
                name="issued_invoice_lines_are_frozen",
                when=pgtrigger.Before,
                operation=pgtrigger.Insert | pgtrigger.Update | pgtrigger.Delete,
                func="""
                IF (TG_OP <> 'DELETE' AND EXISTS (
                        SELECT 1 FROM invoices_invoice
                        WHERE id = NEW.invoice_id AND status <> 'draft'))
                   OR (TG_OP <> 'INSERT' AND EXISTS (
                        SELECT 1 FROM invoices_invoice
                        WHERE id = OLD.invoice_id AND status <> 'draft')) THEN
                    RAISE EXCEPTION 'pgtrigger: the lines of an issued invoice never change'
                        USING ERRCODE = 'P0001';
                END IF;
                IF TG_OP = 'DELETE' THEN
                    RETURN OLD;
                END IF;
                RETURN NEW;
                """,
            ),
        ]
        constraints = [
            models.UniqueConstraint(fields=["invoice", "position"], name="invoice_line_position"),
            models.CheckConstraint(condition=models.Q(quantity__gt=0),
                                   name="invoice_line_quantity_positive"),
            models.CheckConstraint(condition=models.Q(unit_price__gte=0),
                                   name="invoice_line_price_not_negative"),
        ]

    def __str__(self) -> str:
        return f"Line {self.position} of invoice #{self.invoice_id}"
