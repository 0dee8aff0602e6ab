"""`make run`: embedded services, migrations, the demo seed, then web + worker + scheduler.

Ctrl-C stops everything this started, the embedded PostgreSQL and Redis included.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from controlplane import embedded

BASE_DIR = Path(__file__).resolve().parent.parent
PORT = os.environ.get("PORT", "8000")


def _interrupt(_signum: int, _frame: object) -> None:
    raise KeyboardInterrupt


def main() -> int:
    # SIGTERM (e.g. from a supervisor) stops everything just like Ctrl-C does.
    signal.signal(signal.SIGTERM, _interrupt)
    services = embedded.start("dev")
    env = dict(
        os.environ,
        DATABASE_URL=services.database_url,
        REDIS_URL=services.redis_url,
        DJANGO_SETTINGS_MODULE=os.environ.get("DJANGO_SETTINGS_MODULE",
                                              "controlplane.settings.local"),
        PLATFORM_PORT=PORT,
        PYTHONUNBUFFERED="1",
    )
    python = sys.executable
    manage = [python, str(BASE_DIR / "manage.py")]
    children: list[subprocess.Popen[bytes]] = []
    try:
        subprocess.run([*manage, "migrate_platform", "-v", "0"], env=env, check=True)
        subprocess.run([*manage, "seed_demo"], env=env, check=True)
        commands = [
            [*manage, "runserver", f"0.0.0.0:{PORT}"],
            [python, "-m", "dramatiq", "controlplane.worker", "--processes", "1",
             "--threads", "4"],
            [*manage, "run_scheduler"],
        ]
        for command in commands:
            children.append(subprocess.Popen(command, env=env, start_new_session=True))
        time.sleep(1.5)
        print(banner(), flush=True)
        while all(child.poll() is None for child in children):
            time.sleep(0.5)
        return 1
    except KeyboardInterrupt:
        return 0
    except subprocess.CalledProcessError as error:
        return error.returncode
    finally:
        for child in children:
            if child.poll() is None:
                os.killpg(child.pid, signal.SIGTERM)
        for child in children:
            try:
                child.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(child.pid, signal.SIGKILL)
        services.stop()
        print("Stopped web, worker, scheduler and the embedded services.", flush=True)


def banner() -> str:
    from practice.demo_logins import DEMO_LOGINS, DEMO_PASSWORD, DEMO_SUBDOMAIN, OPERATOR_EMAIL

    lines = [
        "",
        "Tandem is running. Press Ctrl-C to stop everything.",
        f"  Control plane:  http://localhost:{PORT}/      (sign up a practice at /signup/)",
        f"  Operator:       http://localhost:{PORT}/operator/   {OPERATOR_EMAIL}",
        f"  Demo practice:  http://{DEMO_SUBDOMAIN}.localhost:{PORT}/",
    ]
    lines += [f"    {role:<11} {email}" for role, email in DEMO_LOGINS]
    lines += [f"  Password for every demo login: {DEMO_PASSWORD}", ""]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
