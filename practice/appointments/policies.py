"""The practice's booking rules as a value the services ask, instead of branching on settings:
online booking on or off, minimum notice, the cancellation cut-off, reminder times and the join
window. Pure: no database, testable with plain datetimes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

# The "Join" button of a video session shows from this long before the start until its end.
JOIN_OPENS_BEFORE = timedelta(minutes=10)
MAX_REMINDERS = 3
MAX_REMINDER_OFFSET = timedelta(days=7)


@dataclass(frozen=True)
class BookingRules:
    online_booking_enabled: bool = False
    minimum_notice: timedelta = timedelta(hours=24)
    cancellation_cutoff: timedelta = timedelta(hours=24)
    horizon: timedelta = timedelta(days=60)
    reminder_offsets: tuple[timedelta, ...] = (timedelta(hours=24), timedelta(hours=1))

    # --- clients booking online --------------------------------------------------------------

    def online_window(self, now: datetime) -> tuple[datetime, datetime]:
        """The earliest and latest start a client may book online now."""
        return now + self.minimum_notice, now + self.horizon

    def client_may_book_at(self, starts_at: datetime, now: datetime) -> bool:
        earliest, latest = self.online_window(now)
        return self.online_booking_enabled and earliest <= starts_at <= latest

    # --- cancelling --------------------------------------------------------------------------

    def cancel_deadline(self, starts_at: datetime) -> datetime:
        return starts_at - self.cancellation_cutoff

    def client_may_cancel(self, starts_at: datetime, now: datetime) -> bool:
        """Clients cancel online up to the cut-off; after it they call the practice."""
        return now <= self.cancel_deadline(starts_at)

    def is_late_cancellation(self, starts_at: datetime, now: datetime) -> bool:
        return now > self.cancel_deadline(starts_at)

    # --- reminders ---------------------------------------------------------------------------

    def reminder_times(self, starts_at: datetime, now: datetime) -> list[tuple[int, datetime]]:
        """(offset in minutes, when to send) for each reminder still ahead. A reminder whose
        moment has passed (a session booked at short notice) is not sent late: the client has
        just booked."""
        times = []
        for offset in sorted(set(self.reminder_offsets), reverse=True):
            moment = starts_at - offset
            if moment > now:
                times.append((int(offset.total_seconds() // 60), moment))
        return times


def join_is_open(*, starts_at: datetime, ends_at: datetime, now: datetime) -> bool:
    return starts_at - JOIN_OPENS_BEFORE <= now < ends_at


def rules_from(*, online_booking_enabled: bool, minimum_notice_hours: int,
               cancellation_cutoff_hours: int, booking_horizon_days: int,
               reminder_offsets_minutes: list[int]) -> BookingRules:
    return BookingRules(
        online_booking_enabled=online_booking_enabled,
        minimum_notice=timedelta(hours=minimum_notice_hours),
        cancellation_cutoff=timedelta(hours=cancellation_cutoff_hours),
        horizon=timedelta(days=booking_horizon_days),
        reminder_offsets=tuple(timedelta(minutes=int(minutes))
                               for minutes in reminder_offsets_minutes
                               if 0 < int(minutes) <= MAX_REMINDER_OFFSET.total_seconds() // 60),
    )
