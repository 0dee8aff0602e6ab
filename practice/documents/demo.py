"""Demo documents (run inside the demo practice's schema by practice.demo.seed_demo): two files
the demo clinician shared with the demo client and one the client uploaded, through the same
services the pages use (so they land in the default storage: the local filesystem under
`make run`). Idempotent: nothing is added once the client has any file."""

from __future__ import annotations

import io

from fpdf import FPDF
from PIL import Image, ImageDraw

from practice.documents import services
from practice.documents.models import Document
from tenants.accounts.models import User
from tenants.actor import Actor
from tenants.models import Practice

DEMO_CLIENT = "client@demo.localhost"
DEMO_CLINICIAN = "clinician@demo.localhost"
_SHARED = [
    ("Welcome packet.pdf", "What to expect, how to reach us, and our privacy practices.",
     ["Welcome to Riverside Counseling", "",
      "Sessions last 50 minutes. Please let us know 24 hours ahead if you need to reschedule.",
      "Between sessions you can check in, message your clinician and see your progress in the "
      "portal.", "",
      "In a crisis, call or text 988, or call 911. The portal's 'Get help now' button is on "
      "every page."]),
    ("Sleep diary worksheet.pdf", "Please fill this in for a week before our next session.",
     ["Sleep diary", "", "For each night: time to bed, time asleep (roughly), times woke, "
      "time up, and how rested you felt (0-10).", "",
      "Mon: ____   Tue: ____   Wed: ____   Thu: ____   Fri: ____   Sat: ____   Sun: ____"]),
]


def _pdf(lines: list[str]) -> bytes:
    document = FPDF()
    document.add_page()
    document.set_font("Helvetica", size=12)
    for line in lines:
        document.multi_cell(0, 8, line, new_x="LMARGIN", new_y="NEXT")
    return bytes(document.output())


def _card() -> bytes:
    image = Image.new("RGB", (420, 260), "#e8f1f2")
    draw = ImageDraw.Draw(image)
    draw.rectangle((10, 10, 410, 250), outline="#1d5c63", width=4)
    draw.text((30, 40), "DEMO HEALTH PLAN", fill="#1d5c63")
    draw.text((30, 90), "Member: Jordan Rivera", fill="#222222")
    draw.text((30, 120), "Member ID: DEMO-0000-1234", fill="#222222")
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def _incoming(name: str, content: bytes) -> services.IncomingFile:
    return services.IncomingFile(name=name, size=len(content), stream=io.BytesIO(content))


def seed(practice: Practice) -> bool:
    """Returns False when there was nothing to do."""
    client = User.objects.filter(email=DEMO_CLIENT).first()
    clinician = User.objects.filter(email=DEMO_CLINICIAN).first()
    if client is None or clinician is None or Document.objects.filter(client=client).exists():
        return False
    for name, note, lines in _SHARED:
        services.document_share(client_id=client.pk, incoming=_incoming(name, _pdf(lines)),
                                note=note, actor=Actor.of(clinician))
    services.document_upload(incoming=_incoming("Insurance card.png", _card()),
                             actor=Actor.of(client))
    return True
