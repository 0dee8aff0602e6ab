"""When a notification may reach its recipient: quiet hours, reckoned in the recipient's own
timezone. Pure (no database), so daylight-saving edges are tested without one."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


def zone(name: str) -> ZoneInfo:
    """The named timezone, or UTC for a name that is blank or unknown (never an error: a
    reminder is better late in UTC than lost)."""
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


@dataclass(frozen=True)
class QuietHours:
    """From `start` to `end` local time (crossing midnight when start > end, as 21:00-08:00).
    start == end means no quiet hours."""

    start: time
    end: time

    def is_quiet(self, local: time) -> bool:
        if self.start == self.end:
            return False
        if self.start < self.end:
            return self.start <= local < self.end
        return local >= self.start or local < self.end

    def next_allowed(self, moment: datetime, timezone_name: str) -> datetime:
        """`moment` itself if it is not quiet in the timezone, else the end of the quiet
        hours it falls in (in UTC)."""
        tz = zone(timezone_name)
        local = moment.astimezone(tz)
        if not self.is_quiet(local.time().replace(tzinfo=None)):
            return moment
        end_day = local.date()
        if self.start > self.end and local.time().replace(tzinfo=None) >= self.start:
            end_day += timedelta(days=1)
        # A wall-clock end that does not exist that day (the hour skipped in spring) is read
        # with the offset before the change, which lands just after it: never earlier.
        end = datetime.combine(end_day, self.end, tzinfo=tz).astimezone(UTC)
        return max(end, moment)


NO_QUIET_HOURS = QuietHours(time(0), time(0))


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with jitter: attempt n waits base * 2**(n-1), at most `cap`, then a
    random fraction of that between one half and all of it, so failures that happened together
    (the mail server was down) are not retried together."""

    max_attempts: int
    base: timedelta
    cap: timedelta

    def delay(self, attempts_made: int, rng: random.Random | None = None) -> timedelta:
        full = min(self.cap, self.base * (2 ** max(0, attempts_made - 1)))
        fraction = (rng or random).uniform(0.5, 1.0)
        return full * fraction

    def gives_up_after(self, attempts_made: int) -> bool:
        return attempts_made >= self.max_attempts
