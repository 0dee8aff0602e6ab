"""When scheduled things fell due, reckoned as measurement and care reckon them, by arithmetic
rather than by listing every date (a daily schedule a year old has 365). Pure.

An assessment occurrence is due by the end of the day before the next occurrence (the same day
for daily ones, for "once", and for the last occurrence before the schedule's end), in the
client's timezone (practice.measurement.services._due_at). A homework occurrence is due by the
end of its own day."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from practice.measurement import schedule

STEP_DAYS = schedule.FREQUENCY_DAYS  # daily 1, weekly 7, biweekly 14


def last_full_day(moment: datetime, tz_name: str) -> date:
    """The latest local date whose end (23:59:59 there) is at or before `moment`."""
    return schedule.local_today(moment + timedelta(seconds=1), tz_name) - timedelta(days=1)


def start_of(day: date, tz_name: str) -> datetime:
    """Local midnight at the start of `day`, as an aware UTC time."""
    return datetime.combine(day, time.min, tzinfo=ZoneInfo(tz_name)).astimezone(ZoneInfo("UTC"))


def passed_occurrences(frequency: str, starts_on: date, ends_on: date | None, tz_name: str,
                       moment: datetime, count: int) -> list[date]:
    """Up to `count` occurrences whose due moment is at or before `moment`, newest first."""
    last_day = last_full_day(moment, tz_name)
    if ends_on is not None and ends_on < starts_on:
        return []
    if frequency == "once":
        return [starts_on] if starts_on <= last_day else []
    if frequency == "monthly":
        return _passed_monthly(starts_on, ends_on, last_day, count)
    step = STEP_DAYS[frequency]
    # Occurrence k is due at the end of day starts_on + k*step + step - 1 ...
    newest = (last_day - starts_on).days - step + 1
    index = newest // step if newest >= 0 else -1
    if ends_on is not None:
        final = (ends_on - starts_on).days // step
        # ... except the last one before the end, due at the end of its own day.
        if starts_on + timedelta(days=final * step) <= last_day:
            index = final
        else:
            index = min(index, final - 1)
    return [starts_on + timedelta(days=k * step) for k in range(index, max(index - count, -1), -1)]


def _passed_monthly(starts_on: date, ends_on: date | None, last_day: date,
                    count: int) -> list[date]:
    dates = schedule.occurrence_dates("monthly", starts_on, last_day + timedelta(days=32),
                                      ends_on)
    passed = []
    for position, day in enumerate(dates):
        following = dates[position + 1] if position + 1 < len(dates) else None
        if following is None and ends_on is None:
            break  # its due day lies beyond the dates listed
        due_day = following - timedelta(days=1) if following is not None else day
        if due_day <= last_day:
            passed.append(day)
    return passed[::-1][:count]


def homework_passed_occurrence(due_on: date, repeats_weekly: bool, tz_name: str,
                               moment: datetime) -> date | None:
    """The newest homework occurrence due (end of its day) at or before `moment`."""
    last_day = last_full_day(moment, tz_name)
    if due_on > last_day:
        return None
    if not repeats_weekly:
        return due_on
    return due_on + timedelta(days=((last_day - due_on).days // 7) * 7)
