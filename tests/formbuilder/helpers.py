"""A practice with forms: the client on the clinician's caseload (consent given), a clinician
who is not on it, an intake template published, and forms shared the way staff share them."""

from __future__ import annotations

import re
from typing import Any

from django.db import connection
from django_tenants.utils import schema_context

from practice.formbuilder import services
from practice.formbuilder.models import FormAssignment, FormSignature
from tenants.accounts.models import User
from tenants.actor import Actor
from tests.care.helpers import CareWorld, prepare

__all__ = ["ANSWERS", "INTAKE", "MARKER", "STORED", "CareWorld", "fill", "give_portal_access",
           "page_text", "pdf_attachments", "pdf_text", "prepare", "publish", "share", "sign"]

MARKER = "MARK-5c1"
INTAKE: dict[str, Any] = {
    "title": "Intake form",
    "description": "Before your first session.",
    "sections": [
        {"key": "s1", "title": "About you", "description": "", "fields": [
            {"key": "preferred_name", "type": "short_text", "label": "Preferred name",
             "required": True},
            {"key": "reason", "type": "long_text", "label": "What brings you here?"},
            {"key": "born", "type": "date", "label": "Date of birth", "required": True},
            {"key": "contact", "type": "single_choice", "label": "How should we contact you?",
             "options": ["Email", "Phone", "Text"], "required": True},
        ]},
        {"key": "s2", "title": "Health", "description": "", "fields": [
            {"key": "concerns", "type": "multiple_choice", "label": "Concerns",
             "options": ["Sleep", "Mood", "Anxiety"]},
            {"key": "sessions_before", "type": "number", "label": "Sessions before",
             "min": 0, "max": 500, "integer_only": True},
            {"key": "medication", "type": "yes_no", "label": "Taking medication?",
             "required": True},
            {"key": "sign", "type": "signature",
             "label": "I confirm the information above is true."},
        ]},
    ],
}
ANSWERS: dict[str, Any] = {
    "preferred_name": f"{MARKER} Chris", "reason": "Trouble sleeping", "born": "1990-04-02",
    "contact": "Email", "concerns": ["Anxiety", "Sleep"], "sessions_before": "3",
    "medication": False,
}
# As stored: choices in the form's order.
STORED = ANSWERS | {"concerns": ["Sleep", "Anxiety"]}


def page_text(response: Any) -> str:
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"| nonce="[^"]*"', "",
                  response.content.decode())


def publish(care: CareWorld, definition: dict[str, Any] | None = None) -> int:
    with schema_context(care.schema):
        template = services.template_create(title="x", definition=definition or INTAKE,
                                            actor=Actor.of(care.world.owner))
        services.template_publish(template_id=template.pk, actor=Actor.of(care.world.owner))
    connection.set_schema_to_public()
    return template.pk


def share(care: CareWorld, template_id: int, client: User | None = None) -> int:
    with schema_context(care.schema):
        assignment = services.form_share(client_id=(client or care.world.client).pk,
                                         template_id=template_id,
                                         actor=Actor.of(care.world.front_desk))
    connection.set_schema_to_public()
    return assignment.pk


def fill(care: CareWorld, assignment_id: int, answers: dict[str, Any] | None = None,
         *, submit: bool = True) -> FormAssignment:
    with schema_context(care.schema):
        saved = services.form_answers_save(assignment_id=assignment_id,
                                           answers=answers or ANSWERS, submit=submit,
                                           actor=Actor.of(care.world.client))
    connection.set_schema_to_public()
    return saved


def sign(care: CareWorld, assignment_id: int, name: str = "Chris Client",
         drawn: str = "") -> FormSignature:
    from tenants.audit.services import RequestMeta

    with schema_context(care.schema):
        signature = services.form_sign(
            assignment_id=assignment_id, typed_name=name, consent=True, drawn=drawn,
            actor=Actor.of(care.world.client, meta=RequestMeta(ip_address="203.0.113.7",
                                                               user_agent="TestBrowser/1.0")))
    connection.set_schema_to_public()
    return signature


def give_portal_access(care: CareWorld) -> None:
    """The client joined through an invitation: an access record (so notices reach them)
    showing every module."""
    from django.utils import timezone

    from portal.models import ClientAccess
    from tenants.features import MODULE_KEYS

    with schema_context(care.schema):
        ClientAccess.objects.update_or_create(
            user=care.world.client,
            defaults={"visible_modules": sorted(MODULE_KEYS), "accepted_at": timezone.now()})
    connection.set_schema_to_public()


def pdf_text(body: bytes) -> str:
    import io

    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(body))
    return "\n".join(page.extract_text() for page in reader.pages)


def pdf_attachments(body: bytes) -> dict[str, bytes]:
    import io

    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(body))
    return {name: contents[0] for name, contents in reader.attachments.items()}
