"""Free slots from weekly availability, exceptions and existing appointments. Pure.

Availability is wall-clock time in the clinician's timezone ("Mondays 9:00 to 12:00"), so in UTC
it moves when daylight saving time starts or ends there; a client elsewhere sees it move again
when their own clocks change. Each local window is turned into an absolute (UTC) interval first;
slots are then stepped in absolute time, so a window on the night clocks change is as long as it
really is."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

SLOT_STEP = timedelta(minutes=30)

TimeRange = tuple[time, time]
Interval = tuple[datetime, datetime]


@dataclass(frozen=True)
class DayException:
    kind: str  # "off" or "extra"
    starts_at: time | None = None  # None (with ends_at None): the whole day
    ends_at: time | None = None


def _subtract(ranges: list[TimeRange], cut: TimeRange) -> list[TimeRange]:
    kept: list[TimeRange] = []
    for start, end in ranges:
        if cut[1] <= start or cut[0] >= end:
            kept.append((start, end))
            continue
        if start < cut[0]:
            kept.append((start, cut[0]))
        if cut[1] < end:
            kept.append((cut[1], end))
    return kept


def _merge(ranges: Iterable[TimeRange]) -> list[TimeRange]:
    merged: list[TimeRange] = []
    for start, end in sorted(ranges):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def day_ranges(weekly: Sequence[TimeRange], exceptions: Sequence[DayException]) -> list[TimeRange]:
    """The local hours of one date: the week's hours, less time off, plus extra hours."""
    ranges = _merge(weekly)
    for exception in exceptions:
        if exception.kind != "off":
            continue
        if exception.starts_at is None or exception.ends_at is None:
            ranges = []
        else:
            ranges = _subtract(ranges, (exception.starts_at, exception.ends_at))
    extra = [(exception.starts_at, exception.ends_at) for exception in exceptions
             if exception.kind == "extra" and exception.starts_at and exception.ends_at]
    return _merge([*ranges, *extra])


def absolute(day: date, moment: time, zone: ZoneInfo) -> datetime:
    """A local wall-clock time as an aware UTC datetime. A time that does not exist (skipped
    when clocks go forward) is read with the offset before the change, as zoneinfo does."""
    return datetime.combine(day, moment, tzinfo=zone).astimezone(UTC)


def local_intervals(*, zone: ZoneInfo, first: date, last: date,
                    weekly: dict[int, list[TimeRange]],
                    exceptions: dict[date, list[DayException]]) -> list[Interval]:
    """The clinician's available intervals (UTC) for each local date from `first` to `last`."""
    intervals: list[Interval] = []
    day = first
    while day <= last:
        for start, end in day_ranges(weekly.get(day.weekday(), []), exceptions.get(day, [])):
            intervals.append((absolute(day, start, zone), absolute(day, end, zone)))
        day += timedelta(days=1)
    return intervals


def _overlaps(start: datetime, end: datetime, busy: Sequence[Interval]) -> bool:
    return any(start < busy_end and busy_start < end for busy_start, busy_end in busy)


@dataclass(frozen=True)
class Hours:
    """A clinician's hours: weekly ranges by weekday and dated exceptions, on their clock."""

    zone: ZoneInfo
    weekly: dict[int, list[TimeRange]]
    exceptions: dict[date, list[DayException]]


def free_slots(*, hours: Hours, busy: Sequence[Interval], duration: timedelta,
               earliest: datetime, latest: datetime,
               step: timedelta = SLOT_STEP) -> list[datetime]:
    """Every start (UTC) from `earliest` to `latest` where a session of `duration` fits inside
    the clinician's hours without touching a busy interval."""
    first = earliest.astimezone(hours.zone).date()
    last = latest.astimezone(hours.zone).date()
    starts: list[datetime] = []
    for window_start, window_end in local_intervals(zone=hours.zone, first=first, last=last,
                                                    weekly=hours.weekly,
                                                    exceptions=hours.exceptions):
        start = window_start
        while start + duration <= window_end:
            if earliest <= start <= latest and not _overlaps(start, start + duration, busy):
                starts.append(start)
            start += step
    return starts
