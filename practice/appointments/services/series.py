"""Recurring series: booking one, changing or cancelling one occurrence, this and the following
ones, or all of them, and extending open-ended series (the scheduler's job).

Each occurrence is inserted (or moved) in its own savepoint, so the database's two exclusion
constraints judge every date: a clash is caught and reported by date instead of failing the
whole series. Booking refuses when any date clashes, naming the dates, unless the caller asked
to book the rest; a change of several occurrences is all or nothing."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import cast

from django.db import transaction

from practice.access import Capability, client_in_reach
from practice.appointments import recurrence, selectors, slots
from practice.appointments.models import Appointment, AppointmentSeries
from practice.appointments.services.booking import (
    NewSession,
    _active_type,
    _book,
    _clinician,
    _locked,
    appointment_cancel,
    move_to,
)
from practice.appointments.services.common import (
    BookingError,
    SlotTaken,
    audit,
    now_or,
    require_booking_staff,
)
from tenants.accounts.models import User
from tenants.actor import Actor
from tenants.audit.actions import Action

SCOPES = ("one", "following", "all")


@dataclass(frozen=True)
class SeriesInput:
    client_id: int
    clinician_id: int
    appointment_type_id: int
    frequency: str
    first_date: date
    local_time: time
    occurrences: int | None = None
    until: date | None = None
    video_link: str = ""


@dataclass(frozen=True)
class Clash:
    day: date
    reason: str


class SeriesClash(BookingError):
    """Some dates of the series are taken; nothing was saved. `clashes` name them,
    `free` counts the dates that could be booked."""

    def __init__(self, clashes: list[Clash], free: int) -> None:
        self.clashes = clashes
        self.free = free
        dates = ", ".join(clash.day.strftime("%a %-d %b %Y") for clash in clashes)
        super().__init__(f"{len(clashes)} of the dates clash with other sessions: {dates}.")


@dataclass
class SeriesResult:
    series: AppointmentSeries
    booked: list[Appointment] = field(default_factory=list)
    skipped: list[Clash] = field(default_factory=list)


def _check(data: SeriesInput, now: datetime) -> None:
    if data.frequency not in recurrence.FREQUENCIES:
        raise BookingError("Choose every week, every two weeks or every month.")
    if data.occurrences is not None and data.until is not None:
        raise BookingError("Give a number of sessions or an end date, not both.")
    if data.occurrences is not None and not 2 <= data.occurrences <= recurrence.MAX_OCCURRENCES:
        raise BookingError(f"A series has between 2 and {recurrence.MAX_OCCURRENCES} sessions.")
    if data.until is not None and not (data.first_date < data.until
                                       <= data.first_date + recurrence.MAX_SPAN):
        raise BookingError("The end date is after the first session and within two years.")
    if data.video_link and not data.video_link.startswith("https://"):
        raise BookingError("A video link starts with https://.")


def _zone_of(series: AppointmentSeries):  # noqa: ANN202 (a ZoneInfo)
    return selectors.zone_or_utc(series.timezone_name)


def _moment(series: AppointmentSeries, day: date, moment: time | None = None) -> datetime:
    return slots.absolute(day, moment or series.local_time, _zone_of(series))


def _book_dates(series: AppointmentSeries, dates: list[date], *, actor: Actor,
                now: datetime) -> tuple[list[Appointment], list[Clash]]:
    booked: list[Appointment] = []
    clashes: list[Clash] = []
    for day in dates:
        starts_at = _moment(series, day)
        if starts_at <= now:
            clashes.append(Clash(day, "in the past"))
            continue
        try:
            booked.append(_book(NewSession(
                client=series.client, clinician=series.clinician,
                appointment_type=series.appointment_type, starts_at=starts_at,
                video_link=series.video_link, series=series, series_date=day),
                actor=actor, now=now))
        except SlotTaken as taken:
            clashes.append(Clash(day, str(taken)))
    return booked, clashes


def _horizon(series: AppointmentSeries, now: datetime) -> date | None:
    if not series.is_open_ended:
        return None
    return (now + recurrence.OPEN_ENDED_HORIZON).astimezone(_zone_of(series)).date()


@transaction.atomic
def series_book(*, data: SeriesInput, actor: Actor, book_the_rest: bool = False,
                now: datetime | None = None) -> SeriesResult:
    """Book every date of a series, each against both exclusion constraints. Any clash and
    not `book_the_rest`: SeriesClash naming the dates, and nothing saved."""
    require_booking_staff(actor.person)
    now = now_or(now)
    _check(data, now)
    client = client_in_reach(actor.person, Capability.APPOINTMENTS, data.client_id)
    clinician = _clinician(data.clinician_id)
    appointment_type = _active_type(data.appointment_type_id, online=False)
    zone = selectors.clinician_zone(clinician)
    if slots.absolute(data.first_date, data.local_time, zone) <= now:
        raise BookingError("The first session is in the past.")
    series = AppointmentSeries.objects.create(
        client=client, clinician=clinician, appointment_type=appointment_type,
        frequency=data.frequency, first_date=data.first_date, local_time=data.local_time,
        timezone_name=zone.key, occurrences=data.occurrences, until=data.until,
        video_link=data.video_link, created_by=actor.person, created_at=now)
    through = _horizon(series, now)
    dates = recurrence.occurrence_dates(frequency=series.frequency, first=series.first_date,
                                        occurrences=series.occurrences, until=series.until,
                                        through=through)
    booked, clashes = _book_dates(series, dates, actor=actor, now=now)
    if clashes and (not book_the_rest or not booked):
        raise SeriesClash(clashes, free=len(booked))
    if through is not None:
        series.booked_through = through
        series.save(update_fields=["booked_through"])
    audit(Action.APPOINTMENT_SERIES_BOOKED, actor, "appointment_series", series.pk,
          client_id=client.pk, clinician_id=clinician.pk, frequency=series.frequency,
          booked=len(booked), skipped=[clash.day.isoformat() for clash in clashes],
          open_ended=series.is_open_ended)
    return SeriesResult(series, booked, clashes)


def _occurrence(acting_user: User, appointment_id: int) -> Appointment:
    appointment = _locked(acting_user, appointment_id)
    if appointment.series_id is None:
        raise BookingError("This session is not part of a series.")
    return appointment


# Every occurrence of a series (what `_occurrence` returns, what `_in_scope` finds) has both.
def _series_pk(occurrence: Appointment) -> int:
    return cast(int, occurrence.series_id)


def _dated(occurrence: Appointment) -> date:
    """The occurrence's date in its series."""
    return cast(date, occurrence.series_date)


def _in_scope(anchor: Appointment, scope: str, now: datetime) -> list[Appointment]:
    """The booked future occurrences `scope` reaches from `anchor`, locked, in order."""
    if scope not in SCOPES:
        raise BookingError("Choose this session, this and the following ones, or all.")
    if scope == "one":
        return [anchor]
    rows = (Appointment.objects.select_for_update(of=("self",)).select_related("client")
            .filter(series_id=anchor.series_id, status=Appointment.Status.BOOKED,
                    starts_at__gt=now))
    if scope == "following":
        rows = rows.filter(series_date__gte=anchor.series_date)
    return list(rows.order_by("starts_at", "pk"))


def _end_before(series: AppointmentSeries, day: date, now: datetime) -> None:
    """Cut the series short: its last occurrence is the one before `day`."""
    series.until = day - timedelta(days=1)
    if series.occurrences is not None:
        series.occurrences = Appointment.objects.filter(series=series,
                                                        series_date__lt=day).count()
        series.until = None
    if series.until is not None and series.until < series.first_date:
        series.until = series.first_date
    series.ended_at = now if day <= series.first_date else None
    series.save(update_fields=["until", "occurrences", "ended_at"])


@transaction.atomic
def series_change(*, appointment_id: int, scope: str, new_date: date, new_time: time,
                  actor: Actor, now: datetime | None = None) -> list[Appointment]:
    """Move one occurrence, this and the following ones, or every future one: the anchor goes
    to `new_date` at `new_time` (local), the others shift by the same number of days and take
    the same local time. All or nothing: any clash refuses the change, naming the dates."""
    require_booking_staff(actor.person)
    now = now_or(now)
    anchor = _occurrence(actor.person, appointment_id)
    if anchor.status != Appointment.Status.BOOKED or anchor.starts_at <= now:
        raise BookingError("Only a booked session still to come can be moved.")
    series = AppointmentSeries.objects.select_for_update().select_related(
        "client", "clinician", "appointment_type").get(pk=_series_pk(anchor))
    shift = (new_date - _dated(anchor)).days
    rows = _in_scope(anchor, scope, now)
    # Moving later, the last goes first (and earlier, the first): no occurrence steps on a
    # sibling that has not moved yet.
    rows.sort(key=lambda row: row.starts_at, reverse=shift > 0)
    clashes: list[Clash] = []
    for row in rows:
        day = recurrence.shifted(_dated(row), shift)
        starts_at = _moment(series, day, new_time)
        if starts_at <= now:
            clashes.append(Clash(day, "in the past"))
            continue
        try:
            move_to(row, starts_at, now=now, by_client=False)
        except SlotTaken as taken:
            clashes.append(Clash(day, str(taken)))
    if clashes:
        raise SeriesClash(sorted(clashes, key=lambda clash: clash.day), free=0)
    if scope != "one":
        _reshape(series, _Change(anchor, scope, shift, new_time), rows=rows, actor=actor,
                 now=now)
    audit(Action.APPOINTMENT_SERIES_CHANGED, actor, "appointment_series", series.pk,
          client_id=series.client_id, scope=scope, moved=len(rows), shift_days=shift)
    return sorted(rows, key=lambda row: row.starts_at)


@dataclass(frozen=True)
class _Change:
    """A change of several occurrences: from `anchor`, in `scope`, by `shift` days, to
    `new_time`."""

    anchor: Appointment
    scope: str
    shift: int
    new_time: time


def _reshape(series: AppointmentSeries, change: _Change, *, rows: list[Appointment],
             actor: Actor, now: datetime) -> None:
    """After a change of several occurrences the series describes its new pattern. "All":
    the series itself moves. "This and following": the series ends before the anchor and a
    new one (the same rule from the anchor's new date) takes the moved occurrences."""
    if change.scope == "all":
        series.first_date = recurrence.shifted(series.first_date, change.shift)
        series.local_time = change.new_time
        if series.until is not None:
            series.until = recurrence.shifted(series.until, change.shift)
        if series.booked_through is not None:
            series.booked_through = recurrence.shifted(series.booked_through, change.shift)
        series.save(update_fields=["first_date", "local_time", "until", "booked_through"])
        # Past occurrences keep their dates; future ones are renumbered on the new pattern.
        _renumber(rows, change.shift)
        return
    remaining = None
    if series.occurrences is not None:
        remaining = series.occurrences - Appointment.objects.filter(
            series=series, series_date__lt=change.anchor.series_date).count()
    follower = AppointmentSeries.objects.create(
        client=series.client, clinician=series.clinician,
        appointment_type=series.appointment_type, frequency=series.frequency,
        first_date=recurrence.shifted(_dated(change.anchor), change.shift),
        local_time=change.new_time,
        timezone_name=series.timezone_name, occurrences=remaining,
        until=recurrence.shifted(series.until, change.shift) if series.until else None,
        booked_through=(recurrence.shifted(series.booked_through, change.shift)
                        if series.booked_through else None),
        video_link=series.video_link, created_by=actor.person, created_at=now)
    _end_before(series, _dated(change.anchor), now)
    Appointment.objects.filter(pk__in=[row.pk for row in rows]).update(series=follower)
    for row in rows:
        row.series = follower
    _renumber(rows, change.shift)


def _renumber(rows: list[Appointment], shift: int) -> None:
    if not shift:
        return
    # Two passes, so that a date taken by a sibling is free when it is written.
    for row in rows:
        Appointment.objects.filter(pk=row.pk).update(series_date=None)
    for row in rows:
        row.series_date = recurrence.shifted(_dated(row), shift)
        Appointment.objects.filter(pk=row.pk).update(series_date=row.series_date)


@transaction.atomic
def series_cancel(*, appointment_id: int, scope: str, actor: Actor, reason: str = "",
                  by_client: bool = False, now: datetime | None = None) -> list[Appointment]:
    """Cancel one occurrence, this and the following ones, or every future one. Beyond "one"
    the series is cut short there, so the scheduler books no more of it."""
    require_booking_staff(actor.person)
    now = now_or(now)
    anchor = _occurrence(actor.person, appointment_id)
    if anchor.status != Appointment.Status.BOOKED or anchor.starts_at <= now:
        raise BookingError("Only a booked session still to come can be cancelled.")
    series = AppointmentSeries.objects.select_for_update().get(pk=_series_pk(anchor))
    rows = _in_scope(anchor, scope, now)
    cancelled = [appointment_cancel(appointment_id=row.pk, actor=actor,
                                    reason=reason, by_client=by_client, now=now)
                 for row in rows]
    if scope == "following":
        _end_before(series, _dated(anchor), now)
    elif scope == "all":
        series.ended_at = now
        series.save(update_fields=["ended_at"])
    audit(Action.APPOINTMENT_SERIES_CANCELLED, actor, "appointment_series", series.pk,
          client_id=series.client_id, scope=scope, cancelled=len(cancelled))
    return cancelled


@dataclass(frozen=True)
class ExtensionRun:
    series: int
    booked: int
    skipped: int


def series_extend_due(*, now: datetime) -> ExtensionRun:
    """Keep every open-ended series booked a rolling horizon ahead (the periodic job). Each
    series in its own transaction; a taken date is skipped and audited, never retried (the
    clinician sees the gap); already booked dates are never booked twice."""
    extended = booked_total = skipped_total = 0
    for series_id in AppointmentSeries.objects.filter(
            ended_at__isnull=True, occurrences__isnull=True, until__isnull=True
    ).values_list("pk", flat=True):
        with transaction.atomic():
            series = AppointmentSeries.objects.select_for_update().select_related(
                "client", "clinician", "appointment_type", "created_by").get(pk=series_id)
            through = _horizon(series, now)
            if through is None or (series.booked_through and series.booked_through >= through):
                continue
            taken = set(Appointment.objects.filter(series=series)
                        .values_list("series_date", flat=True))
            dates = [day for day in recurrence.occurrence_dates(
                frequency=series.frequency, first=series.first_date,
                after=series.booked_through, through=through) if day not in taken]
            booked, clashes = _book_dates(series, dates, actor=Actor.of(series.created_by),
                                          now=now)
            series.booked_through = through
            series.save(update_fields=["booked_through"])
            if booked or clashes:
                audit(Action.APPOINTMENT_SERIES_EXTENDED, None, "appointment_series", series.pk,
                      client_id=series.client_id, booked=len(booked),
                      skipped=[clash.day.isoformat() for clash in clashes])
            extended += 1
            booked_total += len(booked)
            skipped_total += len(clashes)
    return ExtensionRun(extended, booked_total, skipped_total)


def series_occurrences(series: AppointmentSeries) -> list[Appointment]:
    return list(Appointment.objects.filter(series=series).order_by("starts_at", "pk"))


__all__ = ["SCOPES", "Clash", "SeriesClash", "SeriesInput", "SeriesResult", "series_book",
           "series_cancel", "series_change", "series_extend_due", "series_occurrences"]
