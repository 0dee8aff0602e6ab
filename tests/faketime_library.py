"""Print the path of the libfaketime shared library `make test-clock` preloads.

Why not Debian's `faketime`: its libfaketime (0.9.10) fakes the monotonic clock along with the
wall clock, and then every timed wait between threads (`Event.wait(timeout)`, `Thread.join(t)`,
a lock with a timeout: what dramatiq's worker does when it stops) never returns; asked to leave
the monotonic clock alone (FAKETIME_DONT_FAKE_MONOTONIC=1), its `clock_nanosleep` answers
EINVAL to every `time.sleep`. The libfaketime built inside PyPI's `libfaketime` package does
neither: with FAKETIME_DONT_FAKE_MONOTONIC=1 only the wall clock moves (what a time-of-day
dependency reads) and sleeps and timed waits run on the real monotonic clock."""

from __future__ import annotations

from pathlib import Path

import libfaketime

LIBRARY = Path(libfaketime.__file__).parent / "vendor" / "libfaketime" / "src" / "libfaketime.so.1"

if __name__ == "__main__":
    if not LIBRARY.is_file():
        raise SystemExit(f"libfaketime's shared library is not at {LIBRARY}")
    print(LIBRARY)
