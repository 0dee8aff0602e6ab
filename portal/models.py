"""The client's access to the portal: invitations, the modules they see, consent, their own
settings; and the practice's sign-in security settings. All in the practice's schema."""

from __future__ import annotations

from django.db import models
from django.utils import timezone

NOTIFICATION_CHANNELS = ("email", "push")
NOTIFICATION_KINDS = ("reminders", "messages", "assessments")


def default_notifications() -> dict[str, dict[str, bool]]:
    return {channel: dict.fromkeys(NOTIFICATION_KINDS, True) for channel in NOTIFICATION_CHANNELS}


class ClientAccess(models.Model):
    """A client's portal account: which modules they see and where their access stands."""

    user = models.OneToOneField("accounts.User", on_delete=models.PROTECT,
                                related_name="portal_access")
    # Module keys chosen by staff, limited to what the practice has on at the time of asking.
    visible_modules = models.JSONField(default=list, blank=True)
    phone = models.CharField(max_length=40, blank=True)
    invited_at = models.DateTimeField(null=True, blank=True)
    accepted_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    # The client's own settings.
    preferred_name = models.CharField(max_length=150, blank=True)
    pronouns = models.CharField(max_length=60, blank=True)
    language = models.CharField(max_length=8, default="en",
                                choices=[("en", "English"), ("es", "Español")])
    notifications = models.JSONField(default=default_notifications, blank=True)

    def __str__(self) -> str:
        return f"Portal access #{self.pk}"

    @property
    def state(self) -> str:
        if self.revoked_at:
            return "revoked"
        if self.accepted_at:
            return "active"
        if self.invited_at:
            return "invited"
        return "not_invited"


class EmailedInvitation(models.Model):
    """One emailed link (a client's, a proxy's). Only a hash of its token is stored; a resend
    makes a new one and revokes the old."""

    token_hash = models.CharField(max_length=64, unique=True)
    invited_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        abstract = True
        ordering = ["-created_at"]

    @property
    def status(self) -> str:
        if self.used_at:
            return "used"
        if self.revoked_at:
            return "revoked"
        if self.expires_at <= timezone.now():
            return "expired"
        return "open"


class ClientInvitation(EmailedInvitation):
    """A client's emailed link to the portal."""

    user = models.ForeignKey("accounts.User", on_delete=models.PROTECT,
                             related_name="portal_invitations")

    class Meta(EmailedInvitation.Meta):
        pass

    def __str__(self) -> str:
        return f"Client invitation #{self.pk}"


class ConsentAcceptance(models.Model):
    """A client accepted one version of the portal consent text, at this time."""

    user = models.ForeignKey("accounts.User", on_delete=models.PROTECT,
                             related_name="consent_acceptances")
    version = models.PositiveIntegerField()
    accepted_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-accepted_at"]
        constraints = [
            models.UniqueConstraint(fields=["user", "version"], name="one_acceptance_per_version"),
        ]

    def __str__(self) -> str:
        return f"Consent v{self.version} by #{self.user_id}"


class PracticeSecurity(models.Model):
    """The practice's sign-in rules (one row per practice schema)."""

    singleton = models.BooleanField(default=True, unique=True)
    require_staff_mfa = models.BooleanField(default=False)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return "Practice security"
