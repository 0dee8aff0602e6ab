"""A submitted form as a branded PDF: the questions and answers, and for a signed form the
signature with its evidence (who, when, from where, the drawn mark, the consent wording), the
seal, whether the stored record still matches it, and the sealed content as an attachment so
anyone can recompute the SHA-256 (`sha256sum sealed-content.json`)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from branding.pdf import BrandedPdf, logo_png_for
from branding.values import Branding
from practice.formbuilder import definitions, seal
from practice.formbuilder.models import FormAssignment, FormSignature
from practice.models import ClientProfile


def _zone(assignment: FormAssignment) -> ZoneInfo:
    try:
        return ZoneInfo(assignment.client.client_profile.timezone)
    except (ClientProfile.DoesNotExist, ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def _when(moment: datetime | None, zone: ZoneInfo) -> str:
    if moment is None:
        return "—"
    return moment.astimezone(zone).strftime("%-d %B %Y, %H:%M:%S %Z")


def form_pdf(assignment: FormAssignment, branding: Branding) -> bytes:
    """The PDF of a completed or signed form (callers check the status and the reader)."""
    definition = assignment.version.definition
    signature: FormSignature | None = getattr(assignment, "signature", None)
    zone = _zone(assignment)
    created = (signature.signed_at if signature else assignment.submitted_at
               or assignment.requested_at)
    pdf = BrandedPdf(branding=branding, title=definition["title"], created_at=created,
                     logo_png=logo_png_for(branding))
    pdf.title_block(definition["title"],
                    f"{assignment.client.full_name} · form {assignment.pk} · version "
                    f"{assignment.version.number}")
    if definition.get("description"):
        pdf.paragraph(definition["description"], muted=True)
    pdf.facts([("Status", assignment.get_status_display()),
               ("Requested", _when(assignment.requested_at, zone)),
               ("Submitted", _when(assignment.submitted_at, zone))])
    for section in definition["sections"]:
        answered = [item for item in section["fields"]
                    if item["type"] != definitions.SIGNATURE]
        if not answered:
            continue
        pdf.heading(section.get("title") or "Questions")
        if section.get("description"):
            pdf.paragraph(section["description"], muted=True)
        for item in answered:
            pdf.label_value(item["label"],
                            definitions.display_answer(item, assignment.answers.get(item["key"])))
    if signature is not None:
        _signature_block(pdf, signature, zone)
    elif definitions.requires_signature(definition):
        pdf.heading("Signature")
        pdf.paragraph("Not signed yet.", muted=True)
    return pdf.to_bytes()


def _signature_block(pdf: BrandedPdf, signature: FormSignature, zone: ZoneInfo) -> None:
    check = seal.seal_check(signature)
    pdf.heading("Electronic signature")
    pdf.paragraph(signature.statement)
    pdf.paragraph(f"Consent to sign electronically: {signature.consent_text}", muted=True)
    if signature.drawn_png:
        pdf.png(bytes(signature.drawn_png), width=70, height=26)
    pdf.facts([
        ("Signed by (typed name)", signature.typed_name),
        ("Drawn signature", "Yes" if signature.has_drawing else "No (typed name only)"),
        ("Signed at", _when(signature.signed_at, zone)),
        ("IP address", signature.ip_address or "—"),
        ("Device (user agent)", signature.user_agent or "—"),
        ("Seal (SHA-256)", signature.content_sha256),
        ("Seal check", check.verdict),
    ])
    pdf.paragraph("The seal is the SHA-256 of the sealed content attached to this PDF "
                  f"({seal.ATTACHMENT_NAME}): the form version, the answers and the signature "
                  "in canonical JSON. Recompute it to check that nothing has changed.",
                  muted=True, size=8.5)
    pdf.attach(seal.ATTACHMENT_NAME, seal.content_of(signature),
               description="The exact content the signature seals (canonical JSON)",
               mime_type="application/json")
