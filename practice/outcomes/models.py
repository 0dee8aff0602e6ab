"""Episodes of care, and the practice-wide export jobs.

An episode is one stretch of a client's treatment: from its start to its end (with a reason),
with the clinician responsible and the instruments tracked. Everything the outcome reports count
is counted per episode: the baseline of an instrument is its first scored response inside the
episode's window, the final (or, while open, latest) its last one. A client has at most one open
episode (the database refuses a second)."""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from practice.stamps import client_stamp_triggers


class Episode(models.Model):
    class EndReason(models.TextChoices):
        COMPLETED = "completed", "Completed"
        DROPPED_OUT = "dropped_out", "Dropped out"
        REFERRED_ON = "referred_on", "Referred on"
        MOVED = "moved", "Moved"
        OTHER = "other", "Other"

    client = models.ForeignKey("accounts.User", on_delete=models.PROTECT,
                               related_name="episodes")
    # The clinician responsible for this episode (None: not yet allocated).
    clinician = models.ForeignKey("accounts.User", null=True, blank=True,
                                  on_delete=models.PROTECT, related_name="episodes_led")
    started_at = models.DateTimeField(default=timezone.now, db_index=True)
    ended_at = models.DateTimeField(null=True, blank=True, db_index=True)
    end_reason = models.CharField(max_length=12, choices=EndReason.choices, blank=True)
    end_note = models.CharField(max_length=300, blank=True)
    # Instrument keys tracked in this episode (what the reports look at first; responses to
    # other instruments in the window count as well).
    instrument_keys = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey("accounts.User", null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    ended_by = models.ForeignKey("accounts.User", null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["-started_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["client"], condition=models.Q(ended_at__isnull=True),
                                    name="episode_one_open_per_client"),
            models.CheckConstraint(
                condition=(models.Q(ended_at__isnull=True, end_reason="")
                           | (models.Q(ended_at__isnull=False) & ~models.Q(end_reason=""))),
                name="episode_end_has_reason"),
            models.CheckConstraint(
                condition=models.Q(ended_at__isnull=True)
                | models.Q(ended_at__gte=models.F("started_at")),
                name="episode_ends_after_start"),
        ]
        indexes = [models.Index(fields=["client", "started_at"], name="episode_client_start")]
        # The episode is the window of every headline and path (practice.stamps).
        triggers = client_stamp_triggers()

    def __str__(self) -> str:
        return f"Episode #{self.pk}"

    @property
    def is_open(self) -> bool:
        return self.ended_at is None


class PracticeExport(models.Model):
    """One whole-practice export the owner asked for: built in the background into one zip in
    the practice's own storage (``exports/``, under the practice's prefix), downloadable through
    the permission check for 24 hours, then deleted. At most one is being built at a time (the
    database refuses a second)."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Waiting to start"
        RUNNING = "running", "Being prepared"
        READY = "ready", "Ready to download"
        FAILED = "failed", "Failed"
        EXPIRED = "expired", "Expired"

    requested_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT,
                                     related_name="+")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    progress = models.PositiveSmallIntegerField(default=0)  # percent
    step = models.CharField(max_length=120, blank=True)  # what it is doing, no PHI
    file = models.CharField(max_length=300, blank=True)  # storage path of the zip
    size_bytes = models.BigIntegerField(null=True, blank=True)
    counts = models.JSONField(default=dict, blank=True)  # rows per kind of record
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    error = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["status"],
                                    # OR, not IN: PostgreSQL prints an IN back in a form
                                    # that differs once a practice's schema is cloned
                                    condition=(models.Q(status="queued")
                                               | models.Q(status="running")),
                                    name="practice_export_one_at_a_time"),
        ]

    def __str__(self) -> str:
        return f"Practice export #{self.pk} ({self.status})"

    @property
    def is_in_progress(self) -> bool:
        return self.status in (self.Status.QUEUED, self.Status.RUNNING)


class ReadingStamp(models.Model):
    """A client's reading stamp: a new random value whenever their responses, episodes or
    appointments change; row 0 (practice.stamps.PRACTICE_ROW) is the practice's own inputs.
    Written only by the database's triggers (practice.stamps), read by practice.today.readings.
    No foreign key: a client's rows and their stamp are written by triggers in any order."""

    client_id = models.BigIntegerField(primary_key=True)
    stamp = models.UUIDField()

    def __str__(self) -> str:
        return f"Reading stamp of #{self.client_id}"
