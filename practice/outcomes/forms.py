"""Forms of the outcome pages: closing an episode, report filters, the utilization-review
range."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any, cast
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django import forms
from django.http import QueryDict

from practice.measurement.library import get_definition, shipped_keys
from practice.measurement.selectors import instruments_offered
from practice.notifications.selectors import recipient_clock
from practice.outcomes.models import Episode
from practice.outcomes.selectors import ReportFilters
from tenants.accounts.models import Role, User
from tenants.models import Practice

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class EpisodeCloseForm(forms.Form):
    end_reason = forms.ChoiceField(label="Why did the episode end?",
                                   choices=[("", "Choose a reason"),
                                            *Episode.EndReason.choices])
    ended_on = forms.DateField(
        label="Last day of the episode", widget=DATE_INPUT, required=False,
        help_text="Leave empty for today. In the client's own calendar (their timezone).")
    note = forms.CharField(label="Note (optional, no clinical detail needed)", max_length=300,
                           required=False)


class DateRangeForm(forms.Form):
    start = forms.DateField(label="From", widget=DATE_INPUT, required=False)
    end = forms.DateField(label="To", widget=DATE_INPUT, required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start: date | None = data.get("start")
        end: date | None = data.get("end")
        if start and end and end < start:
            self.add_error("end", "The end date is before the start date.")
        return data


class ReportFilterForm(DateRangeForm):
    instrument = forms.ChoiceField(label="Instrument", required=False)
    clinician = forms.TypedChoiceField(label="Clinician", required=False, coerce=int,
                                       empty_value=None)
    end_reason = forms.ChoiceField(label="End reason", required=False,
                                   choices=[("", "Any reason"), *Episode.EndReason.choices])

    def __init__(self, *args: Any, instruments: list[tuple[str, str]],
                 clinicians: list[tuple[int, str]] | None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["instrument"]).choices = [
            ("", "Every instrument"), *instruments]
        if clinicians is None:
            del self.fields["clinician"]
        else:
            cast(forms.ChoiceField, self.fields["clinician"]).choices = [
                ("", "Every clinician"), *clinicians]


def report_filter_form(practice: Practice, user: User, data: QueryDict | None
                       ) -> ReportFilterForm:
    """The report's filters (page and API): every instrument a report could hold (those offered
    now and every shipped one: a practice may have stopped offering an instrument its past
    episodes used); the clinician filter for the owner only."""
    offered = {definition.key: definition for definition in instruments_offered(practice)}
    for key in shipped_keys():
        offered.setdefault(key, get_definition(key))
    instruments = sorted(((key, definition.title) for key, definition in offered.items()
                          if definition.has_total), key=lambda choice: choice[1])
    clinicians = None
    if user.role == Role.OWNER:
        clinicians = list(User.objects.filter(role__in=[Role.CLINICIAN, Role.OWNER])
                          .order_by("full_name", "pk").values_list("pk", "full_name"))
    return ReportFilterForm(data, instruments=instruments, clinicians=clinicians)


def report_zone(user: User) -> ZoneInfo:
    """A report's dates are the viewer's: their own timezone, else the practice's default
    (the one notifications use), never the server's."""
    try:
        return ZoneInfo(recipient_clock(user).timezone)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def _moment(day: date | None, zone: ZoneInfo, *, next_day: bool = False) -> datetime | None:
    if day is None:
        return None
    if next_day:
        day += timedelta(days=1)
    return datetime.combine(day, time.min, tzinfo=zone)


def report_filters(form: ReportFilterForm, zone: ZoneInfo) -> ReportFilters:
    """From a valid form (an invalid or unbound one filters nothing): "to" includes its whole
    day, both in `zone`."""
    data = form.cleaned_data if form.is_bound and form.is_valid() else {}
    return ReportFilters(
        start=_moment(data.get("start"), zone),
        end=_moment(data.get("end"), zone, next_day=True),
        instrument_key=data.get("instrument") or None,
        clinician_id=data.get("clinician"), end_reason=data.get("end_reason") or None)
