"""Forms the practice builds, shares with clients, and clients fill in and sign.

A template has a working draft and published versions; a published version never changes (the
database refuses), and a form shared with a client pins the version it was shared with. Once a
client submits, the answers never change (the database refuses, whoever asks); a signature is
written once and never changed or removed."""

from __future__ import annotations

import pgtrigger
from django.db import models
from django.utils import timezone

from practice.formbuilder.definitions import requires_signature


class FormTemplate(models.Model):
    title = models.CharField(max_length=200)
    # The working copy the builder edits; validated as a draft on every step.
    draft = models.JSONField()
    is_archived = models.BooleanField(default=False)
    created_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["title", "pk"]

    def __str__(self) -> str:
        return f"Form template #{self.pk}"


class FormVersion(models.Model):
    """One published version of a template: validated, normalised, frozen."""

    template = models.ForeignKey(FormTemplate, on_delete=models.PROTECT,
                                 related_name="versions")
    number = models.PositiveIntegerField()
    definition = models.JSONField()
    published_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT,
                                     related_name="+")
    published_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["template_id", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["template", "number"], name="form_version_number"),
        ]
        triggers = [
            pgtrigger.Protect(name="form_version_is_frozen", operation=pgtrigger.Update),
            pgtrigger.Protect(name="form_version_is_kept", operation=pgtrigger.Delete),
        ]

    def __str__(self) -> str:
        return f"Form template #{self.template_id} v{self.number}"

    @property
    def title(self) -> str:
        return str(self.definition.get("title", ""))


FROZEN_STATUSES = ("completed", "signed")


class FormAssignment(models.Model):
    """A form shared with a client: requested, in progress (a draft saved), completed
    (submitted), signed; or withdrawn by staff before the client submitted."""

    class Status(models.TextChoices):
        REQUESTED = "requested", "Requested"
        IN_PROGRESS = "in_progress", "In progress"
        COMPLETED = "completed", "Completed"
        SIGNED = "signed", "Signed"
        WITHDRAWN = "withdrawn", "Withdrawn"

    client = models.ForeignKey("accounts.User", on_delete=models.PROTECT,
                               related_name="form_assignments")
    version = models.ForeignKey(FormVersion, on_delete=models.PROTECT,
                                related_name="assignments")
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.REQUESTED)
    answers = models.JSONField(default=dict, blank=True)
    requested_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT,
                                     related_name="+")
    requested_at = models.DateTimeField(default=timezone.now, db_index=True)
    due_on = models.DateField(null=True, blank=True)
    last_saved_at = models.DateTimeField(null=True, blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True, db_index=True)
    signed_at = models.DateTimeField(null=True, blank=True, db_index=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-requested_at", "-pk"]
        indexes = [models.Index(fields=["client", "status"], name="form_assignment_client")]
        triggers = [
            # Submitted answers are final: nothing of what was submitted changes, and the only
            # move left is completed -> signed. The database refuses, whoever asks.
            pgtrigger.Protect(
                name="submitted_form_is_immutable",
                operation=pgtrigger.Update,
                condition=pgtrigger.Condition(
                    "OLD.status IN ('completed', 'signed') AND ("
                    "OLD.answers IS DISTINCT FROM NEW.answers"
                    " OR OLD.version_id IS DISTINCT FROM NEW.version_id"
                    " OR OLD.client_id IS DISTINCT FROM NEW.client_id"
                    " OR OLD.submitted_at IS DISTINCT FROM NEW.submitted_at"
                    " OR (OLD.status = 'signed' AND (NEW.status IS DISTINCT FROM 'signed'"
                    "     OR OLD.signed_at IS DISTINCT FROM NEW.signed_at))"
                    " OR (OLD.status = 'completed' AND NEW.status NOT IN ('completed', 'signed'))"
                    ")"),
            ),
            pgtrigger.Protect(
                name="submitted_form_is_kept",
                operation=pgtrigger.Delete,
                condition=pgtrigger.Condition("OLD.status IN ('completed', 'signed')"),
            ),
        ]

    def __str__(self) -> str:
        return f"Form #{self.pk}"

    @property
    def is_open(self) -> bool:
        """The client can still answer."""
        return self.status in (self.Status.REQUESTED, self.Status.IN_PROGRESS)

    @property
    def is_submitted(self) -> bool:
        return self.status in FROZEN_STATUSES

    @property
    def awaits_signature(self) -> bool:
        return (self.status == self.Status.COMPLETED
                and requires_signature(self.version.definition))

    @property
    def title(self) -> str:
        return self.version.title


class FormSignature(models.Model):
    """The client's electronic signature of a submitted form, with the evidence: the consent
    wording they accepted, their typed name, the drawn mark if any, when, from where, and the
    SHA-256 seal of the exact content signed (see practice.formbuilder.seal)."""

    assignment = models.OneToOneField(FormAssignment, on_delete=models.PROTECT,
                                      related_name="signature")
    signer = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    typed_name = models.CharField(max_length=150)
    statement = models.TextField()
    consent_text = models.TextField()
    drawn_png = models.BinaryField(null=True, blank=True)
    drawn_sha256 = models.CharField(max_length=64, blank=True)
    signed_at = models.DateTimeField()
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    content_sha256 = models.CharField(max_length=64)

    class Meta:
        triggers = [
            pgtrigger.Protect(name="signature_is_frozen", operation=pgtrigger.Update),
            pgtrigger.Protect(name="signature_is_kept", operation=pgtrigger.Delete),
        ]

    def __str__(self) -> str:
        return f"Signature of form #{self.assignment_id}"

    @property
    def has_drawing(self) -> bool:
        return bool(self.drawn_sha256)
