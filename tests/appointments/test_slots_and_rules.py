"""Free slots and the booking rules, without a database: availability in the clinician's
timezone across the US and EU daylight-saving changes, exceptions, busy time, minimum notice,
the cancellation cut-off, reminder times and the join window."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from practice.appointments import slots
from practice.appointments.policies import BookingRules, join_is_open

NEW_YORK = ZoneInfo("America/New_York")
BERLIN = ZoneInfo("Europe/Berlin")
MONDAY_MORNINGS = {0: [(time(9, 0), time(12, 0))]}
HOUR = timedelta(hours=1)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def first_slots(weekly, earliest, latest, *, zone=NEW_YORK, exceptions=None, busy=(),
                duration=timedelta(minutes=50)) -> list[datetime]:
    return slots.free_slots(hours=slots.Hours(zone, weekly, exceptions or {}), busy=busy,
                            duration=duration, earliest=earliest, latest=latest)


def test_weekly_hours_follow_the_clinicians_clock_across_us_and_eu_changes() -> None:
    # 2027: the US moves its clocks on 14 March, the EU on 28 March. Mondays 9:00-12:00 in New
    # York, seen by a client in Berlin.
    found = first_slots(MONDAY_MORNINGS, utc(2027, 3, 1), utc(2027, 4, 6))
    mondays = sorted({start.date() for start in found})
    assert mondays == [date(2027, 3, 1), date(2027, 3, 8), date(2027, 3, 15),
                       date(2027, 3, 22), date(2027, 3, 29), date(2027, 4, 5)]
    first_of_day = {day: min(start for start in found if start.date() == day)
                    for day in mondays}
    # Always 9:00 in New York...
    assert {start.astimezone(NEW_YORK).time() for start in first_of_day.values()} == {time(9)}
    # ...which is 14:00 UTC before the US change and 13:00 UTC after it.
    assert first_of_day[date(2027, 3, 8)] == utc(2027, 3, 8, 14)
    assert first_of_day[date(2027, 3, 15)] == utc(2027, 3, 15, 13)
    # In Berlin: 15:00, then 14:00 for the two weeks between the changes, then 15:00 again.
    in_berlin = [first_of_day[day].astimezone(BERLIN).time() for day in mondays]
    assert in_berlin == [time(15), time(15), time(14), time(14), time(15), time(15)]
    # Six starts each morning: 9:00, 9:30 ... 11:30 would end at 12:20, so up to 11:00.
    assert [start.astimezone(NEW_YORK).strftime("%H:%M") for start in found
            if start.date() == date(2027, 3, 15)] == ["09:00", "09:30", "10:00", "10:30",
                                                      "11:00"]


def test_a_window_on_the_night_clocks_go_forward_is_as_long_as_it_really_is() -> None:
    # Sunday 14 March 2027, 1:00-4:00 on the wall clock in New York is two real hours.
    weekly = {6: [(time(1, 0), time(4, 0))]}
    found = first_slots(weekly, utc(2027, 3, 14), utc(2027, 3, 15), duration=HOUR)
    assert found == [utc(2027, 3, 14, 6), utc(2027, 3, 14, 6, 30), utc(2027, 3, 14, 7)]
    assert [start.astimezone(NEW_YORK).strftime("%H:%M") for start in found] == [
        "01:00", "01:30", "03:00"]


def test_exceptions_busy_time_and_the_window() -> None:
    weekly = {0: [(time(9, 0), time(12, 0))], 1: [(time(9, 0), time(10, 0))]}
    exceptions = {
        date(2027, 1, 4): [slots.DayException("off", time(9, 0), time(11, 0))],   # Monday
        date(2027, 1, 5): [slots.DayException("off")],                            # Tuesday
        date(2027, 1, 6): [slots.DayException("extra", time(18, 0), time(19, 0))],  # Wednesday
    }
    busy = [(utc(2027, 1, 11, 14, 30), utc(2027, 1, 11, 15, 20))]  # Monday 11th, 9:30 NY
    found = first_slots(weekly, utc(2027, 1, 4), utc(2027, 1, 12), exceptions=exceptions,
                        busy=busy, duration=HOUR)
    local = [start.astimezone(NEW_YORK).strftime("%a %d %H:%M") for start in found]
    assert local == ["Mon 04 11:00", "Wed 06 18:00", "Mon 11 10:30", "Mon 11 11:00"]
    # The earliest start (minimum notice) and the latest (horizon) bound the slots exactly.
    assert first_slots(weekly, utc(2027, 1, 11, 15, 30), utc(2027, 1, 11, 16),
                       busy=busy, duration=HOUR) == [utc(2027, 1, 11, 15, 30),
                                                     utc(2027, 1, 11, 16)]
    assert first_slots(weekly, utc(2027, 1, 12), utc(2027, 1, 11)) == []


def test_day_ranges_merge_and_cut() -> None:
    assert slots.day_ranges([(time(9), time(12)), (time(11), time(14))],
                            [slots.DayException("off", time(10), time(11)),
                             slots.DayException("extra", time(13), time(15))]) == [
        (time(9), time(10)), (time(11), time(15))]


def test_minimum_notice_cut_off_and_late_cancellation() -> None:
    rules = BookingRules(online_booking_enabled=True, minimum_notice=timedelta(hours=24),
                         cancellation_cutoff=timedelta(hours=48), horizon=timedelta(days=30))
    now = utc(2027, 1, 1, 12)
    assert rules.client_may_book_at(now + timedelta(hours=24), now) is True
    assert rules.client_may_book_at(now + timedelta(hours=23, minutes=59), now) is False
    assert rules.client_may_book_at(now + timedelta(days=30, seconds=1), now) is False
    assert BookingRules(online_booking_enabled=False).client_may_book_at(
        now + timedelta(days=3), now) is False
    start = now + timedelta(hours=48)
    assert rules.client_may_cancel(start, now) is True
    assert rules.is_late_cancellation(start, now) is False
    assert rules.client_may_cancel(start, now + timedelta(seconds=1)) is False
    assert rules.is_late_cancellation(start, now + timedelta(seconds=1)) is True


def test_reminders_a_day_before_a_session_just_after_the_clocks_change() -> None:
    rules = BookingRules()
    # Sunday 14 March 2027 9:00 in New York is 13:00 UTC; the day before has 23 hours, so the
    # 24-hour reminder goes at 8:00 New York time on Saturday (13:00 UTC).
    start = datetime(2027, 3, 14, 9, 0, tzinfo=NEW_YORK).astimezone(UTC)
    assert start == utc(2027, 3, 14, 13)
    times = rules.reminder_times(start, now=utc(2027, 3, 1))
    assert times == [(1440, utc(2027, 3, 13, 13)), (60, utc(2027, 3, 14, 12))]
    assert times[0][1].astimezone(NEW_YORK).strftime("%a %H:%M") == "Sat 08:00"
    # Booked 3 hours before: only the 1-hour reminder is still ahead.
    assert rules.reminder_times(start, now=start - 3 * HOUR) == [(60, utc(2027, 3, 14, 12))]
    assert rules.reminder_times(start, now=start - HOUR) == []


def test_join_window_opens_ten_minutes_before_and_closes_at_the_end() -> None:
    start, end = utc(2027, 1, 1, 15), utc(2027, 1, 1, 15, 50)
    assert join_is_open(starts_at=start, ends_at=end,
                        now=start - timedelta(minutes=10, seconds=1)) is False
    assert join_is_open(starts_at=start, ends_at=end, now=start - timedelta(minutes=10)) is True
    assert join_is_open(starts_at=start, ends_at=end,
                        now=end - timedelta(seconds=1)) is True
    assert join_is_open(starts_at=start, ends_at=end, now=end) is False
