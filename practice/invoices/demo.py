"""Demo invoices (run inside the demo practice's schema by practice.demo.seed_demo): the
billing module turned on and two invoices shared with the demo client, one paid and one due,
through the same services the pages use. Idempotent: nothing is added once there is an
invoice."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from django.utils import timezone

from practice.configuration.services import practice_modules_update
from practice.invoices import services
from practice.invoices.models import Invoice
from practice.invoices.services import InvoiceInput, LineInput
from tenants.accounts.models import Role, User
from tenants.actor import Actor
from tenants.models import Practice

DEMO_CLIENT = "client@demo.localhost"
NOTES = "Pay by card at the front desk, or by bank transfer quoting the invoice number."


def seed(practice: Practice) -> None:
    owner = User.objects.filter(role=Role.OWNER).order_by("pk").first()
    client = User.objects.filter(email=DEMO_CLIENT).first()
    if owner is None or client is None:
        return
    if "billing" not in practice.enabled_modules:
        practice = practice_modules_update(
            practice_id=practice.pk, enabled=[*practice.enabled_modules, "billing"],
            actor=Actor.of(owner))
    if Invoice.objects.exists():
        return
    today = timezone.localdate()
    this_month = today.replace(day=1)
    last_month = (this_month - timedelta(days=1)).replace(day=1)
    # Last month's four weekly sessions, issued at its end and paid; this month's so far, due.
    paid = _invoice(owner, client, issue_date=this_month - timedelta(days=1),
                    sessions=[last_month + timedelta(days=days) for days in (2, 9, 16, 23)])
    services.invoice_mark_paid(invoice_id=paid.pk,
                               paid_on=min(paid.issue_date + timedelta(days=5), today),
                               actor=Actor.of(owner))
    _invoice(owner, client, issue_date=today,
             sessions=[day for day in (this_month + timedelta(days=2),
                                       this_month + timedelta(days=9)) if day <= today]
             or [today])


def _invoice(owner: User, client: User, *, issue_date: date, sessions: list[date]) -> Invoice:
    invoice = services.invoice_create(data=InvoiceInput(
        client_id=client.pk, currency="USD", issue_date=issue_date,
        due_date=issue_date + timedelta(days=30), notes=NOTES,
        lines=[LineInput(description="Individual psychotherapy, 53 minutes (90837)",
                         quantity=Decimal("1"), unit_price=Decimal("160.00"),
                         service_date=day) for day in sessions]),
        actor=Actor.of(owner))
    return services.invoice_share(invoice_id=invoice.pk, actor=Actor.of(owner))
