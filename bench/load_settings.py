"""Settings of the load test's web processes: the benches' settings (the local settings with
DEBUG off) plus a middleware that adds each request's time and its time in the database to
counters in Redis, from which bench/load.py reports the share of time spent in the database."""

from bench.settings import *  # noqa: F403
from bench.settings import MIDDLEWARE

MIDDLEWARE = ["bench.dbtime.DatabaseTimeMiddleware", *MIDDLEWARE]
