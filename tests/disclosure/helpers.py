"""A practice with a client on the clinician's caseload, PHQ-9 and AUDIT-C histories, and
releases drafted and signed the way staff and the client make them."""

from __future__ import annotations

import io
import zipfile
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.utils import timezone

from branding.selectors import branding_for
from practice.disclosure import packages, services
from practice.disclosure.models import Release
from practice.models import ClientProfile
from tenants.actor import Actor
from tests.conftest import PracticeWorld
from tests.measurement.clinic_world import give_history

HISTORY_START = datetime(2026, 1, 5, 9, tzinfo=UTC)
LINK_BASE = "https://alpha.example.test/shared/"


def prepare(world: PracticeWorld) -> None:
    """Call inside the schema: the client on the clinician's caseload, with PHQ-9 and AUDIT-C
    scores."""
    profile, _ = ClientProfile.objects.get_or_create(user=world.client)
    profile.clinicians.add(world.clinician)
    give_history(world.client, "phq9", [18, 12, 6], start=HISTORY_START)
    give_history(world.client, "auditc", [7, 5], start=HISTORY_START)


def draft(world: PracticeWorld, **overrides: Any) -> Release:
    values: dict[str, Any] = {
        "recipient_name": "Dr Priya Patel", "recipient_organisation": "Northside Psychiatry",
        "recipient_email": "priya@northside.example", "purpose": "Medication review",
        "kinds": ["scores", "goals"], "instrument_keys": ["phq9"],
        "expires_on": timezone.localdate() + timedelta(days=180)}
    values.update(overrides)
    return services.release_create(
        client_id=world.client.pk, draft=services.ReleaseDraft(**values),
        practice_name=world.practice.name, actor=Actor.of(world.clinician))


def signed(world: PracticeWorld, **overrides: Any) -> Release:
    release = draft(world, **overrides)
    return services.release_sign(release_id=release.pk, typed_name="Chris Client",
                                 consent=True, actor=Actor.of(world.client))


def context(world: PracticeWorld, now: datetime | None = None) -> packages.Context:
    return packages.Context(branding=branding_for(world.practice),
                            base_url="https://alpha.example.test/",
                            now=now or timezone.now(), zone=ZoneInfo("UTC"),
                            generated_by=world.clinician.full_name)


def send(world: PracticeWorld, release: Release, package_kind: str = "progress_report",
         **kwargs: Any) -> services.Delivered:
    return services.disclose(release_id=release.pk, package_kind=package_kind,
                             actor=Actor.of(world.clinician), context=context(world),
                             link_url=LINK_BASE, **kwargs)


def unzip(body: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(body)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def far_date() -> date:
    return timezone.localdate() + timedelta(days=365)


DOCUMENT_CANARY = "DOC-CANARY-7f3"
MESSAGE_CANARY = "MSG-CANARY-2b9"


def give_documents(world: PracticeWorld) -> tuple[int, int]:
    """Inside the schema (with a file storage fixture): a file the clinician shared and a form
    the client completed, now (pin the clock to date them). Returns (document id, form id)."""
    from practice.documents.services import IncomingFile, document_share
    from practice.formbuilder import services as forms
    from tests.formbuilder.helpers import ANSWERS, INTAKE

    body = (f"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\n% {DOCUMENT_CANARY}\n"
            "trailer<</Root 1 0 R>>\n%%EOF\n").encode()
    document = document_share(client_id=world.client.pk, actor=Actor.of(world.clinician),
                              note="Referral letter",
                              incoming=IncomingFile(name="referral.pdf", size=len(body),
                                                    stream=io.BytesIO(body)))
    template = forms.template_create(title="Intake", definition=INTAKE,
                                     actor=Actor.of(world.owner))
    forms.template_publish(template_id=template.pk, actor=Actor.of(world.owner))
    assignment = forms.form_share(client_id=world.client.pk, template_id=template.pk,
                                  actor=Actor.of(world.clinician))
    forms.form_answers_save(assignment_id=assignment.pk, answers=ANSWERS, submit=True,
                            actor=Actor.of(world.client))
    return document.pk, assignment.pk


def give_messages(world: PracticeWorld, *, at: datetime | None = None) -> list[int]:
    """Inside the schema: a conversation of two messages, written at `at` (default now)."""
    from practice.messaging.models import Conversation, Message

    when = at or timezone.now()
    conversation = Conversation.objects.create(
        client=world.client, subject="Sleep", started_by=world.clinician, created_at=when,
        last_message_at=when)
    first = Message.objects.create(conversation=conversation, author=world.clinician,
                                   from_client=False, body="How did the week go?",
                                   created_at=when)
    second = Message.objects.create(conversation=conversation, author=world.client,
                                    from_client=True, body=f"Better. {MESSAGE_CANARY}",
                                    created_at=when + timedelta(minutes=5))
    return [first.pk, second.pk]
