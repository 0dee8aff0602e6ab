"""The restore drill: export a practice, destroy it, import it, and every table's rows and every
file match; a copy under a new subdomain lives beside the original, isolated from it."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import Client
from django_tenants.utils import schema_context

from billing.models import Subscription
from practice.measurement.models import Response
from tenants.accounts.models import Role, User
from tenants.audit.models import AuditEvent
from tenants.models import Domain, Practice
from tests.backup.helpers import (
    FILES,
    checksums,
    destroy,
    edit_manifest,
    files,
    public_rows,
    rewrite_archive,
    schema_exists,
    world_with_data,
)
from tests.conftest import PASSWORD

pytestmark = pytest.mark.usefixtures("committed_db")


@pytest.fixture
def worlds(media_root: Path) -> Any:
    drill = world_with_data("drill", "Drill Therapy")
    other = world_with_data("other", "Other Counselling")
    return drill, other


def _export(subdomain: str, tmp_path: Path) -> Path:
    archive = tmp_path / "out" / f"{subdomain}.tar.gz"
    call_command("export_practice", subdomain, output=archive, verbosity=0)
    return archive


def test_export_destroy_import_restores_every_row_and_file(worlds: Any, media_root: Path,
                                                           tmp_path: Path) -> None:
    drill, other = worlds
    before = checksums(drill.practice.schema_name)
    before_files = files(drill.practice.schema_name)
    before_public = public_rows(drill.practice)
    other_before = (checksums(other.practice.schema_name), files(other.practice.schema_name))
    assert before["practice_response"]["rows"] == 2
    assert [path for path, _size, _digest in before_files] == sorted(FILES)
    archive = _export("drill", tmp_path)

    destroy(drill.practice, media_root)
    assert not Practice.objects.filter(subdomain="drill").exists()
    call_command("import_practice", str(archive), verbosity=0)

    restored = Practice.objects.get(subdomain="drill")
    assert restored.schema_name != drill.practice.schema_name
    assert checksums(restored.schema_name) == before
    assert files(restored.schema_name) == before_files
    assert public_rows(restored) == before_public
    assert len(before_public["subscriptions"]) == 1
    assert list(Domain.objects.filter(tenant=restored).values_list("domain", "is_primary")) == [
        ("drill.localhost", True)]
    assert (checksums(other.practice.schema_name), files(other.practice.schema_name)) == (
        other_before)
    with schema_context(restored.schema_name):
        client = User.objects.get(email="client@example.org")
        assert Response.objects.filter(client=client, status="submitted").count() == 2
    connection.set_schema_to_public()
    # The restored practice serves its people, with their old passwords, on its host.
    http = Client(HTTP_HOST="drill.localhost")
    response = http.post("/accounts/sign-in/", {"username": "client@example.org",
                                                "password": PASSWORD})
    assert response.status_code == 302
    assert http.get("/portal/help/").status_code == 200
    connection.set_schema_to_public()
    assert AuditEvent.objects.filter(action="practice.imported", object_id=str(restored.pk)
                                     ).count() == 1


def test_import_under_a_new_subdomain_beside_the_original(worlds: Any, media_root: Path,
                                                          tmp_path: Path) -> None:
    drill, other = worlds
    archive = _export("drill", tmp_path)
    before = checksums(drill.practice.schema_name)

    output = io.StringIO()
    call_command("import_practice", str(archive), subdomain="drill-copy", stdout=output)

    assert output.getvalue().splitlines()[1:] == [
        "Left out 1 billing.Subscription row(s) whose values are already taken here (or an old "
        "subdomain's redirect)."]
    copy = Practice.objects.get(subdomain="drill-copy")
    # One Stripe subscription cannot bill two practices: the copy's billing starts afresh.
    assert Subscription.objects.filter(practice=copy).count() == 0
    assert list(Subscription.objects.filter(practice__subdomain="drill").values_list(
        "stripe_subscription_id", flat=True)) == ["sub_drill"]
    original = Practice.objects.get(subdomain="drill")
    assert original.schema_name == drill.practice.schema_name
    assert copy.schema_name not in (original.schema_name, other.practice.schema_name)
    assert checksums(copy.schema_name) == before
    assert files(copy.schema_name) == files(original.schema_name)
    assert list(Domain.objects.filter(tenant=copy).values_list("domain", flat=True)) == [
        "drill-copy.localhost"]
    # Isolated: a change in the copy leaves the original as it was.
    with schema_context(copy.schema_name):
        User.objects.create_user("only.in.copy@example.org", PASSWORD, full_name="Copy Only",
                                 role=Role.CLIENT)
    connection.set_schema_to_public()
    assert checksums(original.schema_name) == before
    assert checksums(copy.schema_name)["accounts_user"] != before["accounts_user"]
    with schema_context(original.schema_name):
        assert User.objects.filter(email="only.in.copy@example.org").count() == 0
    connection.set_schema_to_public()


def test_import_refuses_a_taken_subdomain(worlds: Any, tmp_path: Path) -> None:
    archive = _export("drill", tmp_path)
    schemas = Practice.objects.count()
    with pytest.raises(CommandError, match="The subdomain 'other' is already taken here"):
        call_command("import_practice", str(archive), subdomain="other", verbosity=0)
    with pytest.raises(CommandError, match="The subdomain 'drill' is already taken here"):
        call_command("import_practice", str(archive), verbosity=0)
    assert Practice.objects.count() == schemas


def test_import_refuses_another_version(worlds: Any, tmp_path: Path) -> None:
    archive = _export("drill", tmp_path)
    older = tmp_path / "older.tar.gz"

    def downgrade(manifest: dict[str, Any]) -> None:
        manifest["migrations"]["practice"] = ["0001_initial"]

    rewrite_archive(archive, older, edit_manifest(downgrade))
    with pytest.raises(CommandError, match=r"different version of Tandem \(migrations differ: "
                                           r"practice: archive 0001_initial, here "):
        call_command("import_practice", str(older), subdomain="drill-old", verbosity=0)
    assert not Practice.objects.filter(subdomain="drill-old").exists()


@pytest.mark.parametrize("damage", ["row", "file"])
def test_a_failed_verification_leaves_nothing(worlds: Any, media_root: Path, tmp_path: Path,
                                              damage: str) -> None:
    archive = _export("drill", tmp_path)
    damaged = tmp_path / "damaged.tar.gz"

    def change(name: str, data: bytes) -> bytes:
        if damage == "file" and name == "files/documents/2026/intake form.txt":
            return data + b" (altered)"
        return data

    def miscount(manifest: dict[str, Any]) -> None:
        manifest["tables"]["practice_response"]["rows"] = 3

    rewrite_archive(archive, damaged,
                    edit_manifest(miscount) if damage == "row" else change)
    schemas = {path.name for path in media_root.iterdir()}
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_namespace WHERE nspname LIKE 'p\\_%%'")
        namespaces = cursor.fetchone()[0]

    expected = ("table practice_response" if damage == "row"
                else "intake form.txt does not match its checksum")
    with pytest.raises(Exception, match=expected):
        call_command("import_practice", str(damaged), subdomain="drill-two", verbosity=0)

    connection.set_schema_to_public()
    assert not Practice.objects.filter(subdomain="drill-two").exists()
    assert not Domain.objects.filter(domain="drill-two.localhost").exists()
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_namespace WHERE nspname LIKE 'p\\_%%'")
        assert cursor.fetchone()[0] == namespaces
    leftovers = [path for path in media_root.rglob("*")
                 if path.is_file() and path.parts[len(media_root.parts)] not in schemas]
    assert leftovers == []
    assert schema_exists(worlds[0].practice.schema_name)


def test_export_of_an_unknown_subdomain_says_so(db: Any, tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="No practice has the subdomain 'nowhere' here."):
        call_command("export_practice", "nowhere", output=tmp_path / "x.tar.gz")
