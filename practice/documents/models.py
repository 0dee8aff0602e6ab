"""Files shared between a practice and its clients, and the practice's rules for them.

A document's bytes live in the default storage (S3 under the practice's prefix in production,
the practice's own folder on the local filesystem otherwise) under a random key; the name people
gave it is kept apart, sanitised, for display only."""

from __future__ import annotations

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from practice.documents.policies import DEFAULT_MAX_MB, HIGHEST_MAX_MB, NAME_MAX_LENGTH


class DocumentSettings(models.Model):
    """The practice's rules for files (one row per practice schema)."""

    client_uploads_enabled = models.BooleanField(
        default=True, help_text="Clients can upload files (for example a referral letter or an "
                                "insurance card) from their portal.")
    max_upload_mb = models.PositiveSmallIntegerField(
        default=DEFAULT_MAX_MB,
        validators=[MinValueValidator(1), MaxValueValidator(HIGHEST_MAX_MB)],
        help_text=f"The largest file anyone can upload, from 1 to {HIGHEST_MAX_MB} MB.")
    updated_at = models.DateTimeField(default=timezone.now)
    updated_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, null=True,
                                   blank=True, related_name="+")

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(id=1), name="documents_settings_single_row"),
            models.CheckConstraint(condition=Q(max_upload_mb__gte=1,
                                               max_upload_mb__lte=HIGHEST_MAX_MB),
                                   name="documents_settings_upload_limit_range"),
        ]

    def __str__(self) -> str:
        return "Document settings"


class Document(models.Model):
    class Source(models.TextChoices):
        STAFF = "staff", "Shared by the practice"
        CLIENT = "client", "Uploaded by the client"

    client = models.ForeignKey("accounts.User", on_delete=models.PROTECT,
                               related_name="documents")
    source = models.CharField(max_length=10, choices=Source.choices)
    uploaded_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT,
                                    related_name="+")
    # Sanitised, for display and as the download's file name; never part of a storage key.
    display_name = models.CharField(max_length=NAME_MAX_LENGTH)
    # A short note from staff about what the file is (shown to the client).
    note = models.CharField(max_length=300, blank=True)
    # `documents/<random>.<ext>` in the default storage, which adds the practice's prefix.
    file = models.FileField(max_length=300, unique=True)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now)
    # Staff can take a file out of the client's view; it is kept, never deleted.
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawn_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, null=True,
                                     blank=True, related_name="+")

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["client", "-created_at"], name="document_client_idx"),
            models.Index(fields=["source", "created_at"], name="document_source_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(size__gt=0), name="document_not_empty"),
            models.CheckConstraint(
                condition=Q(withdrawn_at__isnull=True) | Q(source="staff"),
                name="document_only_shared_files_withdrawn"),
        ]

    def __str__(self) -> str:
        return f"Document #{self.pk}"

    @property
    def is_withdrawn(self) -> bool:
        return self.withdrawn_at is not None

    @property
    def is_image(self) -> bool:
        return self.content_type.startswith("image/")
