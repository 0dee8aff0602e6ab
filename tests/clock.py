"""Time in tests is explicit (a pytest plugin, loaded by tests/conftest.py).

Two parts:

* The `clock` fixture pins "now" for a test whose result depends on the hour, the day or the
  timezone. It starts at `DEFAULT` (a Wednesday, 18:00 UTC: daytime in London and in every
  American zone the tests use, outside any quiet hours) unless the test moves it with
  `clock.at(...)`, and it ticks, so code that needs time to pass (ordering by a timestamp, an
  expiry) still sees it pass. `clock.shift(...)` jumps forward or back.

* The guard: every other test runs with the clock moved to `--clock-at` (default 07:30 UTC of
  today's date, ticking). 07:30 UTC is inside quiet hours (21:00-08:00) in Europe/London and
  in America/New_York, Chicago, Denver and Los_Angeles, and it is still yesterday in the
  Americas: a test that silently assumes daytime, or that the local date is the UTC date, fails
  on every run, not only when the wall clock happens to be there. `--clock-at=HH:MM` tries
  another hour; `--clock-at=wall` turns the guard off (`make test-clock` does, since it fakes
  the clock of every process with libfaketime instead). TANDEM_CLOCK_AT sets the default.

time-machine moves Python's clock in this process only. Whatever keeps its own clock does not
move: PostgreSQL's now() (the code uses none: every timestamp is written from Python), Redis
TTLs (relative, so unaffected), processes a test starts and Chromium (cookie expiry). Tests
that run such processes on the wall clock are marked `wall_clock` (every `browser` test is) and
the guard leaves them alone; they must not use `clock` far from the real time either.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from datetime import UTC, datetime, time, timedelta

import pytest
import time_machine

# Wednesday 17 June 2026, 18:00 UTC: 19:00 in London, 14:00 in New York, 11:00 in Los Angeles.
DEFAULT = datetime(2026, 6, 17, 18, 0, tzinfo=UTC)
GUARD_DEFAULT = "07:30"
WALL = "wall"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--clock-at", default=os.environ.get("TANDEM_CLOCK_AT", GUARD_DEFAULT),
        help="UTC time of day (HH:MM) every test not using the `clock` fixture starts at "
             f"(today's date, ticking); '{WALL}' for the real clock. Default {GUARD_DEFAULT}, "
             "inside quiet hours in London and the Americas.")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "wall_clock: runs processes (or a browser) on the real clock; the time "
                   "guard (--clock-at) leaves this test on the wall clock")
    value = config.getoption("--clock-at")
    if value != WALL and not re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d", value):
        raise pytest.UsageError(f"--clock-at must be HH:MM (UTC) or '{WALL}', not {value!r}")


def pytest_report_header(config: pytest.Config) -> str:
    value = config.getoption("--clock-at")
    if value == WALL:
        return "clock: wall clock (no --clock-at guard)"
    return f"clock: tests start at {value} UTC today (--clock-at); `clock` fixture pins its own"


def guard_start(value: str, now: datetime | None = None) -> datetime:
    """Today's date (UTC) at the HH:MM of `value`."""
    now = now or datetime.now(UTC)
    hour, minute = (int(part) for part in value.split(":"))
    return datetime.combine(now.date(), time(hour, minute), tzinfo=UTC)


@pytest.fixture(autouse=True)
def _clock_guard(request: pytest.FixtureRequest) -> Iterator[None]:
    value = request.config.getoption("--clock-at")
    if value == WALL or request.node.get_closest_marker("wall_clock") \
            or request.node.get_closest_marker("browser"):
        yield
        return
    with time_machine.travel(guard_start(value), tick=True):
        yield


class Clock:
    """The pinned "now" of one test. Times are aware datetimes (or ISO strings with an
    offset); the clock ticks from where it is put unless `tick=False`."""

    def __init__(self) -> None:
        self._travel: time_machine.travel | None = None

    def at(self, when: datetime | str, *, tick: bool = True) -> datetime:
        moment = datetime.fromisoformat(when) if isinstance(when, str) else when
        if moment.tzinfo is None:
            raise ValueError("clock.at needs an aware datetime (say which timezone)")
        self.stop()
        self._travel = time_machine.travel(moment, tick=tick)
        self._travel.start()
        return moment

    def shift(self, delta: timedelta) -> datetime:
        """Jump by `delta` from now (keeps ticking as before)."""
        assert self._travel is not None
        return self.at(self.now() + delta, tick=self._travel.tick)

    def now(self) -> datetime:
        return datetime.now(UTC)

    def stop(self) -> None:
        if self._travel is not None:
            self._travel.stop()
            self._travel = None


@pytest.fixture
def clock(_clock_guard: None) -> Iterator[Clock]:
    """Pins now at `DEFAULT` (daytime everywhere the tests look); `clock.at(...)` moves it."""
    pinned = Clock()
    pinned.at(DEFAULT)
    yield pinned
    pinned.stop()
