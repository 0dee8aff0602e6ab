"""The practice's booking rules as a value the services ask, instead of branching on settings:
online booking on or off, minimum notice, the cancellation cut-off, reminder times and the join
window. Pure: no database, testable with plain datetimes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

# The "Join" button of a video session shows from this long before the start until its end.
JOIN_OPENS_BEFORE = timedelta(minutes=10)
MAX_REMINDERS = 3
MAX_REMINDER_OFFSET = timedelta(days=7)
SLOT_STEPS = (5, 10, 15, 30, 60)


@dataclass(frozen=True)
class BookingRules:
    online_booking_enabled: bool = False
    minimum_notice: timedelta = timedelta(hours=24)
    cancellation_cutoff: timedelta = timedelta(hours=24)
    horizon: timedelta = timedelta(days=60)
    reminder_offsets: tuple[timedelta, ...] = (timedelta(hours=24), timedelta(hours=1))
    client_reschedule_enabled: bool = True
    slot_step: timedelta = timedelta(minutes=30)

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

    # --- rescheduling by the client ----------------------------------------------------------

    def client_may_reschedule(self, starts_at: datetime, now: datetime) -> bool:
        """Clients move a session themselves when the practice allows it, up to the same
        cut-off as cancelling (later, they call the practice)."""
        return self.client_reschedule_enabled and self.client_may_cancel(starts_at, now)

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
               reminder_offsets_minutes: list[int], client_reschedule_enabled: bool = True,
               slot_step_minutes: int = 30) -> BookingRules:
    return BookingRules(
        online_booking_enabled=online_booking_enabled,
        minimum_notice=timedelta(hours=minimum_notice_hours),
        cancellation_cutoff=timedelta(hours=cancellation_cutoff_hours),
        horizon=timedelta(days=booking_horizon_days),
        reminder_offsets=tuple(timedelta(minutes=int(minutes))
                               for minutes in reminder_offsets_minutes
                               if 0 < int(minutes) <= MAX_REMINDER_OFFSET.total_seconds() // 60),
        client_reschedule_enabled=client_reschedule_enabled,
        slot_step=timedelta(minutes=slot_step_minutes if slot_step_minutes in SLOT_STEPS else 30),
    )


# --- per type: who books online, when ----------------------------------------------------------

@dataclass(frozen=True)
class TypeRules:
    """An appointment type's online booking rules."""

    audience: str = "all"  # "all", "existing" or "approved"
    same_day_allowed: bool = True
    daily_cap: int = 0  # per clinician per local day; 0: no cap
    weekly_cap: int = 0
    buffer: timedelta = timedelta(0)
    is_intake: bool = False

    def offered_to(self, *, has_sessions: bool, is_approved: bool) -> bool:
        """Whether a client sees this type online: an intake only before their first
        session; "existing" only after it; "approved" once a clinician approved them."""
        if self.is_intake and has_sessions:
            return False
        if self.audience == "existing":
            return has_sessions
        if self.audience == "approved":
            return is_approved
        return True

    def allows_day(self, *, day: date, today: date, booked_that_day: int,
                   booked_that_week: int) -> bool:
        if not self.same_day_allowed and day <= today:
            return False
        if self.daily_cap and booked_that_day >= self.daily_cap:
            return False
        return not (self.weekly_cap and booked_that_week >= self.weekly_cap)
