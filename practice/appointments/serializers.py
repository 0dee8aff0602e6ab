"""Serializers of the booking API: what each endpoint takes and answers (and what the OpenAPI
schema documents). Staff see who booked and why a session was cancelled; a client sees their
own sessions, without the staff's notes."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from practice.appointments.models import (
    Appointment,
    AppointmentSeries,
    AppointmentType,
    AvailabilityException,
    WaitlistEntry,
)
from practice.measurement.api.serializers import ClockTimeField


class AppointmentTypeSerializer(serializers.ModelSerializer):
    class Meta:
        model = AppointmentType
        fields = ["id", "name", "name_es", "duration_minutes", "mode", "is_bookable_online",
                  "online_audience", "same_day_allowed", "daily_cap", "weekly_cap",
                  "buffer_minutes", "is_intake", "is_active"]


class PersonSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    full_name = serializers.CharField()


class AppointmentSerializer(serializers.ModelSerializer):
    client = PersonSerializer()
    clinician = PersonSerializer()
    appointment_type = AppointmentTypeSerializer()

    class Meta:
        model = Appointment
        fields = ["id", "client", "clinician", "appointment_type", "starts_at", "ends_at",
                  "mode", "status", "schedule_version", "created_at", "cancelled_at",
                  "series_id", "series_date"]


class StaffAppointmentSerializer(AppointmentSerializer):
    booked_by = serializers.IntegerField(source="booked_by_id")
    cancelled_by = serializers.IntegerField(source="cancelled_by_id", allow_null=True)
    booked_online = serializers.SerializerMethodField()

    class Meta(AppointmentSerializer.Meta):
        fields = [*AppointmentSerializer.Meta.fields, "video_link", "booked_by", "booked_online",
                  "cancelled_by", "cancellation_reason", "outcome_recorded_at"]

    def get_booked_online(self, appointment: Appointment) -> bool:
        return appointment.booked_by_id == appointment.client_id


class AppointmentAsReadSerializer(AppointmentSerializer):
    """What the API documents for an appointment: a client gets the shared fields, staff also
    get the ones marked "staff only" (the schema only; answers use the two serializers above)."""

    video_link = serializers.CharField(required=False, allow_blank=True,
                                       help_text="Staff only: the link, or empty.")
    booked_by = serializers.IntegerField(required=False, help_text="Staff only.")
    booked_online = serializers.BooleanField(required=False, help_text="Staff only.")
    cancelled_by = serializers.IntegerField(required=False, allow_null=True,
                                            help_text="Staff only.")
    cancellation_reason = serializers.CharField(required=False, allow_blank=True,
                                                help_text="Staff only.")
    outcome_recorded_at = serializers.DateTimeField(required=False, allow_null=True,
                                                    help_text="Staff only.")

    class Meta(StaffAppointmentSerializer.Meta):
        pass


class BookRequestSerializer(serializers.Serializer):
    client_id = serializers.IntegerField(required=False,
                                         help_text="Staff only: the client to book for.")
    clinician_id = serializers.IntegerField()
    appointment_type_id = serializers.IntegerField()
    starts_at = serializers.DateTimeField(help_text="With its UTC offset.")
    video_link = serializers.URLField(required=False, allow_blank=True, max_length=500)


class CancelRequestSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, max_length=300)
    requested_by = serializers.ChoiceField(
        choices=["client", "practice"], required=False, default="client",
        help_text="Staff only. A client's request after the cut-off is a late cancellation.")


class OutcomeRequestSerializer(serializers.Serializer):
    outcome = serializers.ChoiceField(choices=["completed", "no_show"])


class RescheduleRequestSerializer(serializers.Serializer):
    starts_at = serializers.DateTimeField()


class SlotsSerializer(serializers.Serializer):
    clinician_id = serializers.IntegerField()
    appointment_type_id = serializers.IntegerField()
    timezone = serializers.CharField(help_text="The client's timezone (staff: the clinician's).")
    starts = serializers.ListField(child=serializers.DateTimeField())


class BookingSettingsSerializer(serializers.Serializer):
    online_booking_enabled = serializers.BooleanField()
    minimum_notice_hours = serializers.IntegerField(min_value=0, max_value=720)
    cancellation_cutoff_hours = serializers.IntegerField(min_value=0, max_value=336)
    booking_horizon_days = serializers.IntegerField(min_value=1, max_value=365)
    reminder_offsets_minutes = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=7 * 24 * 60), max_length=3)
    timezone = serializers.CharField(max_length=64)
    slot_step_minutes = serializers.ChoiceField(choices=[5, 10, 15, 30, 60], required=False,
                                                default=30)
    client_reschedule_enabled = serializers.BooleanField(required=False, default=True)
    waitlist_offers_at_once = serializers.IntegerField(min_value=1, max_value=10,
                                                       required=False, default=3)
    waitlist_offer_hours = serializers.IntegerField(min_value=1, max_value=72, required=False,
                                                    default=12)


class WindowSerializer(serializers.Serializer):
    weekday = serializers.IntegerField(min_value=0, max_value=6, help_text="0 is Monday.")
    starts_at = ClockTimeField()
    ends_at = ClockTimeField()


class ExceptionSerializer(serializers.ModelSerializer):
    class Meta:
        model = AvailabilityException
        fields = ["id", "date", "kind", "starts_at", "ends_at", "note"]


class AvailabilitySerializer(serializers.Serializer):
    timezone = serializers.CharField(max_length=64)
    weekly = WindowSerializer(many=True)
    exceptions = ExceptionSerializer(many=True, read_only=True)

    def to_windows(self) -> list[tuple[int, Any, Any]]:
        return [(row["weekday"], row["starts_at"], row["ends_at"])
                for row in self.validated_data["weekly"]]


# --- series ------------------------------------------------------------------------------------

class SeriesRequestSerializer(serializers.Serializer):
    client_id = serializers.IntegerField()
    clinician_id = serializers.IntegerField()
    appointment_type_id = serializers.IntegerField()
    frequency = serializers.ChoiceField(choices=["weekly", "fortnightly", "monthly"],
                                        help_text="monthly: the same weekday of each month "
                                                  "(the 2nd Tuesday; a 5th is the last).")
    first_date = serializers.DateField(help_text="Local date of the first session.")
    local_time = ClockTimeField(help_text="Wall-clock time in the clinician's timezone.")
    occurrences = serializers.IntegerField(required=False, allow_null=True, min_value=2,
                                           max_value=104)
    until = serializers.DateField(required=False, allow_null=True)
    book_the_rest = serializers.BooleanField(
        required=False, default=False,
        help_text="Book the dates that are free when some clash (else nothing is booked).")


class ClashSerializer(serializers.Serializer):
    date = serializers.DateField(source="day")
    reason = serializers.CharField()


class SeriesClashSerializer(serializers.Serializer):
    detail = serializers.CharField()
    clashes = ClashSerializer(many=True)
    free = serializers.IntegerField(help_text="How many dates could be booked.")


class SeriesSerializer(serializers.ModelSerializer):
    local_time = ClockTimeField()

    class Meta:
        model = AppointmentSeries
        fields = ["id", "client_id", "clinician_id", "appointment_type_id", "frequency",
                  "first_date", "local_time", "timezone_name", "occurrences", "until",
                  "booked_through", "ended_at"]


class SeriesBookedSerializer(serializers.Serializer):
    series = SeriesSerializer()
    appointments = serializers.ListField(child=serializers.IntegerField())
    skipped = ClashSerializer(many=True)


class SeriesChangeRequestSerializer(serializers.Serializer):
    scope = serializers.ChoiceField(choices=["one", "following", "all"])
    date = serializers.DateField(help_text="The new local date of this session; the others "
                                           "shift by as many days.")
    time = ClockTimeField(help_text="The new local time (clinician's timezone).")


class SeriesCancelRequestSerializer(serializers.Serializer):
    scope = serializers.ChoiceField(choices=["one", "following", "all"])
    requested_by = serializers.ChoiceField(choices=["client", "practice"], required=False,
                                           default="practice")


# --- waitlist ----------------------------------------------------------------------------------

class WaitlistEntrySerializer(serializers.ModelSerializer):
    earliest_time = ClockTimeField()
    latest_time = ClockTimeField()

    class Meta:
        model = WaitlistEntry
        fields = ["id", "client_id", "clinician_id", "appointment_type_id", "weekdays",
                  "earliest_time", "latest_time", "status", "created_at"]


class WaitlistRequestSerializer(serializers.Serializer):
    client_id = serializers.IntegerField(required=False, help_text="Staff only.")
    clinician_id = serializers.IntegerField()
    appointment_type_id = serializers.IntegerField()
    weekdays = serializers.ListField(child=serializers.IntegerField(min_value=0, max_value=6),
                                     min_length=1, max_length=7, help_text="0 is Monday.")
    earliest_time = ClockTimeField()
    latest_time = ClockTimeField(help_text="The latest start.")


class OfferSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    starts_at = serializers.DateTimeField(source="slot.starts_at")
    ends_at = serializers.DateTimeField(source="slot.ends_at")
    clinician = PersonSerializer(source="slot.clinician")
    expires_at = serializers.DateTimeField(source="slot.expires_at")
    status = serializers.CharField()


class OfferStatsSerializer(serializers.Serializer):
    made = serializers.IntegerField()
    accepted = serializers.IntegerField()
    expired = serializers.IntegerField()
    taken = serializers.IntegerField()
    declined = serializers.IntegerField()


class OfferAnswerSerializer(serializers.Serializer):
    answer = serializers.ChoiceField(choices=["accept", "decline"])


# --- the week calendar -------------------------------------------------------------------------

class WeekEntrySerializer(serializers.Serializer):
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()
    is_free = serializers.BooleanField()
    appointment_id = serializers.IntegerField(source="appointment.pk", allow_null=True,
                                              default=None)
    client_id = serializers.IntegerField(source="appointment.client_id", allow_null=True,
                                         default=None)
    status = serializers.CharField(source="appointment.status", allow_null=True, default=None)


class WeekLaneSerializer(serializers.Serializer):
    clinician_id = serializers.IntegerField(source="clinician.pk")
    is_off = serializers.BooleanField()
    entries = WeekEntrySerializer(many=True)


class WeekDaySerializer(serializers.Serializer):
    date = serializers.DateField(source="day")
    lanes = WeekLaneSerializer(many=True)


class WeekSerializer(serializers.Serializer):
    first = serializers.DateField()
    timezone = serializers.CharField(source="zone.key")
    slot_step_minutes = serializers.SerializerMethodField()
    days = WeekDaySerializer(many=True)

    def get_slot_step_minutes(self, week: Any) -> int:
        return int(week.step.total_seconds() // 60)
