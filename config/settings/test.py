from config.vapid import generate as generate_vapid_pair

from .base import *  # noqa: F403
from .base import env

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# The suite points this at the aiosmtpd server it starts.
EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
EMAIL_HOST = "127.0.0.1"
EMAIL_PORT = env.int("TEST_SMTP_PORT", default=8025)
EMAIL_USE_TLS = False
EMAIL_USE_SSL = False
STORAGES = {
    "default": {"BACKEND": "django_tenants.files.storage.TenantFileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# xdist workers share one Redis: each gets its own database number, so flushing between tests
# never touches another worker's keys.
_worker = env.str("PYTEST_XDIST_WORKER", default="gw0")
_db_number = int(_worker.removeprefix("gw") or 0) + 1
_redis = env.str("REDIS_URL").split("?")[0].rstrip("/")
if _redis.startswith("unix://"):
    REDIS_URL = f"{_redis}?db={_db_number}"
else:  # redis://host:port[/n]
    _server = _redis.rsplit("/", 1)[0] if _redis.count("/") > 2 else _redis
    REDIS_URL = f"{_server}/{_db_number}"
CACHES["default"]["LOCATION"] = REDIS_URL  # noqa: F405
DRAMATIQ_BROKER_URL = REDIS_URL
AXES_FAILURE_LIMIT = 5
LOGGING["loggers"]["mail.log"] = {"level": "WARNING"}  # noqa: F405 - aiosmtpd's chatter
# A VAPID pair of this run's own; tests/push plays the push service on 127.0.0.1.
WEBPUSH_VAPID_PRIVATE_KEY, WEBPUSH_VAPID_PUBLIC_KEY = generate_vapid_pair()
WEBPUSH_VAPID_SUBJECT = "mailto:push-test@tandem.test"
WEBPUSH_ENDPOINT_HOSTS = [*WEBPUSH_ENDPOINT_HOSTS, "127.0.0.1"]  # noqa: F405
# No spare practice schemas: provisioning clones while the test waits, as with an empty pool;
# tests/tenants/test_spares.py turns the pool on where it is the subject.
SPARE_SCHEMAS = 0
