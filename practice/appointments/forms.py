"""Forms of the booking pages (staff and portal). They parse and check shapes; the services
decide what is allowed."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time
from typing import TYPE_CHECKING, Any, cast
from zoneinfo import ZoneInfo

from django import forms
from django.utils.translation import gettext_lazy as _

from practice.appointments.models import AppointmentType, AvailabilityException, Weekday
from practice.appointments.policies import MAX_REMINDERS
from practice.appointments.services.waitlist import WaitlistInput

if TYPE_CHECKING:
    from practice.appointments.services.series import SeriesClash
from practice.timezones import TimezoneField, offer_likely_zones

_PERIOD = re.compile(r"^\s*(\d{1,2})(?::(\d{2}))?\s*[-–]\s*(\d{1,2})(?::(\d{2}))?\s*$")


def local_moment(day: date, moment: time, zone: ZoneInfo) -> datetime:
    """A wall-clock time in `zone` as aware UTC; refused when that time does not exist there
    (skipped when the clocks go forward)."""
    local = datetime.combine(day, moment, tzinfo=zone)
    if local.astimezone(UTC).astimezone(zone).replace(tzinfo=None) != local.replace(tzinfo=None):
        raise forms.ValidationError("That time does not exist on that day: the clocks change.")
    return local.astimezone(UTC)


def parse_periods(text: str) -> list[tuple[time, time]]:
    """"9-12, 13:00-17:30" -> [(9:00, 12:00), (13:00, 17:30)]."""
    periods = []
    for part in filter(None, (piece.strip() for piece in text.split(","))):
        match = _PERIOD.match(part)
        if match is None:
            raise forms.ValidationError(
                f"“{part[:20]}” is not a period of hours; write it like 9:00-12:30.")
        start_hour, start_minute, end_hour, end_minute = match.groups()
        try:
            start = time(int(start_hour), int(start_minute or 0))
            end = time(int(end_hour), int(end_minute or 0))
        except ValueError:
            raise forms.ValidationError(f"“{part[:20]}” is not a time of day.") from None
        if end <= start:
            raise forms.ValidationError(f"“{part[:20]}” ends before it starts.")
        periods.append((start, end))
    return periods


def format_periods(periods: list[tuple[time, time]]) -> str:
    return ", ".join(f"{start:%H:%M}-{end:%H:%M}" for start, end in periods)


# --- owner -------------------------------------------------------------------------------------

class BookingSettingsForm(forms.Form):
    online_booking_enabled = forms.BooleanField(
        required=False, label="Clients can book online",
        help_text="Clients then see their clinicians' free times in the portal.")
    minimum_notice_hours = forms.IntegerField(
        min_value=0, max_value=720, label="Minimum notice (hours)",
        help_text="Clients book online at least this long before a session.")
    cancellation_cutoff_hours = forms.IntegerField(
        min_value=0, max_value=336, label="Cancellation cut-off (hours)",
        help_text="Clients cancel online up to this long before; later, staff record a late "
                  "cancellation.")
    booking_horizon_days = forms.IntegerField(min_value=1, max_value=365,
                                              label="Clients book up to (days ahead)")
    reminder_hours = forms.CharField(
        max_length=40, required=False, label="Reminders (hours before a session)",
        help_text="Up to three, separated by commas, for example 24, 1. Leave empty for none.")
    timezone = TimezoneField(label="Practice timezone", include_utc=True,
                             help_text="New clinicians' hours start in it.")
    slot_step_minutes = forms.TypedChoiceField(
        coerce=int, choices=[(5, "5 minutes"), (10, "10 minutes"), (15, "15 minutes"),
                             (30, "30 minutes"), (60, "60 minutes")],
        label="Free times are offered every", initial=30, required=False,
        empty_value=30,  # type: ignore[arg-type]  # any value will do; the stubs say str
        help_text="Sessions may be of any length; the next free time after one is the next "
                  "step it fits.")
    client_reschedule_enabled = forms.BooleanField(
        required=False, initial=True, label="Clients can move a session online",
        help_text="Up to the cancellation cut-off, to a free time they could book.")
    waitlist_offers_at_once = forms.IntegerField(
        min_value=1, max_value=10, initial=3, required=False,
        label="Offer a freed time to (people at once)",
        help_text="The first matching people on the waitlist; the first to accept gets it.")
    waitlist_offer_hours = forms.IntegerField(
        min_value=1, max_value=72, initial=12, required=False, label="An offer lasts (hours)",
        help_text="Then the next people on the waitlist are asked.")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        offer_likely_zones(self, "timezone")

    def clean_reminder_hours(self) -> list[int]:
        minutes = []
        for part in filter(None, (piece.strip() for piece in
                                  self.cleaned_data["reminder_hours"].split(","))):
            try:
                hours = float(part)
            except ValueError:
                raise forms.ValidationError(f"“{part[:10]}” is not a number of hours.") from None
            if not 0 < hours <= 168:
                raise forms.ValidationError("Each reminder is between a few minutes and 168 "
                                            "hours before.")
            minutes.append(round(hours * 60))
        if len(set(minutes)) > MAX_REMINDERS:
            raise forms.ValidationError(f"At most {MAX_REMINDERS} reminders.")
        return sorted(set(minutes), reverse=True)


class AppointmentTypeForm(forms.Form):
    name = forms.CharField(max_length=100)
    name_es = forms.CharField(
        max_length=100, required=False, label="Name in Spanish (optional)",
        help_text="What clients who chose Spanish read; without it they read the name above.")
    duration_minutes = forms.IntegerField(min_value=5, max_value=480, label="Length (minutes)")
    mode = forms.ChoiceField(choices=AppointmentType.Mode.choices, label="Where")
    video_link = forms.URLField(required=False, max_length=500, assume_scheme="https",
                                label="Video link",
                                help_text="For video sessions: where clients join.")
    is_bookable_online = forms.BooleanField(required=False, initial=True,
                                            label="Clients can book it online")
    online_audience = forms.ChoiceField(choices=AppointmentType.Audience.choices,
                                        initial="all", required=False,
                                        label="Who may book it online")
    is_intake = forms.BooleanField(required=False, label="First session (intake)",
                                   help_text="Offered online only to clients with no session "
                                             "yet.")
    same_day_allowed = forms.BooleanField(required=False, initial=True,
                                          label="Can be booked online for the same day")
    daily_cap = forms.IntegerField(min_value=0, max_value=50, initial=0, required=False,
                                   label="At most a day per clinician (0: no cap)")
    weekly_cap = forms.IntegerField(min_value=0, max_value=200, initial=0, required=False,
                                    label="At most a week per clinician (0: no cap)")
    buffer_minutes = forms.IntegerField(min_value=0, max_value=120, initial=0, required=False,
                                        label="Buffer between sessions (minutes)",
                                        help_text="Kept free before and after the clinician's "
                                                  "sessions when clients book online.")

    def clean(self) -> dict:
        data = super().clean() or {}
        if data.get("mode") == AppointmentType.Mode.VIDEO and not data.get("video_link"):
            self.add_error("video_link", "A video session needs a link to join.")
        return data


# --- clinicians' hours -------------------------------------------------------------------------

class WeeklyHoursForm(forms.Form):
    timezone = TimezoneField(include_utc=True, label="Timezone of these hours")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        offer_likely_zones(self, "timezone")
        for weekday in Weekday:
            self.fields[f"day_{weekday.value}"] = forms.CharField(
                required=False, max_length=200, label=weekday.label,
                help_text="For example 9:00-12:00, 13:00-17:00" if weekday.value == 0 else "")

    def clean(self) -> dict:
        data = super().clean() or {}
        windows = []
        for weekday in Weekday:
            name = f"day_{weekday.value}"
            try:
                periods = parse_periods(data.get(name) or "")
            except forms.ValidationError as error:
                self.add_error(name, error)
                continue
            windows += [(weekday.value, start, end) for start, end in periods]
        data["windows"] = windows
        return data


class ExceptionForm(forms.Form):
    date = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    kind = forms.ChoiceField(choices=AvailabilityException.Kind.choices)
    starts_at = forms.TimeField(required=False, label="From",
                                widget=forms.TimeInput(attrs={"type": "time"}),
                                help_text="Leave both times empty for the whole day off.")
    ends_at = forms.TimeField(required=False, label="To",
                              widget=forms.TimeInput(attrs={"type": "time"}))
    note = forms.CharField(required=False, max_length=120,
                           help_text="Seen by staff only. No client details.")


# --- booking by staff --------------------------------------------------------------------------

class StaffBookForm(forms.Form):
    clinician = forms.TypedChoiceField(coerce=int)
    appointment_type = forms.TypedChoiceField(coerce=int, label="Type of session")
    date = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    time = forms.TimeField(widget=forms.TimeInput(attrs={"type": "time"}),
                           help_text="In the clinician's timezone.")
    video_link = forms.URLField(required=False, max_length=500, assume_scheme="https",
                                help_text="Only to use another link than the type's.")

    def __init__(self, *args: Any, clinicians: list, types: list, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["clinician"]).choices = [(person.pk, person.full_name)
                                            for person in clinicians]
        cast(forms.ChoiceField, self.fields["appointment_type"]).choices = [
            (kind.pk, f"{kind.name} ({kind.duration_minutes} min, {kind.get_mode_display()})")
            for kind in types]


class RescheduleForm(forms.Form):
    date = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    time = forms.TimeField(widget=forms.TimeInput(attrs={"type": "time"}),
                           help_text="In the clinician's timezone.")


class StaffCancelForm(forms.Form):
    requested_by = forms.ChoiceField(
        choices=[("client", "The client (a late cancellation after the cut-off)"),
                 ("practice", "The practice (never a late cancellation)")],
        widget=forms.RadioSelect, initial="client", label="Who cancelled?")
    reason = forms.CharField(required=False, max_length=300,
                             help_text="Optional; seen by staff only.")


class OutcomeForm(forms.Form):
    outcome = forms.ChoiceField(choices=[("completed", "Completed"), ("no_show", "No-show")])


class FeedForm(forms.Form):
    full_names = forms.BooleanField(required=False, label="Show clients' full names",
                                    help_text="Otherwise clients appear by their initials.")


class SessionQuestionnaireForm(forms.Form):
    instrument_key = forms.ChoiceField(label="Questionnaire")
    hours_before = forms.IntegerField(min_value=1, max_value=168, initial=24,
                                      label="Due (hours before each session)")

    def __init__(self, *args: Any, instruments: list[tuple[str, str]],
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["instrument_key"]).choices = instruments


# --- portal ------------------------------------------------------------------------------------

class OnlineBookForm(forms.Form):
    clinician = forms.IntegerField()
    appointment_type = forms.IntegerField()
    starts_at = forms.DateTimeField(input_formats=["%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%dT%H:%M%z"])


class ClientCancelForm(forms.Form):
    reason = forms.CharField(required=False, max_length=300, label=_("Reason (optional)"),
                             widget=forms.Textarea(attrs={"rows": 2}))


class MoveForm(forms.Form):
    starts_at = forms.DateTimeField(input_formats=["%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%dT%H:%M%z"])


WEEKDAY_CHOICES = [(0, _("Monday")), (1, _("Tuesday")), (2, _("Wednesday")), (3, _("Thursday")),
                   (4, _("Friday")), (5, _("Saturday")), (6, _("Sunday"))]


class WaitlistForm(forms.Form):
    """Join a clinician's waitlist: the days and the local hours one could start."""

    clinician = forms.TypedChoiceField(coerce=int, label=_("With"))
    appointment_type = forms.TypedChoiceField(coerce=int, label=_("Type of session"))
    weekdays = forms.TypedMultipleChoiceField(coerce=int, choices=WEEKDAY_CHOICES,
                                              widget=forms.CheckboxSelectMultiple,
                                              label=_("Days you could come"))
    earliest_time = forms.TimeField(widget=forms.TimeInput(attrs={"type": "time"}),
                                    label=_("Earliest start"), initial=time(9))
    latest_time = forms.TimeField(widget=forms.TimeInput(attrs={"type": "time"}),
                                  label=_("Latest start"), initial=time(17))

    def __init__(self, *args: Any, clinicians: list, types: list, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["clinician"]).choices = [(person.pk, person.full_name)
                                            for person in clinicians]
        cast(forms.ChoiceField, self.fields["appointment_type"]).choices = [
            (kind.pk, f"{kind.client_name} ({kind.duration_minutes} min)") for kind in types]

    def clean(self) -> dict:
        data = super().clean() or {}
        if (data.get("earliest_time") and data.get("latest_time")
                and data["latest_time"] < data["earliest_time"]):
            self.add_error("latest_time", _("The latest start is before the earliest."))
        return data

    def to_input(self) -> WaitlistInput:
        data = self.cleaned_data
        return WaitlistInput(clinician_id=data["clinician"],
                             appointment_type_id=data["appointment_type"],
                             weekdays=list(data["weekdays"]), earliest_time=data["earliest_time"],
                             latest_time=data["latest_time"])


# --- series and the calendar (staff) -----------------------------------------------------------

REPEAT_CHOICES = [("", "Does not repeat"), ("weekly", "Every week"),
                  ("fortnightly", "Every two weeks"),
                  ("monthly", "Every month, on the same weekday (e.g. 2nd Tuesday)")]
ENDS_CHOICES = [("count", "After a number of sessions"), ("until", "On a date"),
                ("never", "Never (kept booked 12 weeks ahead)")]


class SeriesBookForm(forms.Form):
    """One session or a series, booked by staff (from the calendar or a client's page)."""

    clashes: SeriesClash  # set by the view when the series is refused for its clashes

    client = forms.TypedChoiceField(coerce=int)
    clinician = forms.TypedChoiceField(coerce=int)
    appointment_type = forms.TypedChoiceField(coerce=int, label="Type of session")
    date = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}),
                           label="Date (of the first session)")
    time = forms.TimeField(widget=forms.TimeInput(attrs={"type": "time"}),
                           help_text="In the clinician's timezone; a series keeps this local "
                                     "time when the clocks change.")
    repeat = forms.ChoiceField(choices=REPEAT_CHOICES, required=False)
    ends = forms.ChoiceField(choices=ENDS_CHOICES, required=False, initial="count",
                             widget=forms.RadioSelect, label="The series ends")
    occurrences = forms.IntegerField(min_value=2, max_value=104, required=False, initial=12,
                                     label="Number of sessions")
    until = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}),
                            label="Last date")
    book_the_rest = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, clients: list, clinicians: list, types: list,
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["client"]).choices = [
            (person.pk, person.full_name) for person in clients]
        cast(forms.ChoiceField, self.fields["clinician"]).choices = [
            (person.pk, person.full_name) for person in clinicians]
        cast(forms.ChoiceField, self.fields["appointment_type"]).choices = [
            (kind.pk, f"{kind.name} ({kind.duration_minutes} min, {kind.get_mode_display()})")
            for kind in types]

    def clean(self) -> dict:
        data = super().clean() or {}
        if data.get("repeat"):
            ends = data.get("ends") or "count"
            data["ends"] = ends
            if ends == "count" and not data.get("occurrences"):
                self.add_error("occurrences", "How many sessions?")
            if ends == "until" and not data.get("until"):
                self.add_error("until", "Give the last date.")
        return data


class SeriesChangeForm(forms.Form):
    scope = forms.ChoiceField(choices=[("one", "This session only"),
                                       ("following", "This and the following sessions"),
                                       ("all", "Every session still to come")],
                              widget=forms.RadioSelect, initial="one", label="Which sessions")
    date = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), label="New date",
                           help_text="The others move by as many days.")
    time = forms.TimeField(widget=forms.TimeInput(attrs={"type": "time"}), label="New time",
                           help_text="In the clinician's timezone.")


class SeriesCancelForm(forms.Form):
    scope = forms.ChoiceField(choices=[("one", "This session only"),
                                       ("following", "This and the following sessions"),
                                       ("all", "Every session still to come")],
                              widget=forms.RadioSelect, initial="one", label="Which sessions")
    requested_by = forms.ChoiceField(
        choices=[("client", "The client (a late cancellation after the cut-off)"),
                 ("practice", "The practice (never a late cancellation)")],
        widget=forms.RadioSelect, initial="practice", label="Who cancelled?")
