"""Reading a practice's branding: one frozen value, cached per practice, rebuilt on change."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.core.cache import cache
from django_tenants.utils import schema_context

from branding.colors import readable_text_on  # noqa: I001
from branding.models import PracticeBranding
from branding.values import Branding
from tenants.db import connection
from tenants.models import Practice
from tenants.selectors import practice_client_url

CACHE_SECONDS = 60 * 60 * 24


def _cache_key(practice_id: int) -> str:
    return f"branding:v1:{practice_id}"


def short_name_for(name: str) -> str:
    """The home-screen label: the name if it fits in 12 characters, else its first word(s)."""
    if len(name) <= 12:
        return name
    words = name.split()
    short = words[0]
    for word in words[1:]:
        if len(short) + 1 + len(word) > 12:
            break
        short = f"{short} {word}"
    return short[:12]


def branding_row(practice: Practice) -> PracticeBranding:
    row = PracticeBranding.objects.filter(practice=practice).first()
    if row is None:
        row, _ = PracticeBranding.objects.get_or_create(
            practice=practice, defaults={"display_name": practice.name}
        )
    return row


def build_branding(practice: Practice, row: PracticeBranding) -> Branding:
    return Branding(
        practice_id=practice.pk,
        base_url=practice_client_url(practice, "").rstrip("/"),
        display_name=row.display_name,
        short_name=short_name_for(row.display_name),
        primary_color=row.primary_color,
        on_primary=readable_text_on(row.primary_color),
        accent_color=row.accent_color,
        on_accent=readable_text_on(row.accent_color),
        contact_phone=row.contact_phone,
        contact_email=row.contact_email,
        address=row.address,
        website=row.website,
        crisis_line=row.crisis_line,
        email_sender_name=row.email_sender_name,
        welcome_text=row.welcome_text,
        logo_version=row.logo_version,
        has_logo=row.has_logo,
    )


@contextmanager
def _in_schema(schema_name: str) -> Iterator[None]:
    """Enter the schema only when not already there: switching costs a SET search_path."""
    if connection.schema_name == schema_name:
        yield
    else:
        with schema_context(schema_name):
            yield


def branding_for(practice: Practice) -> Branding:
    """The practice's branding; once warm, costs no query. Keyed in the practice's own schema."""
    with _in_schema(practice.schema_name):
        cached = cache.get(_cache_key(practice.pk))
        if isinstance(cached, Branding) and cached.base_url == practice_client_url(
            practice, ""
        ).rstrip("/"):
            return cached
        value = build_branding(practice, branding_row(practice))
        cache.set(_cache_key(practice.pk), value, CACHE_SECONDS)
        return value


def branding_forget(practice: Practice) -> None:
    with _in_schema(practice.schema_name):
        cache.delete(_cache_key(practice.pk))
