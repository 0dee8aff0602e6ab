"""Measurement-based care: practice-defined instruments, assignments, responses with their pinned
scores, and the alerts they raise."""

from __future__ import annotations

import pgtrigger
from django.db import models
from django.utils import timezone

from practice.stamps import client_stamp_triggers, practice_stamp_trigger


class PracticeInstrument(models.Model):
    """One version of a practice-defined instrument (same definition format as the shipped ones).

    A published version never changes: editing it creates the next version."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        PUBLISHED = "published", "Published"
        RETIRED = "retired", "Retired"

    key = models.CharField(max_length=64)
    version = models.PositiveIntegerField()
    title = models.CharField(max_length=200)
    definition = models.JSONField()
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.DRAFT)
    created_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    published_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["key", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["key", "version"], name="practice_instrument_version"),
        ]
        triggers = [
            pgtrigger.Protect(
                name="published_definition_is_frozen",
                operation=pgtrigger.Update,
                condition=pgtrigger.Q(old__status="published")
                & (pgtrigger.Q(old__definition__df=pgtrigger.F("new__definition"))
                   | pgtrigger.Q(old__key__df=pgtrigger.F("new__key"))
                   | pgtrigger.Q(old__version__df=pgtrigger.F("new__version"))),
            ),
            # A definition is read by every client's headlines (practice.stamps).
            practice_stamp_trigger(),
        ]

    def __str__(self) -> str:
        return f"{self.key} v{self.version}"


class Assignment(models.Model):
    """An instrument assigned to a client, once (with a due date) or on a schedule."""

    class Frequency(models.TextChoices):
        ONCE = "once", "Once"
        DAILY = "daily", "Daily"
        WEEKLY = "weekly", "Weekly"
        BIWEEKLY = "biweekly", "Every two weeks"
        MONTHLY = "monthly", "Monthly"

    client = models.ForeignKey("accounts.User", on_delete=models.PROTECT,
                               related_name="assignments")
    instrument_key = models.CharField(max_length=64)
    frequency = models.CharField(max_length=10, choices=Frequency.choices)
    # Dates are the client's local calendar dates; an occurrence is due at the end of its day
    # in the client's timezone.
    starts_on = models.DateField()
    ends_on = models.DateField(null=True, blank=True)
    assigned_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Assignment #{self.pk} ({self.instrument_key}, {self.frequency})"

    @property
    def is_active(self) -> bool:
        return self.ended_at is None


class Response(models.Model):
    """One completion of an instrument: due, in progress, or submitted (then immutable).

    The score is computed once, at submission, and pinned with the definition version and the
    scorer that produced it, so every historical score can be explained."""

    class Status(models.TextChoices):
        PENDING = "pending", "Due"
        IN_PROGRESS = "in_progress", "In progress"
        SUBMITTED = "submitted", "Submitted"
        MISSED = "missed", "Missed"

    client = models.ForeignKey("accounts.User", on_delete=models.PROTECT,
                               related_name="responses")
    assignment = models.ForeignKey(Assignment, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="responses")
    instrument_key = models.CharField(max_length=64)
    definition_version = models.PositiveIntegerField(null=True, blank=True)
    occurrence_date = models.DateField(null=True, blank=True)
    due_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PENDING)
    answers = models.JSONField(default=dict, blank=True)
    note = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True, db_index=True)
    # The pinned score (set once, at submission).
    scorer = models.CharField(max_length=40, blank=True)
    scorer_version = models.CharField(max_length=20, blank=True)
    is_scored = models.BooleanField(default=False)
    total = models.DecimalField(max_digits=8, decimal_places=2, null=True, blank=True)
    band_key = models.CharField(max_length=40, blank=True)
    band_label = models.CharField(max_length=120, blank=True)
    subscales = models.JSONField(default=dict, blank=True)
    subscale_bands = models.JSONField(default=dict, blank=True)
    flags = models.JSONField(default=list, blank=True)
    # The instrument's advisories that fired ("administer a depression inventory"), as scored:
    # shown wherever the score is shown.
    advisories = models.JSONField(default=list, blank=True)
    missing_items = models.JSONField(default=list, blank=True)
    prorated = models.BooleanField(default=False)
    # A clinician can mark a response entered in error: out of charts, never deleted.
    entered_in_error_at = models.DateTimeField(null=True, blank=True)
    entered_in_error_by = models.ForeignKey("accounts.User", null=True, blank=True,
                                            on_delete=models.PROTECT, related_name="+")
    entered_in_error_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-submitted_at", "-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["assignment", "occurrence_date"],
                                    name="one_response_per_occurrence"),
        ]
        indexes = [
            models.Index(fields=["client", "instrument_key", "submitted_at"],
                         name="response_history"),
            # The missed occurrences of an assignment, counted on the client's page: a few
            # rows, where the assignment's foreign key index reads years of daily answers.
            models.Index(fields=["assignment"], condition=models.Q(status="missed"),
                         name="response_missed"),
            # The open ones (Today's overdue measures, the portal's due list): a few per client,
            # where the whole history would be scanned. OR, not IN: PostgreSQL prints an IN back
            # in a form that differs once a practice's schema is cloned.
            models.Index(fields=["client", "due_at"],
                         condition=models.Q(status="pending") | models.Q(status="in_progress"),
                         name="response_open"),
        ]
        triggers = [
            # Nothing of a submitted response changes but its entered-in-error marking, and it
            # is never deleted: the database refuses, whoever asks.
            pgtrigger.Protect(
                name="submitted_response_is_immutable",
                operation=pgtrigger.Update,
                condition=pgtrigger.Q(old__status="submitted")
                & (pgtrigger.Q(old__answers__df=pgtrigger.F("new__answers"))
                   | pgtrigger.Q(old__status__df=pgtrigger.F("new__status"))
                   | pgtrigger.Q(old__total__df=pgtrigger.F("new__total"))
                   | pgtrigger.Q(old__band_key__df=pgtrigger.F("new__band_key"))
                   | pgtrigger.Q(old__flags__df=pgtrigger.F("new__flags"))
                   | pgtrigger.Q(old__advisories__df=pgtrigger.F("new__advisories"))
                   | pgtrigger.Q(old__subscales__df=pgtrigger.F("new__subscales"))
                   | pgtrigger.Q(old__submitted_at__df=pgtrigger.F("new__submitted_at"))
                   | pgtrigger.Q(old__client_id__df=pgtrigger.F("new__client_id"))
                   | pgtrigger.Q(old__instrument_key__df=pgtrigger.F("new__instrument_key"))
                   | pgtrigger.Q(old__definition_version__df=pgtrigger.F(
                       "new__definition_version"))
                   | pgtrigger.Q(old__note__df=pgtrigger.F("new__note"))),
            ),
            pgtrigger.Protect(
                name="submitted_response_is_kept",
                operation=pgtrigger.Delete,
                condition=pgtrigger.Q(old__status="submitted"),
            ),
            # Any write gives the client a new reading stamp (practice.stamps).
            *client_stamp_triggers(),
        ]

    def __str__(self) -> str:
        return f"Response #{self.pk} ({self.instrument_key})"

    @property
    def is_entered_in_error(self) -> bool:
        return self.entered_in_error_at is not None


class Alert(models.Model):
    """Something a clinician must see: a risk answer, a request for urgent contact, a client
    drifting away. Risk alerts are created at once, never batched."""

    class Kind(models.TextChoices):
        RISK_ITEM = "risk_item", "Risk answer"
        RISK_UNKNOWN = "risk_unknown", "Risk item skipped"
        URGENT_CONTACT = "urgent_contact", "Asked to be contacted urgently"
        RELIABLE_DETERIORATION = "reliable_deterioration", "Reliable deterioration"
        # Engagement rules (practice.engagement.rules): routine, each with its own threshold.
        MOOD_DECLINE = "mood_decline", "Mood lower check-in after check-in"
        MISSED_CHECKINS = "missed_checkins", "Missed check-ins"
        JOURNAL_SILENCE = "journal_silence", "No journal entries"
        NO_SIGN_IN = "no_sign_in", "Not signed in"
        OVERDUE_ASSESSMENTS = "overdue_assessments", "Overdue assessments"
        OVERDUE_HOMEWORK = "overdue_homework", "Overdue homework"
        # Caregiver-reported measures (practice.family): the caregiver's report flagged, and
        # the caregiver's and the client's reports far apart.
        CAREGIVER_REPORT = "caregiver_report", "Caregiver report flagged"
        INFORMANT_DISAGREEMENT = "informant_disagreement", "Informants disagree"
        # Scores beyond the expected path on the worse side (practice.expected).
        NOT_ON_TRACK = "not_on_track", "Not on track"

    class Severity(models.TextChoices):
        URGENT = "urgent", "Urgent"
        ROUTINE = "routine", "Routine"

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        ACKNOWLEDGED = "acknowledged", "Acknowledged"
        RESOLVED = "resolved", "Resolved"

    client = models.ForeignKey("accounts.User", on_delete=models.PROTECT,
                               related_name="alerts_about")
    kind = models.CharField(max_length=32, choices=Kind.choices)
    severity = models.CharField(max_length=10, choices=Severity.choices)
    status = models.CharField(max_length=14, choices=Status.choices, default=Status.OPEN)
    response = models.ForeignKey(Response, null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="alerts")
    # A short, factual line for the inbox ("PHQ-9 item 9 answered 2"); the client's words
    # never go here.
    summary = models.CharField(max_length=200)
    recipients = models.ManyToManyField("accounts.User", related_name="alerts", blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey("accounts.User", null=True, blank=True,
                                        on_delete=models.PROTECT, related_name="+")
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey("accounts.User", null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="+")
    resolution_note = models.TextField(blank=True)
    snoozed_until = models.DateTimeField(null=True, blank=True)
    # The same ongoing condition raises one alert (engagement rules use this): at most one alert
    # per key whose condition has not cleared (the database decides, see Meta). When the rule
    # finds the condition gone, `condition_cleared_at` is set, and the next occurrence of the
    # condition raises a new alert.
    dedupe_key = models.CharField(max_length=120, blank=True, db_index=True)
    condition_cleared_at = models.DateTimeField(null=True, blank=True)
    # What produced the alert, for the rules that say (not on track: the expected path's model
    # version and parameters, the weeks and the band at the latest score). Numbers and keys only.
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["dedupe_key"],
                condition=models.Q(condition_cleared_at__isnull=True) & ~models.Q(dedupe_key=""),
                name="alert_one_per_ongoing_condition",
            ),
        ]

    def __str__(self) -> str:
        return f"Alert #{self.pk} ({self.kind})"
