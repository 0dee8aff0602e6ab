"""Proxies (parents, guardians, caregivers) and what they see.

- `FamilySettings`: the practice's age of self-consent (no built-in number).
- `ProxyTier`: the practice's editable tiers (seeded with logistics, progress, full).
- `ProxyLink`: one proxy linked to one client, with the relationship, the tier, staff's
  per-link overrides, the client's own grants and the link's access state.
- `ProxyInvitation`: the emailed single-use link (only a hash of its token is stored).
- `ProxyConsentAcceptance`: the proxy's acceptance of a version of the proxy consent text.
- `ClientAgeFacts`: a client's birth date, a per-client override of the age, and when the
  daily job found they decide for themself.
- `ItemMark`: the clinician's per-item marks ("not for proxies", a goal "shareable").
- `FamilySummary`: the clinician's general progress summary for family.
- `CaregiverAssignment` / `CaregiverReport`: a parent-report instrument assigned to a proxy
  about the client; each report scored and stored with its informant.
- `ProxyAccount`: the proxy's own settings (language, timezone, email notices).
- The proxy's own conversations with the practice are secure messaging's
  (`practice.messaging.models.Conversation.proxy_link`), apart from the client's.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from portal.models import EmailedInvitation
from practice.measurement.models import Assignment


class FamilySettings(models.Model):
    singleton = models.BooleanField(default=True, unique=True)
    # The age at which a client consents for themself; blank until the practice sets it (then
    # every client decides for themself: the rule fails closed).
    self_consent_age = models.PositiveSmallIntegerField(null=True, blank=True)
    # Informant disagreement: a caregiver's and the client's totals on the same instrument
    # further apart than this (in points) raise an alert.
    disagreement_points = models.PositiveSmallIntegerField(default=5)
    updated_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return "Family settings"


class ProxyTier(models.Model):
    key = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=80)
    kinds = models.JSONField(default=list)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "pk"]

    def __str__(self) -> str:
        return self.name


class ProxyLink(models.Model):
    proxy = models.ForeignKey("accounts.User", on_delete=models.PROTECT,
                              related_name="proxy_of")
    client = models.ForeignKey("accounts.User", on_delete=models.PROTECT,
                               related_name="proxy_links")
    relationship = models.CharField(max_length=60)
    tier = models.ForeignKey(ProxyTier, on_delete=models.PROTECT, related_name="links")
    kinds_added = models.JSONField(default=list, blank=True)
    kinds_removed = models.JSONField(default=list, blank=True)
    # What the client granted this proxy (any kind, the client's voice included).
    kinds_granted = models.JSONField(default=list, blank=True)
    invited_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    accepted_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["client_id", "created_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["proxy", "client"], name="one_link_per_proxy_client"),
        ]

    def __str__(self) -> str:
        return f"Proxy link #{self.pk}"

    @property
    def state(self) -> str:
        if self.revoked_at:
            return "revoked"
        if self.accepted_at:
            return "active"
        return "invited"


class ProxyInvitation(EmailedInvitation):
    """A proxy's emailed link (the client's invitation, for a link to a client)."""

    link = models.ForeignKey(ProxyLink, on_delete=models.PROTECT, related_name="invitations")

    class Meta(EmailedInvitation.Meta):
        pass

    def __str__(self) -> str:
        return f"Proxy invitation #{self.pk}"


class ProxyConsentAcceptance(models.Model):
    user = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    version = models.PositiveIntegerField()
    accepted_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "version"],
                                    name="one_proxy_consent_per_version"),
        ]

    def __str__(self) -> str:
        return f"Proxy consent v{self.version} by #{self.user_id}"


class ProxyAccount(models.Model):
    """A proxy's own settings (as a client's ClientAccess holds theirs)."""

    user = models.OneToOneField("accounts.User", on_delete=models.PROTECT,
                                related_name="proxy_account")
    language = models.CharField(max_length=8, default="en",
                                choices=[("en", "English"), ("es", "Español")])
    timezone = models.CharField(max_length=64, default="America/New_York")
    email_notifications = models.BooleanField(default=True)

    def __str__(self) -> str:
        return f"Proxy account #{self.user_id}"


class ClientAgeFacts(models.Model):
    client = models.OneToOneField("accounts.User", on_delete=models.PROTECT,
                                  related_name="age_facts")
    birth_date = models.DateField(null=True, blank=True)
    # A per-client age of self-consent (e.g. the client's state differs); blank: the practice's.
    self_consent_age = models.PositiveSmallIntegerField(null=True, blank=True)
    # Set once by the daily job when the client is found to decide for themself.
    decides_since = models.DateTimeField(null=True, blank=True)
    # The client has been asked what their proxies may see, and has not answered yet.
    asked_at = models.DateTimeField(null=True, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"Age facts of #{self.client_id}"


class ItemMark(models.Model):
    """A clinician's mark on one item of a client's record: "not for proxies" (hidden) or, for
    goals, "shareable" with proxies."""

    class Mark(models.TextChoices):
        HIDDEN = "hidden", "Not for proxies"
        SHAREABLE = "shareable", "Shareable with proxies"

    client = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=30)
    object_id = models.PositiveBigIntegerField()
    mark = models.CharField(max_length=10, choices=Mark.choices)
    marked_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    marked_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["kind", "object_id", "mark"],
                                    name="one_mark_per_item"),
        ]

    def __str__(self) -> str:
        return f"{self.mark} {self.kind} #{self.object_id}"


class FamilySummary(models.Model):
    client = models.OneToOneField("accounts.User", on_delete=models.PROTECT, related_name="+")
    text = models.TextField()
    updated_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    updated_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"Family summary of #{self.client_id}"


class CaregiverAssignment(models.Model):
    """A practice-defined parent-report instrument assigned to a proxy about the client, once
    or on a schedule: the client's own assignments' frequencies, and the same schedule
    (practice.measurement.schedule) in the proxy's timezone."""

    link = models.ForeignKey(ProxyLink, on_delete=models.PROTECT, related_name="assignments")
    instrument_key = models.CharField(max_length=64)
    frequency = models.CharField(max_length=10, choices=Assignment.Frequency.choices,
                                 default=Assignment.Frequency.ONCE)
    # The proxy's local calendar dates (as a client's assignment's are the client's).
    starts_on = models.DateField(default=timezone.localdate)
    ends_on = models.DateField(null=True, blank=True)
    # The client's own instrument this report is charted beside and compared with.
    compare_with = models.CharField(max_length=64, blank=True)
    assigned_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    ended_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"Caregiver assignment #{self.pk}"


class CaregiverReport(models.Model):
    """One submitted caregiver report: scored once, pinned, never changed."""

    assignment = models.ForeignKey(CaregiverAssignment, on_delete=models.PROTECT,
                                   related_name="reports")
    client = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    informant = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    relationship = models.CharField(max_length=60)
    instrument_key = models.CharField(max_length=64)
    definition_version = models.PositiveIntegerField()
    answers = models.JSONField(default=dict)
    total = models.DecimalField(max_digits=8, decimal_places=2, null=True, blank=True)
    band_label = models.CharField(max_length=120, blank=True)
    flags = models.JSONField(default=list, blank=True)
    # The schedule's occurrence this report answers (one report per occurrence).
    occurrence_date = models.DateField(null=True, blank=True)
    submitted_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-submitted_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["assignment", "occurrence_date"],
                                    name="one_caregiver_report_per_occurrence"),
        ]

    def __str__(self) -> str:
        return f"Caregiver report #{self.pk}"
