"""`make run`: embedded services, the local Stripe, migrations, the demo seed, then web + worker +
scheduler.

Billing works as in production against localstripe (billing/devstripe.py) on STRIPE_PORT: test
keys, the plans' prices synced into it, its webhooks posted to this platform's /stripe/webhook,
its store kept under .tandem/ so customers outlive a restart. Set STRIPE_SECRET_KEY to use a
real (test-mode) Stripe account instead. Ctrl-C stops everything this started, the embedded
PostgreSQL and Redis included.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from config import embedded
from practice.demo_logins import (
    BILLING_STAFF_EMAIL,
    DEMO_LOGINS,
    DEMO_PASSWORD,
    DEMO_SUBDOMAIN,
    OPERATOR_EMAIL,
    demo_billing_totp_secret,
)

BASE_DIR = Path(__file__).resolve().parent.parent
PORT = os.environ.get("PORT", "8000")
STRIPE_PORT = os.environ.get("STRIPE_PORT", "8420")
DEV_STRIPE_SECRET_KEY = "sk_test_tandem_make_run"
DEV_STRIPE_WEBHOOK_SECRET = "whsec_tandem_make_run"
LOCAL_STRIPE_FILE = embedded.STATE_DIR / "localstripe.json"


def local_stripe_env() -> dict[str, str]:
    """The billing settings `make run` gives web, worker and scheduler (none when the person
    running it brought their own Stripe keys)."""
    if os.environ.get("STRIPE_SECRET_KEY"):
        return {}
    return {
        "STRIPE_SECRET_KEY": DEV_STRIPE_SECRET_KEY,
        "STRIPE_WEBHOOK_SECRET": DEV_STRIPE_WEBHOOK_SECRET,
        "STRIPE_API_BASE": f"http://127.0.0.1:{STRIPE_PORT}",
    }


def start_local_stripe(port: str, webhook_url: str, store: Path) -> subprocess.Popen[bytes]:
    store.parent.mkdir(parents=True, exist_ok=True)
    process = subprocess.Popen(
        [sys.executable, "-m", "billing.devstripe", "--port", port,
         "--webhook-url", webhook_url, "--webhook-secret", DEV_STRIPE_WEBHOOK_SECRET,
         "--store", str(store)],
        cwd=BASE_DIR, start_new_session=True, stdout=subprocess.DEVNULL)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"localstripe did not start (is port {port} free? "
                               "set STRIPE_PORT)")
        try:
            with socket.create_connection(("127.0.0.1", int(port)), timeout=0.2):
                return process
        except OSError:
            time.sleep(0.1)
    os.killpg(process.pid, signal.SIGTERM)
    raise RuntimeError("localstripe did not answer in 20 seconds")


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
                                              "config.settings.local"),
        PLATFORM_PORT=PORT,
        PYTHONUNBUFFERED="1",
        **local_stripe_env(),
    )
    python = sys.executable
    manage = [python, str(BASE_DIR / "manage.py")]
    children: list[subprocess.Popen[bytes]] = []
    try:
        if local_stripe_env():
            children.append(start_local_stripe(
                STRIPE_PORT, f"http://localhost:{PORT}/stripe/webhook",
                embedded.STATE_DIR / "localstripe.pickle"))
            # For `manage.py billing_demo` run by hand in another terminal (settings/local.py).
            LOCAL_STRIPE_FILE.write_text(json.dumps(local_stripe_env()))
        subprocess.run([*manage, "migrate_platform", "-v", "0"], env=env, check=True)
        subprocess.run([*manage, "seed_demo"], env=env, check=True)
        if env.get("STRIPE_SECRET_KEY"):
            subprocess.run([*manage, "sync_stripe_prices"], env=env, check=True,
                           stdout=subprocess.DEVNULL)
            # The demo practice is a paying customer (Group, monthly) in the billing console.
            subprocess.run([*manage, "billing_demo", DEMO_SUBDOMAIN, "subscribe", "--plan",
                            "group", "--if-missing"], env=env, check=True)
        commands = [
            [*manage, "runserver", f"0.0.0.0:{PORT}"],
            [python, "-m", "dramatiq", "config.worker", "--processes", "1",
             "--threads", "4"],
            [*manage, "run_scheduler"],
        ]
        for command in commands:
            children.append(subprocess.Popen(command, env=env, start_new_session=True))
        time.sleep(1.5)
        print(banner(billing=bool(env.get("STRIPE_SECRET_KEY"))), flush=True)
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
        LOCAL_STRIPE_FILE.unlink(missing_ok=True)
        services.stop()
        print("Stopped web, worker, scheduler and the embedded services.", flush=True)


def banner(billing: bool = True) -> str:
    lines = [
        "",
        "Tandem is running. Press Ctrl-C to stop everything.",
        f"  Control plane:  http://localhost:{PORT}/      (sign up a practice at /signup/)",
        f"  Operator:       http://localhost:{PORT}/operator/   {OPERATOR_EMAIL}",
        f"  Billing staff:  http://localhost:{PORT}/billing/    {BILLING_STAFF_EMAIL}",
        f"    two-step sign-in: add the key {demo_billing_totp_secret()} to an authenticator "
        "app (TOTP, 6 digits, 30 s)",
        f"  Demo practice:  http://{DEMO_SUBDOMAIN}.localhost:{PORT}/",
    ]
    lines += [f"    {role:<11} {email}" for role, email in DEMO_LOGINS]
    lines += [f"  Password for every demo login: {DEMO_PASSWORD}"]
    if billing:
        lines += [
            f"  Stripe:         localstripe on http://127.0.0.1:{STRIPE_PORT}/ (test card "
            "4242…; nothing is charged)",
            "  Billing states: python manage.py billing_demo SUBDOMAIN "
            "end-trial|fail-payment|end-grace|pay",
        ]
    lines.append("")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
