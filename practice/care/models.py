"""Care between sessions: treatment goals with their progress history, homework and its
completions, the client's journal, the practice's resource library and each client's set.

History is append-only where it is history: progress entries and homework completions are new
rows, never an update of an old one."""

from __future__ import annotations

from django.db import models
from django.utils import timezone


class Goal(models.Model):
    """A treatment goal the clinician writes with the client, with an optional measurable
    target ("walk 3 times a week": target 3, unit "walks a week")."""

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        ACHIEVED = "achieved", "Achieved"
        STOPPED = "stopped", "No longer working on it"

    client = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="goals")
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    target_value = models.DecimalField(max_digits=9, decimal_places=2, null=True, blank=True)
    target_unit = models.CharField(max_length=60, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    created_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"Goal #{self.pk}"


class GoalMilestone(models.Model):
    goal = models.ForeignKey(Goal, on_delete=models.CASCADE, related_name="milestones")
    text = models.CharField(max_length=200)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "pk"]

    def __str__(self) -> str:
        return f"Milestone #{self.pk}"


class GoalProgress(models.Model):
    """One progress entry (by the client or a clinician); entries are never overwritten."""

    goal = models.ForeignKey(Goal, on_delete=models.PROTECT, related_name="progress_entries")
    author = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    value = models.DecimalField(max_digits=9, decimal_places=2, null=True, blank=True)
    note = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"Progress #{self.pk}"


class Resource(models.Model):
    """An item of the practice-wide library: a link, a text, or a file (kept in the practice's
    own file storage)."""

    class Kind(models.TextChoices):
        LINK = "link", "Link"
        TEXT = "text", "Text"
        FILE = "file", "File"

    kind = models.CharField(max_length=4, choices=Kind.choices)
    title = models.CharField(max_length=200)
    description = models.CharField(max_length=500, blank=True)
    url = models.URLField(max_length=500, blank=True)
    body = models.TextField(blank=True)
    file = models.FileField(upload_to="resources/", blank=True)
    is_archived = models.BooleanField(default=False)
    created_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["title", "pk"]

    def __str__(self) -> str:
        return f"Resource #{self.pk}"


class ClientResource(models.Model):
    """A resource the clinician put in a client's set."""

    client = models.ForeignKey("accounts.User", on_delete=models.PROTECT,
                               related_name="shared_resources")
    resource = models.ForeignKey(Resource, on_delete=models.PROTECT, related_name="shares")
    shared_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    shared_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-shared_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["client", "resource"], name="client_resource_once"),
        ]

    def __str__(self) -> str:
        return f"Shared resource #{self.pk}"


class Homework(models.Model):
    """A task between sessions, due on a date, optionally repeating every week from it."""

    client = models.ForeignKey("accounts.User", on_delete=models.PROTECT,
                               related_name="homework")
    instructions = models.TextField()
    resource = models.ForeignKey(Resource, on_delete=models.PROTECT, null=True, blank=True,
                                 related_name="+")
    due_on = models.DateField()
    repeats_weekly = models.BooleanField(default=False)
    is_active = models.BooleanField(default=True)
    created_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["due_on", "pk"]

    def __str__(self) -> str:
        return f"Homework #{self.pk}"


class HomeworkCompletion(models.Model):
    """The client did one occurrence (`due_on`) of a homework, with a reflection."""

    homework = models.ForeignKey(Homework, on_delete=models.PROTECT, related_name="completions")
    due_on = models.DateField()
    reflection = models.TextField(blank=True)
    completed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["due_on", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["homework", "due_on"],
                                    name="homework_occurrence_done_once"),
        ]

    def __str__(self) -> str:
        return f"Completion #{self.pk}"


class JournalEntry(models.Model):
    """A journal entry. A private one (is_shared False) is the client's alone: the practice
    learns only that it exists and when it was written."""

    client = models.ForeignKey("accounts.User", on_delete=models.PROTECT,
                               related_name="journal_entries")
    body = models.TextField()
    is_shared = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            # The client's latest entry (the silent-journal rule asks it of every client).
            models.Index(fields=["client", "created_at"], name="journal_entry_latest"),
        ]

    def __str__(self) -> str:
        return f"Journal entry #{self.pk}"
