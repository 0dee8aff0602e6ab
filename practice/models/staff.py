"""Staff invitations."""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from tenants.accounts.models import Role

STAFF_ROLE_CHOICES = [
    (Role.OWNER.value, Role.OWNER.label),
    (Role.CLINICIAN.value, Role.CLINICIAN.label),
    (Role.FRONT_DESK.value, Role.FRONT_DESK.label),
    (Role.BILLING.value, Role.BILLING.label),
]


class StaffInvitation(models.Model):
    email = models.EmailField()
    full_name = models.CharField(max_length=150)
    role = models.CharField(max_length=20, choices=STAFF_ROLE_CHOICES)
    # Only a hash of the token is stored: the database alone cannot accept an invitation.
    token_hash = models.CharField(max_length=64, unique=True)
    invited_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, related_name="staff_invitations_sent"
    )
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    user = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Invitation #{self.pk} ({self.get_role_display()})"

    @property
    def is_open(self) -> bool:
        return (
            self.accepted_at is None
            and self.revoked_at is None
            and self.expires_at > timezone.now()
        )

    @property
    def status(self) -> str:
        if self.accepted_at:
            return "accepted"
        if self.revoked_at:
            return "revoked"
        if self.expires_at <= timezone.now():
            return "expired"
        return "pending"
