"""A practice with data in every place a backup must carry, and the checksums to compare."""

from __future__ import annotations

import io
import json
import shutil
import tarfile
from pathlib import Path
from typing import Any

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection, transaction
from django_tenants.utils import schema_context

from billing.models import Subscription
from branding.models import PracticeBranding
from branding.selectors import branding_forget
from tenants.accounts.models import Role, User
from tenants.audit.services import audit_record
from tenants.backup.media import practice_files
from tenants.backup.postgres import quote_ident, table_checksums
from tenants.models import Practice
from tests.conftest import PASSWORD, PracticeWorld, make_practice
from tests.portal.helpers import prepare, submit_phq9

FILES = {
    "branding/v1/logo.png": b"\x89PNG\r\n\x1a\nnot-really-a-png",
    "documents/2026/intake form.txt": "Intake, signed \N{CHECK MARK}".encode(),
}


def world_with_data(subdomain: str, name: str) -> PracticeWorld:
    """Users, a care team, submitted measurement responses (with their audit rows), branding in
    the public schema and stored files."""
    world = make_practice(subdomain, name)
    prepare(world, crisis_line="988")
    Subscription.objects.create(practice=world.practice, stripe_customer_id=f"cus_{subdomain}",
                                stripe_subscription_id=f"sub_{subdomain}", plan_key="solo",
                                status="active")
    PracticeBranding.objects.filter(practice=world.practice).update(
        primary_color="#2a5d34", welcome_text="Welcome, ¿qué tal?")
    branding_forget(world.practice)
    submit_phq9(world, 14)
    submit_phq9(world, 9)
    with schema_context(world.practice.schema_name):
        # Data that spells the schema's name must come back as it was (only DDL is renamed).
        User.objects.create_user("second.client@example.org", PASSWORD,
                                 full_name=f"Sam {world.practice.schema_name}.accounts_user",
                                 role=Role.CLIENT)
        audit_record(action="client.review_viewed", actor=world.clinician, object_type="client",
                     object_id=world.client.pk)
        for path, content in FILES.items():
            assert default_storage.save(path, ContentFile(content)) == path
    connection.set_schema_to_public()
    return world


def checksums(schema: str) -> dict[str, dict[str, Any]]:
    with transaction.atomic(), connection.cursor() as cursor:
        return table_checksums(cursor, schema)


def files(schema: str) -> list[tuple[str, int, str]]:
    return practice_files(schema)


def public_rows(practice: Practice) -> dict[str, Any]:
    """The practice's public rows without ids and the fields an import sets."""
    practice_values = Practice.objects.filter(pk=practice.pk).values().get()
    for key in ("id", "schema_name", "subdomain"):
        practice_values.pop(key)
    branding = PracticeBranding.objects.filter(practice=practice).values().get()
    for key in ("id", "practice_id"):
        branding.pop(key)
    subscriptions = list(Subscription.objects.filter(practice=practice).values())
    for subscription in subscriptions:
        for key in ("id", "practice_id"):
            subscription.pop(key)
    return {"practice": practice_values, "branding": branding, "subscriptions": subscriptions}


def schema_exists(schema: str) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s", [schema])
        return cursor.fetchone() is not None


def destroy(practice: Practice, media_root: Path) -> None:
    """What a lost practice looks like: no schema, no public rows, no files."""
    with connection.cursor() as cursor:
        cursor.execute(f"DROP SCHEMA {quote_ident(practice.schema_name)} CASCADE")
    Practice.objects.filter(pk=practice.pk).delete()
    shutil.rmtree(media_root / practice.schema_name)
    branding_forget(practice)


def rewrite_archive(source: Path, target: Path, change: Any) -> None:
    """Copy an archive, passing each member's (name, bytes) through `change`."""
    with tarfile.open(source, "r:gz") as reader, tarfile.open(target, "w:gz") as writer:
        for member in reader.getmembers():
            data = reader.extractfile(member).read()  # type: ignore[union-attr]
            data = change(member.name, data)
            info = tarfile.TarInfo(member.name)
            info.size = len(data)
            writer.addfile(info, io.BytesIO(data))


def edit_manifest(edit: Any) -> Any:
    def change(name: str, data: bytes) -> bytes:
        if name != "manifest.json":
            return data
        manifest = json.loads(data)
        edit(manifest)
        return json.dumps(manifest).encode()
    return change
