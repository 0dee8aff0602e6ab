"""Files in a practice, each carrying a marker that must never show where it should not: two
shared with the client (one withdrawn), one the client uploaded, and one of a second client who
is on nobody's caseload. The look-alike practice gets one file more, so it has an id the first
practice lacks."""

from __future__ import annotations

import io
from dataclasses import dataclass

from django.db import connection
from django_tenants.utils import schema_context

from practice.documents import services
from practice.documents.models import Document
from tenants.accounts.models import Role, User
from tenants.actor import Actor
from tests.care.helpers import CareWorld
from tests.conftest import PASSWORD
from tests.documents.conftest import pdf_bytes, png_bytes

MARKER = "MARK-d0c"


@dataclass(frozen=True)
class DocIds:
    client: int
    shared: int
    withdrawn: int
    uploaded: int
    other_client: int  # a second client of the practice, on nobody's caseload
    other_file: int  # that client's file


def _incoming(name: str, content: bytes) -> services.IncomingFile:
    return services.IncomingFile(name=name, size=len(content), stream=io.BytesIO(content))


def fill(world: CareWorld, *, extra: int = 0) -> DocIds:
    people = world.world
    with schema_context(world.schema):
        shared = services.document_share(
            client_id=people.client.pk, incoming=_incoming(f"{MARKER} letter.pdf", pdf_bytes()),
            note=f"{MARKER} note", actor=Actor.of(people.clinician))
        withdrawn = services.document_share(
            client_id=people.client.pk, incoming=_incoming(f"{MARKER} old.pdf", pdf_bytes()),
            actor=Actor.of(people.front_desk))
        services.document_withdraw(document_id=withdrawn.pk, actor=Actor.of(people.front_desk))
        uploaded = services.document_upload(
            incoming=_incoming(f"{MARKER} card.png", png_bytes()), actor=Actor.of(people.client))
        second = User.objects.filter(email="second-client@example.org").first() or \
            User.objects.create_user("second-client@example.org", PASSWORD,
                                     full_name="Sasha Second", role=Role.CLIENT)
        other = services.document_share(
            client_id=second.pk, incoming=_incoming(f"{MARKER} second.pdf", pdf_bytes()),
            actor=Actor.of(people.owner))
        for number in range(extra):
            services.document_share(
                client_id=second.pk, incoming=_incoming(f"{MARKER} {number}.pdf", pdf_bytes()),
                actor=Actor.of(people.owner))
    connection.set_schema_to_public()
    return DocIds(client=people.client.pk, shared=shared.pk, withdrawn=withdrawn.pk,
                  uploaded=uploaded.pk, other_client=second.pk, other_file=other.pk)


def snapshot(world: CareWorld) -> list[tuple]:
    with schema_context(world.schema):
        rows = list(Document.objects.order_by("pk").values_list(
            "client_id", "source", "display_name", "file", "withdrawn_at"))
    connection.set_schema_to_public()
    return rows
