"""A practice with the billing module on and invoices made the way staff make them."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.db import connection
from django_tenants.utils import schema_context

from practice.invoices import services
from practice.invoices.services import InvoiceInput, LineInput
from tenants.actor import Actor
from tenants.models import Practice
from tests.conftest import PracticeWorld

MARKER = "MARK-9a2"


def billing_on(world: PracticeWorld) -> None:
    modules = sorted({*world.practice.enabled_modules, "billing"})
    Practice.objects.filter(pk=world.practice.pk).update(enabled_modules=modules)
    world.practice.refresh_from_db()


def make_invoice(world: PracticeWorld, *, shared: bool = True, notes: str = "") -> int:
    with schema_context(world.practice.schema_name):
        invoice = services.invoice_create(data=InvoiceInput(
            client_id=world.client.pk, currency="USD", issue_date=date(2026, 3, 2),
            due_date=date(2026, 4, 1), notes=notes or f"{MARKER} pay by bank transfer",
            lines=[LineInput(description="Psychotherapy, 53 minutes", quantity=Decimal("2"),
                             unit_price=Decimal("150.00"), service_date=date(2026, 2, 23)),
                   LineInput(description="Intake assessment", quantity=Decimal("1"),
                             unit_price=Decimal("95.50"))]),
            actor=Actor.of(world.billing))
        if shared:
            services.invoice_share(invoice_id=invoice.pk, actor=Actor.of(world.billing))
    connection.set_schema_to_public()
    return invoice.pk
