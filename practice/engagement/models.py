"""Engagement alert rules as the practice set them, and journaling assigned to a client.

A rule without a row here runs with its defaults (practice.engagement.rules)."""

from __future__ import annotations

from django.db import models
from django.utils import timezone


class RuleSetting(models.Model):
    """The practice's choice for one rule: on or off, and its threshold."""

    rule_key = models.CharField(max_length=40, unique=True)
    is_enabled = models.BooleanField(default=True)
    threshold = models.PositiveSmallIntegerField()
    updated_by = models.ForeignKey("accounts.User", null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["rule_key"]

    def __str__(self) -> str:
        return f"Rule {self.rule_key}"


class JournalingAssignment(models.Model):
    """A clinician asked the client to keep a journal. The journal-silence rule watches only
    these clients: a client who merely can see the journal is not expected to write in it.

    One row per client; ending it sets `ended_at`, assigning again starts it afresh."""

    client = models.OneToOneField("accounts.User", on_delete=models.PROTECT,
                                  related_name="journaling_assignment")
    assigned_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    assigned_at = models.DateTimeField(default=timezone.now)
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-assigned_at"]

    def __str__(self) -> str:
        return f"Journaling for client #{self.client_id}"

    @property
    def is_active(self) -> bool:
        return self.ended_at is None
