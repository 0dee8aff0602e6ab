"""The accounting of disclosures of one client (45 CFR 164.528; 42 CFR 2.25): a page and a
branded PDF, for staff and for the client in the portal. Shared by both sides' views."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone

from branding.pdf import BrandedPdf, Column, logo_png_for
from branding.selectors import branding_for
from branding.values import Branding
from practice.disclosure import policies, selectors
from practice.disclosure.models import Disclosure
from practice.measurement.services import client_timezone
from tenants.accounts.models import User
from tenants.audit.actions import Action
from tenants.audit.services import RequestMeta, audit_record
from tenants.requests import PracticeRequest


def _purpose(row: Disclosure) -> str:
    """The purpose, and who signed the release when a representative did (the client may ask
    who authorised a disclosure of their records)."""
    if row.release is not None and row.release.signed_as_representative:
        return f"{row.purpose} (release signed by {selectors.signature_words(row.release)})"
    return row.purpose


def accounting_pdf(result: selectors.Accounting, *, branding: Branding, now: datetime,
                   zone: ZoneInfo) -> bytes:
    pdf = BrandedPdf(branding=branding, title="Accounting of disclosures", created_at=now,
                     logo_png=logo_png_for(branding))
    pdf.title_block("Accounting of disclosures", result.client.full_name)
    pdf.paragraph(
        f"Every disclosure of the records of {result.client.full_name} made by "
        f"{branding.display_name} since {result.since.astimezone(zone):%-d %B %Y} "
        f"({policies.HIPAA_ACCOUNTING_YEARS} years, 45 CFR 164.528; this covers the "
        f"{policies.PART2_ACCOUNTING_YEARS} years 42 CFR 2.25 asks for Part 2 records). "
        f"Generated {now.astimezone(zone):%-d %B %Y at %H:%M} ({zone.key}).", size=9)
    if not result.rows:
        pdf.paragraph("No disclosures in this period.", muted=True)
    else:
        pdf.table((Column("Date", 0.14), Column("Recipient", 0.24), Column("What", 0.26),
                   Column("Purpose", 0.22), Column("Part 2", 0.14)),
                  [[f"{row.disclosed_at.astimezone(zone):%-d %b %Y}", row.recipient,
                    row.description, _purpose(row), "yes" if row.contains_part2 else "no"]
                   for row in result.rows])
    return pdf.to_bytes()


def accounting_response(request: PracticeRequest, client: User, template: str) -> HttpResponse:
    """The accounting as a page or (`?format=pdf`) a PDF; audited."""
    now = timezone.now()
    result = selectors.accounting(client, now)
    as_pdf = request.GET.get("format") == "pdf"
    audit_record(action=Action.DISCLOSURE_ACCOUNTING_VIEWED, actor=request.user,
                 object_type="client", object_id=client.pk,
                 meta=RequestMeta.from_request(request),
                 detail={"format": "pdf" if as_pdf else "page", "rows": len(result.rows)})
    if as_pdf:
        body = accounting_pdf(result, branding=branding_for(request.tenant), now=now,
                              zone=ZoneInfo(client_timezone(client)))
        response = HttpResponse(body, content_type="application/pdf")
        response["Content-Disposition"] = 'attachment; filename="accounting-of-disclosures.pdf"'
        response["Cache-Control"] = "no-store"
        return response
    return render(request, template, {
        "client": client, "accounting": result,
        "years": policies.HIPAA_ACCOUNTING_YEARS, "part2_years": policies.PART2_ACCOUNTING_YEARS})
