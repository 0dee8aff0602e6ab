"""Settings for the benchmarks: the local settings with DEBUG off, as in production (no query
log, no debug templates, no debug error pages), and practice hosts served by `bench.urls` (the
practice's own URLs plus the benches' minimal page)."""

from config.settings.local import *  # noqa: F403

DEBUG = False
ROOT_URLCONF = "bench.urls"
# The notifications bench's push service listens on loopback (bench/push_receiver.py); plain HTTP
# is accepted only there (practice/notifications/push_services.py).
WEBPUSH_ENDPOINT_HOSTS = [*WEBPUSH_ENDPOINT_HOSTS, "127.0.0.1"]  # noqa: F405
