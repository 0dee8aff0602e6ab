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
from practice.stamps import client_stamp_triggers

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
    # The grid free times are offered on (minutes): 5, 10, 15, 30 or 60.
    slot_step_minutes = models.PositiveSmallIntegerField(default=30)
    # Clients move a booked session themselves, up to the cancellation cut-off.
    client_reschedule_enabled = models.BooleanField(default=True)
    # A freed time is offered to this many people on the waitlist at once.
    waitlist_offers_at_once = models.PositiveSmallIntegerField(default=3)
    # An offer not accepted within this many hours lapses (the next people are asked).
    waitlist_offer_hours = models.PositiveSmallIntegerField(default=12)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=(Q(slot_step_minutes=5) | Q(slot_step_minutes=10)
                           | Q(slot_step_minutes=15) | Q(slot_step_minutes=30)
                           | Q(slot_step_minutes=60)),
                name="booking_settings_slot_step"),
        ]

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

    class Audience(models.TextChoices):
        ALL = "all", "Every client"
        EXISTING = "existing", "Existing clients only (at least one session held)"
        APPROVED = "approved", "Clients a clinician has approved"

    name = models.CharField(max_length=100)
    # What Spanish-speaking clients read instead of `name` (blank: they read `name`).
    name_es = models.CharField(max_length=100, blank=True, default="")
    duration_minutes = models.PositiveSmallIntegerField()
    mode = models.CharField(max_length=10, choices=Mode.choices, default=Mode.IN_PERSON)
    # Where video sessions of this type are joined (copied onto each appointment when booked).
    video_link = models.URLField(max_length=500, blank=True)
    is_bookable_online = models.BooleanField(default=True)
    # Booking rules of this type when clients book online.
    online_audience = models.CharField(max_length=10, choices=Audience.choices,
                                       default=Audience.ALL)
    same_day_allowed = models.BooleanField(default=True)
    # At most this many sessions of the type per clinician per local day / week (0: no cap).
    daily_cap = models.PositiveSmallIntegerField(default=0)
    weekly_cap = models.PositiveSmallIntegerField(default=0)
    # Free time kept before and after each session of the clinician when clients book online.
    buffer_minutes = models.PositiveSmallIntegerField(default=0)
    # A first session (intake): offered online only to clients who have had no session yet.
    is_intake = models.BooleanField(default=False)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(duration_minutes__gte=5, duration_minutes__lte=480),
                                   name="appointment_type_duration"),
            models.CheckConstraint(condition=Q(buffer_minutes__lte=120),
                                   name="appointment_type_buffer"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def client_name(self) -> str:
        """The name in the language of the page being rendered (practice.labels)."""
        return client_label(self.name, self.name_es)


class OnlineBookingApproval(models.Model):
    """A clinician approved this client to book types open to approved clients only."""

    client = models.OneToOneField("accounts.User", on_delete=models.PROTECT,
                                  related_name="online_booking_approval")
    approved_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    approved_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"Approved to book online: #{self.client_id}"


class AppointmentSeries(models.Model):
    """A recurring booking: the same local time every week, every two weeks, or on the same
    weekday of each month (the 2nd Tuesday; a 5th weekday means the month's last). Ends after
    `occurrences`, or on `until`, or never: an open-ended series is booked a rolling horizon
    ahead (`booked_through`), extended by the scheduler. Each occurrence is an ordinary
    Appointment (so both exclusion constraints, reminders and questionnaires apply to it)."""

    class Frequency(models.TextChoices):
        WEEKLY = "weekly", "Every week"
        FORTNIGHTLY = "fortnightly", "Every two weeks"
        MONTHLY = "monthly", "Every month, same weekday"

    client = models.ForeignKey("accounts.User", on_delete=models.PROTECT,
                               related_name="appointment_series")
    clinician = models.ForeignKey("accounts.User", on_delete=models.PROTECT,
                                  related_name="clinician_series")
    appointment_type = models.ForeignKey(AppointmentType, on_delete=models.PROTECT,
                                         related_name="series")
    frequency = models.CharField(max_length=12, choices=Frequency.choices)
    # The first occurrence's local date and the wall-clock time of every occurrence, in
    # `timezone_name`: a 10:00 series stays at 10:00 there when the clocks change.
    first_date = models.DateField()
    local_time = models.TimeField()
    timezone_name = models.CharField(max_length=64)
    occurrences = models.PositiveSmallIntegerField(null=True, blank=True)
    until = models.DateField(null=True, blank=True)
    # Open-ended: occurrences are booked up to this local date.
    booked_through = models.DateField(null=True, blank=True)
    video_link = models.URLField(max_length=500, blank=True)
    created_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    # Cancelled (or cut short): nothing more is booked.
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(occurrences__isnull=True) | Q(until__isnull=True),
                name="series_count_or_until"),
        ]

    def __str__(self) -> str:
        return f"Series #{self.pk} ({self.frequency})"

    @property
    def is_open_ended(self) -> bool:
        return self.occurrences is None and self.until is None


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
    # An occurrence of a series keeps the local date it was generated for, even when moved:
    # its place in the series (and what the open-ended extension does not book twice).
    series = models.ForeignKey(AppointmentSeries, null=True, blank=True,
                               on_delete=models.PROTECT, related_name="appointments")
    series_date = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["starts_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["series", "series_date"],
                                    name="one_occurrence_per_series_date"),
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
            models.Index(fields=["clinician", "starts_at"], name="appointment_clinician_time"),
            models.Index(fields=["client", "starts_at"], name="appointment_client_time"),
            models.Index(fields=["status", "starts_at"], name="appointment_status_time"),
        ]
        # Sessions held set the time scale of the client's expected path (practice.stamps).
        triggers = client_stamp_triggers()

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


class WaitlistEntry(models.Model):
    """A client waiting for an earlier or a better time with a clinician: the weekdays and the
    local hours (clinician's timezone) they could come. Added by the client or by staff."""

    class Status(models.TextChoices):
        WAITING = "waiting", "Waiting"
        BOOKED = "booked", "Booked from an offer"
        REMOVED = "removed", "Removed"

    client = models.ForeignKey("accounts.User", on_delete=models.PROTECT,
                               related_name="waitlist_entries")
    clinician = models.ForeignKey("accounts.User", on_delete=models.PROTECT,
                                  related_name="clinician_waitlist")
    appointment_type = models.ForeignKey(AppointmentType, on_delete=models.PROTECT,
                                         related_name="+")
    weekdays = models.JSONField(default=list)  # 0 Monday .. 6 Sunday
    earliest_time = models.TimeField()
    latest_time = models.TimeField()  # the latest start
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.WAITING)
    created_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(latest_time__gte=F("earliest_time")),
                                   name="waitlist_times_in_order"),
        ]

    def __str__(self) -> str:
        return f"Waitlist #{self.pk} ({self.status})"

    @property
    def weekday_names(self) -> str:
        return ", ".join(Weekday(day).label[:3] for day in self.weekdays if day in range(7))


class SlotOffer(models.Model):
    """A freed time offered to the first matching people on the waitlist at once. Whoever
    accepts first gets it: acceptance locks this row, so there is exactly one winner."""

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        FILLED = "filled", "Filled from the waitlist"
        EXPIRED = "expired", "Expired"
        WITHDRAWN = "withdrawn", "Withdrawn (the time was taken)"

    clinician = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    source_appointment = models.ForeignKey(Appointment, null=True, blank=True,
                                           on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    booked_appointment = models.ForeignKey(Appointment, null=True, blank=True,
                                           on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["-created_at", "pk"]

    def __str__(self) -> str:
        return f"Slot offer #{self.pk} ({self.status})"


class WaitlistOffer(models.Model):
    """One person's offer of a freed time."""

    class Status(models.TextChoices):
        SENT = "sent", "Sent"
        ACCEPTED = "accepted", "Accepted"
        TAKEN = "taken", "Taken by someone else"
        EXPIRED = "expired", "Expired"
        DECLINED = "declined", "Declined"

    slot = models.ForeignKey(SlotOffer, on_delete=models.PROTECT, related_name="offers")
    entry = models.ForeignKey(WaitlistEntry, on_delete=models.PROTECT, related_name="offers")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.SENT)
    created_at = models.DateTimeField(default=timezone.now)
    responded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(fields=["slot", "entry"], name="one_offer_per_slot_entry"),
        ]

    def __str__(self) -> str:
        return f"Waitlist offer #{self.pk} ({self.status})"
