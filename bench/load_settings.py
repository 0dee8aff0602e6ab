"""Settings of the load test's processes (web, worker, scheduler, the seeding): the production
settings, unchanged, plus a middleware that adds each request's time and its time in the
database to counters in Redis, from which bench/load.py reports the share of time spent in the
database. What production takes from the environment (secret key, Stripe and VAPID keys, where
static files and uploads live) bench/load.py sets for loopback, as infra/compose.yaml does for a
server (docs/benchmarks.md)."""

from config.settings.production import *  # noqa: F403
from config.settings.production import MIDDLEWARE

MIDDLEWARE = ["bench.dbtime.DatabaseTimeMiddleware", *MIDDLEWARE]
