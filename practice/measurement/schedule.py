"""When scheduled instruments fall due, in the client's own calendar and timezone. Pure."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

FREQUENCY_DAYS = {"daily": 1, "weekly": 7, "biweekly": 14}


def _add_months(day: date, months: int) -> date:
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    # The 31st in a 30-day month falls on its last day.
    for candidate in (day.day, 30, 29, 28):
        try:
            return date(year, month, min(day.day, candidate))
        except ValueError:
            continue
    raise ValueError("unreachable")


def occurrence_dates(frequency: str, starts_on: date, until: date,
                     ends_on: date | None = None) -> list[date]:
    """Every local date on which the instrument is due, from `starts_on` to `until` inclusive."""
    last = min(until, ends_on) if ends_on else until
    if frequency == "once":
        return [starts_on] if starts_on <= last else []
    dates: list[date] = []
    if frequency == "monthly":
        index = 0
        while (current := _add_months(starts_on, index)) <= last:
            dates.append(current)
            index += 1
        return dates
    step = timedelta(days=FREQUENCY_DAYS[frequency])
    current = starts_on
    while current <= last:
        dates.append(current)
        current += step
    return dates


def due_moment(day: date, tz_name: str) -> datetime:
    """An occurrence is due by the end of its local day (23:59:59 there), as an aware UTC time."""
    local = datetime.combine(day, time(23, 59, 59), tzinfo=ZoneInfo(tz_name))
    return local.astimezone(ZoneInfo("UTC"))


def local_today(now: datetime, tz_name: str) -> date:
    return now.astimezone(ZoneInfo(tz_name)).date()


def current_occurrence(frequency: str, starts_on: date, ends_on: date | None,
                       today: date) -> date | None:
    """The occurrence open today: the newest one up to today (a one-off is open at once, due
    on its date); None before the first or after the end. Older ones never done are missed."""
    if frequency == "once":
        return starts_on
    dates = occurrence_dates(frequency, starts_on, today, ends_on)
    return dates[-1] if dates else None


def occurrence_due_at(frequency: str, starts_on: date, ends_on: date | None, day: date,
                      tz_name: str) -> datetime:
    """When the occurrence of `day` is due: by the end of the day before the next occurrence
    (the same day for daily and one-off), in the person's timezone."""
    if frequency == "once":
        return due_moment(day, tz_name)
    later = occurrence_dates(frequency, starts_on, day + timedelta(days=40), ends_on)
    following = next((candidate for candidate in later if candidate > day), None)
    last_day = following - timedelta(days=1) if following else day
    return due_moment(last_day, tz_name)
