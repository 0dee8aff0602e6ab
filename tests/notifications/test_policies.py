"""Quiet hours in the recipient's timezone, across midnight and daylight-saving changes, and the
retry backoff. Pure: no database."""

from __future__ import annotations

import random
from datetime import UTC, datetime, time, timedelta

import pytest

from practice.notifications.policies import NO_QUIET_HOURS, QuietHours, RetryPolicy, zone

EVENING = QuietHours(time(21), time(8))
LUNCH = QuietHours(time(12), time(13))


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.mark.parametrize(("moment", "timezone", "expected"), [
    # 20:59 in Chicago (CST, UTC-6): not quiet yet.
    (utc(2026, 1, 15, 2, 59), "America/Chicago", utc(2026, 1, 15, 2, 59)),
    # 21:00 in Chicago: wait until 08:00 the next morning, 14:00 UTC.
    (utc(2026, 1, 15, 3, 0), "America/Chicago", utc(2026, 1, 15, 14, 0)),
    # 02:00 in Chicago: until 08:00 the same day.
    (utc(2026, 1, 15, 8, 0), "America/Chicago", utc(2026, 1, 15, 14, 0)),
    # 08:00 sharp is not quiet.
    (utc(2026, 1, 15, 14, 0), "America/Chicago", utc(2026, 1, 15, 14, 0)),
    # The same moment is mid-afternoon in Tokyo: sent at once.
    (utc(2026, 1, 15, 6, 0), "Asia/Tokyo", utc(2026, 1, 15, 6, 0)),
    # 23:00 on Saturday 7 March in New York (EST); clocks spring forward that night, so 08:00
    # on Sunday is EDT (UTC-4): 12:00 UTC, not 13:00.
    (utc(2026, 3, 8, 4, 0), "America/New_York", utc(2026, 3, 8, 12, 0)),
    # 23:00 on Saturday 31 October (EDT); clocks fall back that night: 08:00 EST is 13:00 UTC.
    (utc(2026, 11, 1, 3, 0), "America/New_York", utc(2026, 11, 1, 13, 0)),
    # The repeated hour 01:30 (the second time, EST) on 1 November is quiet.
    (utc(2026, 11, 1, 6, 30), "America/New_York", utc(2026, 11, 1, 13, 0)),
    # An unknown timezone counts as UTC.
    (utc(2026, 1, 15, 22, 0), "Mars/Olympus", utc(2026, 1, 16, 8, 0)),
    (utc(2026, 1, 15, 22, 0), "", utc(2026, 1, 16, 8, 0)),
])
def test_evening_quiet_hours_in_the_recipient_timezone(
    moment: datetime, timezone: str, expected: datetime
) -> None:
    assert EVENING.next_allowed(moment, timezone) == expected


def test_an_end_inside_the_skipped_hour_is_never_earlier_than_asked() -> None:
    # Quiet 01:00-02:30 in New York; 02:30 does not exist on 8 March 2026 (02:00 -> 03:00).
    night = QuietHours(time(1), time(2, 30))
    moment = utc(2026, 3, 8, 6, 30)  # 01:30 EST
    allowed = night.next_allowed(moment, "America/New_York")
    assert allowed == utc(2026, 3, 8, 7, 30)  # 03:30 EDT: just after the change
    assert allowed > moment


def test_quiet_hours_within_one_day_and_none() -> None:
    assert LUNCH.next_allowed(utc(2026, 5, 1, 12, 30), "UTC") == utc(2026, 5, 1, 13, 0)
    assert LUNCH.next_allowed(utc(2026, 5, 1, 11, 59), "UTC") == utc(2026, 5, 1, 11, 59)
    assert LUNCH.next_allowed(utc(2026, 5, 1, 13, 0), "UTC") == utc(2026, 5, 1, 13, 0)
    assert NO_QUIET_HOURS.next_allowed(utc(2026, 5, 1, 3, 0), "UTC") == utc(2026, 5, 1, 3, 0)
    assert [EVENING.is_quiet(time(hour)) for hour in (7, 8, 20, 21, 23, 0)] == [
        True, False, False, True, True, True]


def test_zone_falls_back_to_utc() -> None:
    assert zone("Europe/Madrid").key == "Europe/Madrid"
    assert zone("not a zone").key == "UTC"
    assert zone("../../etc/passwd").key == "UTC"


def test_backoff_doubles_with_jitter_up_to_the_cap() -> None:
    policy = RetryPolicy(max_attempts=5, base=timedelta(seconds=30), cap=timedelta(minutes=5))
    rng = random.Random(7)
    for attempts, full in [(1, 30), (2, 60), (3, 120), (4, 240), (5, 300), (9, 300)]:
        delays = [policy.delay(attempts, rng).total_seconds() for _ in range(200)]
        assert min(delays) >= full / 2
        assert max(delays) <= full
        # Jitter: the delays spread over the range rather than repeat one value.
        assert max(delays) - min(delays) > full / 4
    assert [policy.gives_up_after(n) for n in (0, 4, 5, 6)] == [False, False, True, True]
