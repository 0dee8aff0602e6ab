"""Appointments: the practice's booking rules, clinicians' weekly availability (in their own
timezone) with exceptions, appointment types, appointments, and questionnaires tied to sessions.

Double booking is decided by the database, not by a check before the insert: two exclusion
constraints refuse an active appointment whose time overlaps another active one of the same
clinician, or of the same client. Equality of the person is written as the overlap of a
one-value range (`int8range(id, id, '[]')`), which GiST indexes natively, so no extension
(btree_gist) is needed: the embedded PostgreSQL used by `make test` ships none.
"""

from __future__ import annotations

from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.fields import (
    BigIntegerRangeField,
    DateTimeRangeField,
    RangeOperators,
)
from django.db import models
from django.db.models import F, Func, Q, Value
from django.utils import timezone

from practice.labels import client_label

DEFAULT_TIMEZONE = "America/New_York"


def default_reminder_offsets() -> list[int]:
    """Minutes before the start: a day and an hour."""
    return [24 * 60, 60]


class BookingSettings(models.Model):
    """The practice's booking rules (one row per practice schema), set by the owner."""

    singleton = models.BooleanField(default=True, unique=True)
    online_booking_enabled = models.BooleanField(default=False)
    # Clients book online no sooner than this before the start.
    minimum_notice_hours = models.PositiveSmallIntegerField(default=24)
    # Clients cancel online up to this before the start; later, staff record a late cancellation.
    cancellation_cutoff_hours = models.PositiveSmallIntegerField(default=24)
    # How far ahead clients may book online.
    booking_horizon_days = models.PositiveSmallIntegerField(default=60)
    reminder_offsets_minutes = models.JSONField(default=default_reminder_offsets, blank=True)
    # The practice's own timezone: a clinician's calendar starts in it.
    timezone = models.CharField(max_length=64, default=DEFAULT_TIMEZONE)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return "Booking settings"


class ClinicianCalendar(models.Model):
    """A clinician's timezone (their availability is reckoned in it) and calendar feed."""

    clinician = models.OneToOneField("accounts.User", on_delete=models.PROTECT,
                                     related_name="booking_calendar")
    timezone = models.CharField(max_length=64, default=DEFAULT_TIMEZONE)
    # SHA-256 of the feed's secret token: the database alone cannot read anyone's calendar.
    feed_token_hash = models.CharField(max_length=64, blank=True)
    feed_created_at = models.DateTimeField(null=True, blank=True)
    # Clients appear by initials unless the clinician chooses full names.
    feed_full_names = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["feed_token_hash"], condition=~Q(feed_token_hash=""),
                                    name="calendar_feed_token_unique"),
        ]

    def __str__(self) -> str:
        return f"Calendar of #{self.clinician_id}"


class Weekday(models.IntegerChoices):
    MONDAY = 0, "Monday"
    TUESDAY = 1, "Tuesday"
    WEDNESDAY = 2, "Wednesday"
    THURSDAY = 3, "Thursday"
    FRIDAY = 4, "Friday"
    SATURDAY = 5, "Saturday"
    SUNDAY = 6, "Sunday"


class WeeklyAvailability(models.Model):
    """Hours a clinician is bookable every week, in their calendar's timezone."""

    clinician = models.ForeignKey("accounts.User", on_delete=models.PROTECT,
                                  related_name="weekly_availability")
    weekday = models.PositiveSmallIntegerField(choices=Weekday.choices)
    starts_at = models.TimeField()
    ends_at = models.TimeField()

    class Meta:
        ordering = ["clinician", "weekday", "starts_at"]
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")),
                                   name="weekly_availability_ends_after_start"),
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.starts_at}-{self.ends_at}"


class AvailabilityException(models.Model):
    """One date that differs from the week: time off (all day, or some hours) or extra hours."""

    class Kind(models.TextChoices):
        OFF = "off", "Time off"
        EXTRA = "extra", "Extra hours"

    clinician = models.ForeignKey("accounts.User", on_delete=models.PROTECT,
                                  related_name="availability_exceptions")
    date = models.DateField()
    kind = models.CharField(max_length=8, choices=Kind.choices)
    # Both empty: the whole day (time off only).
    starts_at = models.TimeField(null=True, blank=True)
    ends_at = models.TimeField(null=True, blank=True)
    note = models.CharField(max_length=120, blank=True)
    created_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["date", "starts_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(kind="off", starts_at__isnull=True, ends_at__isnull=True)
                           | Q(starts_at__isnull=False, ends_at__isnull=False,
                               ends_at__gt=F("starts_at"))),
                name="availability_exception_times"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} on {self.date}"

    @property
    def is_all_day(self) -> bool:
        return self.starts_at is None


class AppointmentType(models.Model):
    class Mode(models.TextChoices):
        IN_PERSON = "in_person", "In person"
        VIDEO = "video", "Video"

    name = models.CharField(max_length=100)
    # What Spanish-speaking clients read instead of `name` (blank: they read `name`).
    name_es = models.CharField(max_length=100, blank=True, default="")
    duration_minutes = models.PositiveSmallIntegerField()
    mode = models.CharField(max_length=10, choices=Mode.choices, default=Mode.IN_PERSON)
    # Where video sessions of this type are joined (copied onto each appointment when booked).
    video_link = models.URLField(max_length=500, blank=True)
    is_bookable_online = models.BooleanField(default=True)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(duration_minutes__gte=5, duration_minutes__lte=480),
                                   name="appointment_type_duration"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def client_name(self) -> str:
        """The name in the language of the page being rendered (practice.labels)."""
        return client_label(self.name, self.name_es)


# Appointments that hold their time: a cancelled one frees it.
ACTIVE_STATUSES = ("booked", "completed", "no_show")


def _blocks_time() -> Q:
    """The statuses that hold a time, as equalities joined by OR: PostgreSQL prints an IN list
    over a varchar column differently once re-parsed, and a cloned practice schema must carry
    the constraint exactly as the template has it."""
    condition = Q()
    for status in ACTIVE_STATUSES:
        condition |= Q(status=status)
    return condition


def _person(field: str) -> Func:
    return Func(F(field), F(field), Value("[]"), function="int8range",
                output_field=BigIntegerRangeField())


def _period() -> Func:
    return Func(F("starts_at"), F("ends_at"), Value("[)"), function="tstzrange",
                output_field=DateTimeRangeField())


class Appointment(models.Model):
    class Status(models.TextChoices):
        BOOKED = "booked", "Booked"
        CANCELLED = "cancelled", "Cancelled"
        LATE_CANCELLED = "late_cancelled", "Late cancellation"
        NO_SHOW = "no_show", "No-show"
        COMPLETED = "completed", "Completed"

    client = models.ForeignKey("accounts.User", on_delete=models.PROTECT,
                               related_name="appointments")
    clinician = models.ForeignKey("accounts.User", on_delete=models.PROTECT,
                                  related_name="clinician_appointments")
    appointment_type = models.ForeignKey(AppointmentType, on_delete=models.PROTECT,
                                         related_name="appointments")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    # Copied from the type when booked: a later change of the type changes no booked session.
    mode = models.CharField(max_length=10, choices=AppointmentType.Mode.choices)
    video_link = models.URLField(max_length=500, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.BOOKED)
    # Raised at every reschedule: a reminder written for an earlier time is then stale.
    schedule_version = models.PositiveIntegerField(default=1)
    booked_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancelled_by = models.ForeignKey("accounts.User", null=True, blank=True,
                                     on_delete=models.PROTECT, related_name="+")
    cancellation_reason = models.CharField(max_length=300, blank=True)
    # When it was marked completed or a no-show.
    outcome_recorded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["starts_at", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")),
                                   name="appointment_ends_after_start"),
            ExclusionConstraint(
                name="appointment_clinician_no_overlap",
                index_type="gist",
                expressions=[(_person("clinician"), RangeOperators.OVERLAPS),
                             (_period(), RangeOperators.OVERLAPS)],
                condition=_blocks_time(),
            ),
            ExclusionConstraint(
                name="appointment_client_no_overlap",
                index_type="gist",
                expressions=[(_person("client"), RangeOperators.OVERLAPS),
                             (_period(), RangeOperators.OVERLAPS)],
                condition=_blocks_time(),
            ),
        ]
        indexes = [
            models.Index(fields=["client", "starts_at"], name="appointment_client_time"),
            models.Index(fields=["status", "starts_at"], name="appointment_status_time"),
        ]

    def __str__(self) -> str:
        return f"Appointment #{self.pk} ({self.status})"

    @property
    def is_video(self) -> bool:
        return self.mode == AppointmentType.Mode.VIDEO

    @property
    def is_booked(self) -> bool:
        return self.status == self.Status.BOOKED


class SessionQuestionnaire(models.Model):
    """"PHQ-9 before every session": for each booked session of the client, a questionnaire
    due `hours_before` the start. Each occurrence is a measurement Response (so the portal,
    scoring and alerts treat it like any other), opened a little before it is due and removed
    when the session is cancelled."""

    client = models.ForeignKey("accounts.User", on_delete=models.PROTECT,
                               related_name="session_questionnaires")
    instrument_key = models.CharField(max_length=64)
    hours_before = models.PositiveSmallIntegerField(default=24)
    created_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Before each session: {self.instrument_key}"

    @property
    def is_active(self) -> bool:
        return self.ended_at is None


class SessionResponse(models.Model):
    """The occurrence of a session questionnaire for one appointment."""

    appointment = models.ForeignKey(Appointment, on_delete=models.PROTECT,
                                    related_name="session_responses")
    questionnaire = models.ForeignKey(SessionQuestionnaire, on_delete=models.PROTECT,
                                      related_name="occurrences")
    response = models.OneToOneField("practice.Response", on_delete=models.CASCADE,
                                    related_name="session_link")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["appointment", "questionnaire"],
                                    name="one_session_response_per_appointment"),
        ]

    def __str__(self) -> str:
        return f"Session response #{self.pk}"
