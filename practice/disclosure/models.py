"""Releases of information, the disclosure ledger, and 42 CFR Part 2 tags and restrictions.

- `Release`: the client's authorisation to send named content to a named recipient for a
  purpose until an expiry; drafted by staff, signed by the client in the portal (typed name,
  optional drawn mark, a SHA-256 seal over the exact wording signed), revocable. Once signed its
  terms never change (a trigger refuses any update of a signed release's terms); revocation
  stops future disclosures only.
- `Disclosure`: one row per package that left the practice, append-only (triggers refuse
  updates and deletes): the accounting of disclosures is read from it.
- `DisclosureLink`: the expiring, single-use download link of one package, with the hash of its
  one-time code (the code itself is never stored).
- `Part2Settings`, `Part2Tag`, `Restriction`: the practice's "we are a Part 2 program" switch,
  records tagged Part 2 by hand (kinds are tagged by rule, selectors.part2_records), and the
  client's restriction requests (§2.26) that `disclose` honours.
"""

from __future__ import annotations

import pgtrigger
from django.db import models
from django.utils import timezone


class Part2Settings(models.Model):
    """One row per practice (pk 1)."""

    is_part2_program = models.BooleanField(
        default=False, help_text="The practice is a federally assisted SUD program (42 CFR 2)")
    updated_at = models.DateTimeField(default=timezone.now)
    updated_by = models.ForeignKey("accounts.User", null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = "Part 2 setting"

    def __str__(self) -> str:
        return "Part 2 settings"


class Release(models.Model):
    class Status(models.TextChoices):
        AWAITING_SIGNATURE = "awaiting", "Awaiting the client's signature"
        SIGNED = "signed", "Signed"
        REVOKED = "revoked", "Revoked"
        WITHDRAWN = "withdrawn", "Withdrawn before signing"

    client = models.ForeignKey("accounts.User", on_delete=models.PROTECT,
                               related_name="releases")
    recipient_name = models.CharField(max_length=150)
    recipient_organisation = models.CharField(max_length=200, blank=True)
    recipient_email = models.EmailField(blank=True)
    recipient_phone = models.CharField(max_length=40, blank=True)
    # The scope: kinds of record (policies.SCOPE_KINDS), instruments by key, a date range.
    kinds = models.JSONField(default=list, help_text="Kinds of record the release covers")
    instrument_keys = models.JSONField(default=list, blank=True,
                                       help_text="Instruments whose scores it covers")
    covers_from = models.DateField(null=True, blank=True)
    covers_to = models.DateField(null=True, blank=True)
    purpose = models.CharField(max_length=300)
    expires_on = models.DateField(null=True, blank=True)
    # An expiry by event (Part 2 allows "end of treatment" for a TPO consent).
    expiry_event = models.CharField(max_length=120, blank=True)
    # 42 CFR 2.31 elements beyond an ordinary release.
    is_part2_consent = models.BooleanField(default=False)
    discloser = models.CharField(max_length=200, blank=True,
                                 help_text="Who may disclose (the program)")
    information_description = models.TextField(
        blank=True, help_text="A specific description of the information to be disclosed")
    covers_counseling_notes = models.BooleanField(
        default=False, help_text="A separate, specific consent for SUD counseling notes")
    named_proxy = models.ForeignKey("accounts.User", null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="+",
                                    help_text="A proxy the Part 2 consent names as recipient")
    revocation_statement = models.TextField(blank=True)
    status = models.CharField(max_length=10, choices=Status.choices,
                              default=Status.AWAITING_SIGNATURE)
    created_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    # The signature (as practice.formbuilder's: typed name, wording, optional drawn mark, seal).
    signer = models.ForeignKey("accounts.User", null=True, blank=True,
                               on_delete=models.PROTECT, related_name="+")
    signed_name = models.CharField(max_length=150, blank=True)
    # Signed by a proxy as the client's personal representative (practice.family), with their
    # relationship to the client as the link named it; the client themself otherwise.
    signed_as_representative = models.BooleanField(default=False)
    signer_relationship = models.CharField(max_length=60, blank=True)
    signature_consent_text = models.TextField(blank=True)
    drawn_png = models.BinaryField(null=True, blank=True)
    drawn_sha256 = models.CharField(max_length=64, blank=True)
    signed_at = models.DateTimeField(null=True, blank=True)
    signed_ip = models.GenericIPAddressField(null=True, blank=True)
    content_sha256 = models.CharField(max_length=64, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey("accounts.User", null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(covers_from__isnull=True) | models.Q(covers_to__isnull=True)
                | models.Q(covers_to__gte=models.F("covers_from")),
                name="release_range_in_order"),
            models.CheckConstraint(
                condition=~models.Q(status="signed") | models.Q(signed_at__isnull=False),
                name="release_signed_has_time"),
        ]
        triggers = [
            # What was signed never changes: once signed, only the revocation may be written,
            # and a revoked release stays revoked.
            pgtrigger.Protect(
                name="release_terms_frozen_once_signed", operation=pgtrigger.Update,
                condition=pgtrigger.Condition(
                    "OLD.status IN ('signed', 'revoked') AND ("
                    "OLD.status = 'revoked' OR NEW.status NOT IN ('signed', 'revoked') OR "
                    "(NEW.content_sha256, NEW.kinds, NEW.instrument_keys, NEW.recipient_name, "
                    "NEW.recipient_organisation, NEW.recipient_email, NEW.purpose, "
                    "NEW.expires_on, NEW.expiry_event, NEW.covers_from, NEW.covers_to, "
                    "NEW.is_part2_consent, NEW.covers_counseling_notes, NEW.named_proxy_id, "
                    "NEW.signed_at, NEW.client_id, NEW.signer_id, "
                    "NEW.signed_as_representative, NEW.signer_relationship) IS DISTINCT FROM "
                    "(OLD.content_sha256, OLD.kinds, OLD.instrument_keys, OLD.recipient_name, "
                    "OLD.recipient_organisation, OLD.recipient_email, OLD.purpose, "
                    "OLD.expires_on, OLD.expiry_event, OLD.covers_from, OLD.covers_to, "
                    "OLD.is_part2_consent, OLD.covers_counseling_notes, OLD.named_proxy_id, "
                    "OLD.signed_at, OLD.client_id, OLD.signer_id, "
                    "OLD.signed_as_representative, OLD.signer_relationship))")),
            pgtrigger.Protect(name="release_is_kept", operation=pgtrigger.Delete),
        ]

    def __str__(self) -> str:
        return f"Release #{self.pk}"


class Part2Tag(models.Model):
    """A record tagged Part 2 by hand (a record kind and its id), or an episode marked as SUD
    treatment (kind "episode"). Removing a tag sets `removed_at`; the row stays."""

    client = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=20)
    object_id = models.PositiveBigIntegerField()
    tagged_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    tagged_at = models.DateTimeField(default=timezone.now)
    removed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-tagged_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "object_id"],
                                    condition=models.Q(removed_at__isnull=True),
                                    name="part2_tag_once"),
        ]

    def __str__(self) -> str:
        return f"Part 2 tag #{self.pk}"


class Restriction(models.Model):
    """A client's request to restrict disclosures (42 CFR 2.26), agreed and recorded by staff:
    to a recipient (matched on name or organisation, blank = anyone), of kinds of record and/or
    instruments (blank = everything)."""

    client = models.ForeignKey("accounts.User", on_delete=models.PROTECT,
                               related_name="disclosure_restrictions")
    recipient_match = models.CharField(max_length=200, blank=True)
    kinds = models.JSONField(default=list, blank=True)
    instrument_keys = models.JSONField(default=list, blank=True)
    note = models.CharField(max_length=300, blank=True)
    recorded_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)
    lifted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-recorded_at", "-pk"]

    def __str__(self) -> str:
        return f"Restriction #{self.pk}"


class Disclosure(models.Model):
    """The ledger: one row per package that left the practice. Append-only."""

    class Channel(models.TextChoices):
        DOWNLOAD_LINK = "download_link", "Expiring download link with a one-time code"

    client = models.ForeignKey("accounts.User", on_delete=models.PROTECT,
                               related_name="disclosures")
    release = models.ForeignKey(Release, on_delete=models.PROTECT, related_name="disclosures")
    disclosed_at = models.DateTimeField(default=timezone.now, db_index=True)
    recipient = models.CharField(max_length=360)
    description = models.CharField(max_length=500)
    purpose = models.CharField(max_length=300)
    channel = models.CharField(max_length=20, choices=Channel.choices)
    package_kind = models.CharField(max_length=20)
    package_sha256 = models.CharField(max_length=64)
    contains_part2 = models.BooleanField(default=False)
    disclosed_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["-disclosed_at", "-pk"]
        triggers = [
            pgtrigger.Protect(name="disclosure_ledger_no_update", operation=pgtrigger.Update),
            pgtrigger.Protect(name="disclosure_ledger_no_delete", operation=pgtrigger.Delete),
        ]

    def __str__(self) -> str:
        return f"Disclosure #{self.pk}"


class DisclosureLink(models.Model):
    """How one package is handed over: a random token in the link (no PHI), a one-time code
    given separately (only its hash is kept), an expiry, a single use, and a cap on wrong
    codes. The package bytes are dropped once used or expired (`package` set to empty)."""

    disclosure = models.OneToOneField(Disclosure, on_delete=models.PROTECT,
                                      related_name="link")
    token_sha256 = models.CharField(max_length=64, unique=True)
    code_hash = models.CharField(max_length=200)
    filename = models.CharField(max_length=80)
    content_type = models.CharField(max_length=80)
    package = models.BinaryField()
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    failed_attempts = models.PositiveSmallIntegerField(default=0)

    def __str__(self) -> str:
        return f"Disclosure link #{self.pk}"
