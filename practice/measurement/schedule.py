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
