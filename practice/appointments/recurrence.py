"""The dates of a recurring series. Pure: no database, no timezone.

A series is a local date pattern plus one wall-clock time in the clinician's timezone. The
dates are computed first, as calendar dates; each is then turned into an absolute moment on
its own date (slots.absolute), so a 10:00 series stays at 10:00 local when the clocks change
between two occurrences, and its UTC time moves by the hour instead."""

from __future__ import annotations

import calendar
from datetime import date, timedelta

WEEKLY = "weekly"
FORTNIGHTLY = "fortnightly"
MONTHLY = "monthly"
FREQUENCIES = (WEEKLY, FORTNIGHTLY, MONTHLY)

# The longest series booked at once, and the rolling horizon of an open-ended one.
MAX_OCCURRENCES = 104
MAX_SPAN = timedelta(days=2 * 366)
OPEN_ENDED_HORIZON = timedelta(weeks=12)


def nth_weekday_of(first: date) -> int:
    """1 for the first Tuesday of its month, ... 5 for a fifth (read as "the last")."""
    return (first.day - 1) // 7 + 1


def _month_date(year: int, month: int, weekday: int, nth: int) -> date:
    """The nth `weekday` of the month; the 5th is the month's last one of that weekday."""
    first_of_month = date(year, month, 1)
    offset = (weekday - first_of_month.weekday()) % 7
    day = 1 + offset + 7 * (min(nth, 5) - 1)
    last_day = calendar.monthrange(year, month)[1]
    while day > last_day:
        day -= 7
    return date(year, month, day)


def _candidates(frequency: str, first: date):  # noqa: ANN202 (a generator of dates)
    if frequency in (WEEKLY, FORTNIGHTLY):
        step = timedelta(weeks=1 if frequency == WEEKLY else 2)
        day = first
        while True:
            yield day
            day += step
    elif frequency == MONTHLY:
        nth, weekday = nth_weekday_of(first), first.weekday()
        year, month = first.year, first.month
        while True:
            yield _month_date(year, month, weekday, nth)
            month += 1
            if month > 12:
                year, month = year + 1, 1
    else:
        raise ValueError(f"unknown frequency {frequency!r}")


def occurrence_dates(*, frequency: str, first: date, occurrences: int | None = None,
                     until: date | None = None, after: date | None = None,
                     through: date | None = None) -> list[date]:
    """The series' dates, in order: at most `occurrences` of them (counted from the first),
    none after `until` or `through`, and only those after `after` (an extension books from
    where the series stood). A series with neither count nor end needs `through`."""
    if occurrences is None and until is None and through is None:
        raise ValueError("an open-ended series needs a horizon")
    open_ended = occurrences is None and until is None
    last = min(filter(None, [until, through, None if open_ended else first + MAX_SPAN]))
    limit = None if open_ended else min(occurrences or MAX_OCCURRENCES, MAX_OCCURRENCES)
    dates: list[date] = []
    for index, day in enumerate(_candidates(frequency, first)):
        if (limit is not None and index >= limit) or day > last:
            break
        if after is None or day > after:
            dates.append(day)
    return dates


def shifted(day: date, days: int) -> date:
    return day + timedelta(days=days)
