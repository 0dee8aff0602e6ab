"""The practice's expected-path settings, its calibrations, who sees their path, and the
clinical support answers given on a "not on track" alert."""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from practice.stamps import practice_stamp_trigger


class PathSettings(models.Model):
    """One row per practice (none: the defaults). Clients see their expected range only when the
    practice shows it AND their clinician turned it on for them."""

    is_shown_to_clients = models.BooleanField(default=False)
    # A practice-defined instrument assigned once to the client when "not on track" fires.
    follow_up_instrument_key = models.CharField(max_length=64, blank=True)
    updated_by = models.ForeignKey("accounts.User", null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    updated_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return "Expected-path settings"


class ClientPathSharing(models.Model):
    """The clinician's switch: this client sees their expected range on their chart."""

    client = models.OneToOneField("accounts.User", on_delete=models.PROTECT,
                                  related_name="expected_path_sharing")
    is_shown = models.BooleanField(default=False)
    updated_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    updated_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"Expected path sharing for client #{self.client_id}"


class Calibration(models.Model):
    """The path of one instrument and baseline band fitted to the practice's own closed episodes.
    Proposed when fitted; the owner may adopt it (the adopted one replaces the default for that
    band; at most one adopted per instrument and band)."""

    class Status(models.TextChoices):
        PROPOSED = "proposed", "Proposed"
        ADOPTED = "adopted", "Adopted"
        RETIRED = "retired", "Retired"

    instrument_key = models.CharField(max_length=64)
    band = models.CharField(max_length=40)
    k = models.FloatField()
    tolerance = models.FloatField()
    episodes = models.PositiveIntegerField()
    points = models.PositiveIntegerField()
    fit_seconds = models.FloatField(default=0)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PROPOSED)
    fitted_at = models.DateTimeField(default=timezone.now)
    fitted_by = models.ForeignKey("accounts.User", null=True, blank=True,
                                  on_delete=models.PROTECT, related_name="+")
    adopted_at = models.DateTimeField(null=True, blank=True)
    adopted_by = models.ForeignKey("accounts.User", null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["instrument_key", "band", "-fitted_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["instrument_key", "band"],
                                    condition=models.Q(status="adopted"),
                                    name="calibration_one_adopted_per_band"),
        ]
        # An adopted calibration changes every client's path (practice.stamps).
        triggers = [practice_stamp_trigger()]

    def __str__(self) -> str:
        return f"Calibration #{self.pk} ({self.instrument_key} {self.band})"

    @property
    def version(self) -> str:
        return f"practice-{self.pk}"


class SupportAnswers(models.Model):
    """The clinician's answers to the clinical support questions on one "not on track" alert:
    {question key: {"answer": "concern" | "no_concern" | "not_asked", "note": text}}."""

    alert = models.OneToOneField("practice.Alert", on_delete=models.PROTECT,
                                 related_name="support_answers")
    answers = models.JSONField(default=dict)
    answered_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    answered_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"Support answers for alert #{self.alert_id}"
