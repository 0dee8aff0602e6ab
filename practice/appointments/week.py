"""The staff week calendar: for each day of a week and each clinician shown, their sessions and
the free times a session of the chosen type could start (back to back on the practice's slot
step: a 50-minute session on a 15-minute step offers 9:00, 10:00, 11:00...).

Read in a fixed number of queries whatever the number of sessions or clinicians: hours,
exceptions, timezones and appointments are each fetched once for the whole week, then laid
out in Python (slots.free_slots, pure)."""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from practice.appointments import selectors, slots
from practice.appointments.models import (
    ACTIVE_STATUSES,
    Appointment,
    AppointmentType,
    AvailabilityException,
    WeeklyAvailability,
)
from tenants.accounts.models import User


@dataclass(frozen=True)
class Entry:
    starts_at: datetime
    ends_at: datetime
    appointment: Appointment | None = None  # None: a free time

    @property
    def is_free(self) -> bool:
        return self.appointment is None


@dataclass
class Lane:
    clinician: User
    entries: list[Entry] = field(default_factory=list)
    is_off: bool = False  # the whole day off (an exception)


@dataclass
class Day:
    day: date
    lanes: list[Lane]

    @property
    def has_entries(self) -> bool:
        return any(lane.entries or lane.is_off for lane in self.lanes)


@dataclass(frozen=True)
class Week:
    first: date
    zone: ZoneInfo
    days: list[Day]
    step: timedelta
    appointment_type: AppointmentType | None
    appointments: list[Appointment]


def week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


def back_to_back(starts: list[datetime], *, duration: timedelta, step: timedelta
                 ) -> list[datetime]:
    """From every possible start, those a calendar shows: each the earliest start after the
    previous shown session would end (rounded up to the step)."""
    stride = step * math.ceil(duration / step)
    shown: list[datetime] = []
    for start in starts:
        if not shown or start >= shown[-1] + stride:
            shown.append(start)
    return shown


def week_of(user: User, *, clinicians: list[User], first: date, zone: ZoneInfo,
            appointment_type: AppointmentType | None, now: datetime) -> Week:
    """The week from `first` (local dates in `zone`) for `clinicians`."""
    days = [first + timedelta(days=offset) for offset in range(7)]
    start = datetime.combine(first, datetime.min.time(), tzinfo=zone)
    end = datetime.combine(first + timedelta(days=7), datetime.min.time(), tzinfo=zone)
    ids = {person.pk for person in clinicians}
    zones = selectors.clinician_zones(ids) if ids else {}
    weekly: dict[int, dict[int, list[slots.TimeRange]]] = defaultdict(lambda: defaultdict(list))
    for row in WeeklyAvailability.objects.filter(clinician_id__in=ids):
        weekly[row.clinician_id][row.weekday].append((row.starts_at, row.ends_at))
    exceptions: dict[int, dict[date, list[slots.DayException]]] = defaultdict(
        lambda: defaultdict(list))
    for exception in AvailabilityException.objects.filter(
            clinician_id__in=ids, date__range=(first - timedelta(days=1),
                                               first + timedelta(days=8))):
        exceptions[exception.clinician_id][exception.date].append(
            slots.DayException(exception.kind, exception.starts_at, exception.ends_at))
    appointments = list(selectors.appointments_between(user, start=start, end=end).filter(
        clinician_id__in=ids))
    rules = selectors.booking_rules()
    by_lane: dict[tuple[int, date], Lane] = {}
    for day in days:
        for person in clinicians:
            off = any(item.kind == "off" and item.starts_at is None
                      for item in exceptions[person.pk].get(day, []))
            by_lane[(person.pk, day)] = Lane(clinician=person, is_off=off)
    for appointment in appointments:
        day = appointment.starts_at.astimezone(zone).date()
        lane = by_lane.get((appointment.clinician_id, day))
        if lane is not None:
            lane.entries.append(Entry(appointment.starts_at, appointment.ends_at, appointment))
    if appointment_type is not None:
        duration = timedelta(minutes=appointment_type.duration_minutes)
        for person in clinicians:
            busy = [(row.starts_at, row.ends_at) for row in appointments
                    if row.clinician_id == person.pk and row.status in ACTIVE_STATUSES]
            hours = slots.Hours(zones[person.pk],
                                {key: list(value) for key, value in weekly[person.pk].items()},
                                dict(exceptions[person.pk]))
            starts = slots.free_slots(
                hours=hours, busy=busy, duration=duration,
                earliest=max(start, now), latest=end - duration, step=rules.slot_step)
            for free in back_to_back(starts, duration=duration, step=rules.slot_step):
                lane = by_lane.get((person.pk, free.astimezone(zone).date()))
                if lane is not None:
                    lane.entries.append(Entry(free, free + duration))
    result = []
    for day in days:
        lanes = [by_lane[(person.pk, day)] for person in clinicians]
        for lane in lanes:
            lane.entries.sort(key=lambda entry: (entry.starts_at, entry.is_free))
        result.append(Day(day, lanes))
    return Week(first=first, zone=zone, days=result, step=rules.slot_step,
                appointment_type=appointment_type, appointments=appointments)
