"""Clients of the practice: their profile, care team and safety plan."""

from __future__ import annotations

from django.db import models
from django.utils import timezone as django_timezone


class ClientProfile(models.Model):
    """What the practice keeps about a client beyond their account (a User with role client)."""

    class Sex(models.TextChoices):
        FEMALE = "female", "Female"
        MALE = "male", "Male"

    user = models.OneToOneField(
        "accounts.User", on_delete=models.PROTECT, related_name="client_profile"
    )
    # The client's own timezone: schedules and due dates are reckoned in it.
    timezone = models.CharField(max_length=64, default="UTC")
    # Only for instruments with sex-specific cut-offs (AUDIT-C); blank when not recorded.
    sex_for_scoring = models.CharField(max_length=10, choices=Sex.choices, blank=True)
    # The clinicians whose caseload this client is on.
    clinicians = models.ManyToManyField("accounts.User", related_name="caseload", blank=True)
    created_at = models.DateTimeField(default=django_timezone.now)

    def __str__(self) -> str:
        return f"Client #{self.user_id}"


class SafetyPlan(models.Model):
    """A client's safety plan (Stanley-Brown), written with the client by the clinician. The
    practice configuration needs to know whether any is active, since the safety-plan module
    cannot be turned off while one is.

    Text sections are JSON lists of strings; the two contact sections are lists of
    {"name": ..., "phone": ...}. What the client adds on their own (coping strategies, reasons
    for living) is kept apart, so the clinician's edits never erase it."""

    client = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, related_name="safety_plans"
    )
    is_active = models.BooleanField(default=True)
    warning_signs = models.JSONField(default=list, blank=True)
    coping_strategies = models.JSONField(default=list, blank=True)
    distractions = models.JSONField(default=list, blank=True)  # people and places
    help_contacts = models.JSONField(default=list, blank=True)  # people to ask for help
    professionals = models.JSONField(default=list, blank=True)  # professionals and agencies
    environment_safety = models.JSONField(default=list, blank=True)
    reasons_for_living = models.JSONField(default=list, blank=True)
    client_coping_strategies = models.JSONField(default=list, blank=True)
    client_reasons_for_living = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(default=django_timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Safety plan #{self.pk}"
