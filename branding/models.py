"""A practice's look and contact details. Lives in the public schema next to the practice, so the
control plane can brand what it sends too; read through `branding.selectors.branding_for`, which
returns a frozen, cached `Branding` value (templates never read this model)."""

from __future__ import annotations

from django.db import models

DEFAULT_PRIMARY = "#1f5f8b"
DEFAULT_ACCENT = "#8a4b08"


class PracticeBranding(models.Model):
    practice = models.OneToOneField(
        "tenants.Practice", on_delete=models.CASCADE, related_name="branding"
    )
    display_name = models.CharField(max_length=120)
    primary_color = models.CharField(max_length=7, default=DEFAULT_PRIMARY)
    accent_color = models.CharField(max_length=7, default=DEFAULT_ACCENT)
    contact_phone = models.CharField(max_length=40, blank=True)
    contact_email = models.EmailField(blank=True)
    address = models.CharField(max_length=300, blank=True)
    website = models.URLField(blank=True)
    crisis_line = models.CharField(max_length=40, blank=True)
    email_sender_name = models.CharField(max_length=120, blank=True)
    welcome_text = models.TextField(max_length=600, blank=True)
    has_logo = models.BooleanField(default=False)
    # Every logo change bumps it, so image URLs change and can be cached forever.
    logo_version = models.PositiveIntegerField(default=1)
    logo_content_type = models.CharField(max_length=40, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return self.display_name
