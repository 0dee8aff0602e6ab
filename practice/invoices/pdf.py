"""An invoice as a branded PDF: the practice's header and contact details, the client, the
number and dates, the lines and the total, the notes (payment instructions) and the status."""

from __future__ import annotations

from datetime import UTC, datetime, time

from branding.pdf import BrandedPdf, Column, logo_png_for
from branding.values import Branding
from practice.invoices.models import Invoice
from practice.invoices.money import money, quantity

COLUMNS = (Column("Description", 0.46), Column("Date", 0.16), Column("Qty", 0.1, "R"),
           Column("Unit price", 0.14, "R"), Column("Amount", 0.14, "R"))
STATUS_LINE = {Invoice.Status.DRAFT: "DRAFT: not issued", Invoice.Status.SHARED: "Due",
               Invoice.Status.PAID: "Paid", Invoice.Status.VOID: "VOID: cancelled"}


def invoice_pdf(invoice: Invoice, branding: Branding) -> bytes:
    """Deterministic: dated by the issue date, so the same invoice gives the same bytes."""
    created = datetime.combine(invoice.issue_date, time(12, 0), tzinfo=UTC)
    title = f"Invoice {invoice.display_number}"
    pdf = BrandedPdf(branding=branding, title=title, created_at=created,
                     logo_png=logo_png_for(branding))
    pdf.title_block(title, STATUS_LINE[Invoice.Status(invoice.status)])
    status = STATUS_LINE[Invoice.Status(invoice.status)]
    if invoice.status == Invoice.Status.PAID and invoice.paid_on:
        status = f"Paid on {invoice.paid_on:%-d %B %Y}"
    if invoice.status == Invoice.Status.VOID:
        status = f"Void: {invoice.void_reason}"
    pdf.facts([
        ("Billed to", f"{invoice.client.full_name}\n{invoice.client.email}"),
        ("From", "\n".join(part for part in (branding.display_name, branding.address,
                                             branding.contact_phone, branding.contact_email)
                           if part)),
        ("Invoice number", invoice.display_number),
        ("Issue date", f"{invoice.issue_date:%-d %B %Y}"),
        ("Due date", f"{invoice.due_date:%-d %B %Y}"),
        ("Status", status),
    ])
    rows = [[line.description,
             f"{line.service_date:%-d %b %Y}" if line.service_date else "",
             quantity(line.quantity), money(line.unit_price, invoice.currency),
             money(line.amount, invoice.currency)] for line in invoice.lines.all()]
    pdf.table(COLUMNS, rows,
              footer_rows=[["Total", "", "", "", money(invoice.total, invoice.currency)]])
    if invoice.notes:
        pdf.heading("Notes")
        pdf.paragraph(invoice.notes)
    return pdf.to_bytes()
