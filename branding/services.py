"""Changing a practice's branding: validated, audited with old and new values, cache refreshed."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django_tenants.utils import schema_context

from branding.colors import check_palette, normalize_hex
from branding.logos import ProcessedLogo
from branding.models import PracticeBranding
from branding.selectors import branding_forget, branding_row
from practice.access import Capability, holds
from tenants.actor import Actor
from tenants.audit.actions import Action
from tenants.audit.services import audit_record
from tenants.models import Practice


class BrandingError(Exception):
    def __init__(self, messages: list[str]) -> None:
        super().__init__("; ".join(messages))
        self.messages = messages


@dataclass(frozen=True)
class BrandingChanges:
    display_name: str
    primary_color: str
    accent_color: str
    contact_phone: str = ""
    contact_email: str = ""
    address: str = ""
    website: str = ""
    crisis_line: str = ""
    email_sender_name: str = ""
    welcome_text: str = ""


def logo_storage_path(version: int, name: str) -> str:
    return f"branding/v{version}/{name}"


def validate_palette(primary: str, accent: str) -> None:
    problems = check_palette(primary, accent)
    if problems:
        raise BrandingError([problem.message for problem in problems])


def _store_logo(practice: Practice, version: int, logo: ProcessedLogo) -> None:
    with schema_context(practice.schema_name):
        original = "logo.svg" if logo.content_type == "image/svg+xml" else "logo.png"
        default_storage.save(logo_storage_path(version, original), ContentFile(logo.original))
        for variant, data in logo.variants.items():
            default_storage.save(logo_storage_path(version, f"{variant}.png"), ContentFile(data))


@transaction.atomic
def branding_update(
    *, changes: BrandingChanges, actor: Actor,
    logo: ProcessedLogo | None = None, remove_logo: bool = False,
) -> PracticeBranding:
    if not holds(actor.person, Capability.MANAGE_PRACTICE):
        raise PermissionError("Only the practice owner changes the branding.")
    values: dict[str, Any] = asdict(changes)
    values["primary_color"] = normalize_hex(changes.primary_color)
    values["accent_color"] = normalize_hex(changes.accent_color)
    validate_palette(values["primary_color"], values["accent_color"])
    row = PracticeBranding.objects.select_for_update().get(pk=branding_row(actor.in_practice).pk)
    diff: dict[str, dict[str, Any]] = {}
    for field, new in values.items():
        old = getattr(row, field)
        if old != new:
            diff[field] = {"from": old, "to": new}
            setattr(row, field, new)
    if logo is not None:
        diff["logo"] = {"from": row.logo_version if row.has_logo else None,
                        "to": row.logo_version + 1}
        row.logo_version += 1
        row.has_logo = True
        row.logo_content_type = logo.content_type
        _store_logo(actor.in_practice, row.logo_version, logo)
    elif remove_logo and row.has_logo:
        diff["logo"] = {"from": row.logo_version, "to": None}
        row.logo_version += 1
        row.has_logo = False
        row.logo_content_type = ""
    if not diff:
        return row
    row.save()
    audit_record(action=Action.SETTINGS_BRANDING_CHANGED, actor=actor,
                 object_type="practice", object_id=actor.in_practice.pk, detail=diff)
    # Forget now (this transaction's readers) and again at commit (anyone who cached the old
    # value in between).
    branding_forget(actor.in_practice)
    transaction.on_commit(lambda: branding_forget(actor.in_practice))
    return row
