"""When scheduled things fell due, by arithmetic, against the plain reckoning: list every
occurrence and ask measurement's own due rule of each. Random schedules in zones with daylight
saving (both hemispheres, a half-hour zone), and every due moment probed exactly and a second
before."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from practice.engagement import timing
from practice.measurement import schedule

ZONES = ("America/Chicago", "Europe/London", "Pacific/Auckland", "America/St_Johns", "UTC")
FREQUENCIES = ("once", "daily", "weekly", "biweekly", "monthly")
SECOND = timedelta(seconds=1)


def _due_day(frequency: str, dates: list[date], index: int) -> date:
    """measurement.services._due_at: the day before the next occurrence, else its own day."""
    if frequency == "once" or index + 1 >= len(dates):
        return dates[index]
    return dates[index + 1] - timedelta(days=1)


def reference(frequency: str, starts_on: date, ends_on: date | None, zone: str,
              moment: datetime, count: int) -> list[date]:
    horizon = moment.date() + timedelta(days=80)
    dates = schedule.occurrence_dates(frequency, starts_on, horizon, ends_on)
    passed = [day for index, day in enumerate(dates)
              if (ends_on is not None or index + 1 < len(dates) or frequency == "once")
              and schedule.due_moment(_due_day(frequency, dates, index), zone) <= moment]
    return passed[::-1][:count]


def test_passed_occurrences_match_the_plain_reckoning() -> None:
    rng = random.Random(20260121)
    probes, found = 0, 0
    for _ in range(400):
        frequency = rng.choice(FREQUENCIES)
        zone = rng.choice(ZONES)
        starts_on = date(2025, 1, 1) + timedelta(days=rng.randrange(500))
        ends_on = (starts_on + timedelta(days=rng.randrange(-3, 200))
                   if rng.random() < 0.4 else None)
        count = rng.randrange(1, 5)
        dates = schedule.occurrence_dates(frequency, starts_on, starts_on + timedelta(400),
                                          ends_on)
        moments = [datetime(2025, 1, 1, tzinfo=ZoneInfo("UTC"))
                   + timedelta(seconds=rng.randrange(600 * 86400)) for _ in range(3)]
        for index in range(min(len(dates) - 1, 6)):
            due = schedule.due_moment(_due_day(frequency, dates, index), zone)
            moments += [due, due - SECOND]
        for moment in moments:
            expected = reference(frequency, starts_on, ends_on, zone, moment, count)
            assert timing.passed_occurrences(frequency, starts_on, ends_on, zone, moment,
                                             count) == expected, (frequency, starts_on,
                                                                  ends_on, zone, moment)
            probes += 1
            found += bool(expected)
    assert probes > 2000
    assert found > probes // 2  # most probes fall after some occurrence was due


def test_homework_occurrence_due_at_the_end_of_its_day() -> None:
    zone = "America/Chicago"
    due_on = date(2026, 3, 1)  # daylight saving starts on 8 March in Chicago
    end = schedule.due_moment(due_on, zone)
    assert timing.homework_passed_occurrence(due_on, False, zone, end - SECOND) is None
    assert timing.homework_passed_occurrence(due_on, False, zone, end) == due_on
    later = schedule.due_moment(date(2026, 3, 8), zone)
    assert timing.homework_passed_occurrence(due_on, True, zone, later - SECOND) == due_on
    assert timing.homework_passed_occurrence(due_on, True, zone, later) == date(2026, 3, 8)
    assert timing.homework_passed_occurrence(due_on, False, zone, later) == due_on


def test_start_of_a_day_across_daylight_saving() -> None:
    assert timing.start_of(date(2026, 3, 8), "America/Chicago") == datetime(
        2026, 3, 8, 6, 0, tzinfo=ZoneInfo("UTC"))
    assert timing.start_of(date(2026, 3, 9), "America/Chicago") == datetime(
        2026, 3, 9, 5, 0, tzinfo=ZoneInfo("UTC"))
