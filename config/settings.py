"""The only settings module: everything comes from the environment, with defaults that make a fresh clone work.

Embedded defaults (no variable set): SQLite under var/, Celery over kombu's filesystem transport under var/
(no broker to install), console e-mail, DEBUG on. Production sets DEBUG=0 and then must provide SECRET_KEY,
ALLOWED_HOSTS, DATABASE_URL, REDIS_URL and FIELD_ENCRYPTION_KEYS, or start-up fails with a clear message.
"""

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("BSS_VAR_DIR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value else default


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def require(name: str) -> str:
    value = os.environ.get(name, "")
    if not value:
        raise ImproperlyConfigured(f"{name} must be set when DEBUG is off (see .env.example).")
    return value


DEBUG = env_bool("DEBUG", True)

if DEBUG:
    SECRET_KEY = env_str("SECRET_KEY", "dev-only-insecure-key-do-not-use-in-production-3f9a1c")
    ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1],testserver")
else:
    SECRET_KEY = require("SECRET_KEY")
    ALLOWED_HOSTS = env_list("ALLOWED_HOSTS") or [require("ALLOWED_HOSTS")]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "bss",
    "bss.security",
    "api",
    "catalog",
    "catalog.resellerprices",
    "provisioning",
    "reconciliation",
    "reconciliation.imports",
    "reconciliation.money",
    "reconciliation.usage",
    "storefront",
    "storefront.workspace",
    "accounts",
    "backoffice",
    "demo",
    "billing",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "config.middleware.SecurityHeadersMiddleware",  # outside WhiteNoise, so static files carry the headers too
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "config.middleware.RequestContextMiddleware",
    "accounts.middleware.MFAEnforcementMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "config.context_processors.navigation",
                "storefront.tier2.context_processors.branding",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'cspbss.sqlite3'}"),
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The demo runs web + worker + simulator at once; WAL and a busy timeout keep SQLite from "database is locked".
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "bss.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = VAR_DIR / "staticfiles"
STATIC_ROOT.mkdir(exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
MEDIA_ROOT = VAR_DIR / "media"
MEDIA_URL = "/media/"

# --- E-mail -------------------------------------------------------------------------------------------------
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "cspbss <noreply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# Who at the provider hears of a failed order (the reseller's failure e-mail says "our team has been notified"):
# these addresses, plus the active staff users in the group named by ORDER_FAILURE_NOTIFY_GROUP.
ORDER_FAILURE_NOTIFY = env_list("ORDER_FAILURE_NOTIFY")
ORDER_FAILURE_NOTIFY_GROUP = env_str("ORDER_FAILURE_NOTIFY_GROUP", "Order failure notifications")

# --- Secrets at rest ----------------------------------------------------------------------------------------
# Fernet keys, newest first; older keys still decrypt (rotation). Dev derives one from SECRET_KEY.
FIELD_ENCRYPTION_KEYS = env_list("FIELD_ENCRYPTION_KEYS")
if not FIELD_ENCRYPTION_KEYS and not DEBUG:
    require("FIELD_ENCRYPTION_KEYS")

# --- Security (production) ----------------------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 8 * 3600)
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if not DEBUG:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31_536_000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
    if env_bool("BEHIND_TLS_PROXY", True):
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

# --- Accounts: MFA, sign-in protection, sessions (bss.security) ---------------------------------------------
# Staff always, and reseller users whose reseller requires it, must sign in with an authenticator app.
MFA_ENFORCED = env_bool("MFA_ENFORCED", True)
# Treat sessions not created by the two-step sign-in (no stamp) as "no second factor yet". On in production; off
# in development and tests so that client.force_login() sessions are not sent to enrolment.
MFA_STRICT_SESSIONS = env_bool("MFA_STRICT_SESSIONS", not DEBUG)
MFA_ISSUER = env_str("MFA_ISSUER", "cspbss")
# Failed sign-ins (wrong password or wrong code) within the window lock the account name / the IP address.
LOGIN_LOCKOUT_MAX_FAILURES_PER_ACCOUNT = env_int("LOGIN_LOCKOUT_MAX_FAILURES_PER_ACCOUNT", 5)
LOGIN_LOCKOUT_MAX_FAILURES_PER_IP = env_int("LOGIN_LOCKOUT_MAX_FAILURES_PER_IP", 30)
LOGIN_LOCKOUT_WINDOW_SECONDS = env_int("LOGIN_LOCKOUT_WINDOW_SECONDS", 15 * 60)
LOGIN_LOCKOUT_DURATION_SECONDS = env_int("LOGIN_LOCKOUT_DURATION_SECONDS", 15 * 60)
PASSWORD_RESET_TIMEOUT = env_int("PASSWORD_RESET_TIMEOUT", 3600)
# Password-reset e-mails: requests handled per e-mail address and per IP address within the window (known addresses
# or not; requests over a limit are dropped silently, so the page answers the same either way).
PASSWORD_RESET_LIMIT_PER_ADDRESS = env_int("PASSWORD_RESET_LIMIT_PER_ADDRESS", 3)
PASSWORD_RESET_LIMIT_PER_IP = env_int("PASSWORD_RESET_LIMIT_PER_IP", 20)
PASSWORD_RESET_LIMIT_WINDOW_SECONDS = env_int("PASSWORD_RESET_LIMIT_WINDOW_SECONDS", 3600)
SESSION_EXPIRE_AT_BROWSER_CLOSE = env_bool("SESSION_EXPIRE_AT_BROWSER_CLOSE", True)
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"

# --- Celery -------------------------------------------------------------------------------------------------
REDIS_URL = env_str("REDIS_URL")
CELERY_TIMEZONE = TIME_ZONE
# Redis redelivers an unacknowledged message after this; no task countdown may exceed it (long waits are rows
# with a due time picked up by a periodic task instead).
CELERY_VISIBILITY_TIMEOUT = env_int("CELERY_VISIBILITY_TIMEOUT", 3600)
CELERY_MAX_COUNTDOWN = CELERY_VISIBILITY_TIMEOUT // 2
CELERY_RESULT_BACKEND: str | None
CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, object]
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_RESULT_BACKEND = REDIS_URL
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": CELERY_VISIBILITY_TIMEOUT}
else:
    # Embedded default: kombu's filesystem transport needs no broker process; `make demo` runs one worker on it.
    _queue_dir = VAR_DIR / "celery" / "queue"
    _queue_dir.mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_queue_dir),
        "data_folder_out": str(_queue_dir),
        "control_folder": str(VAR_DIR / "celery" / "control"),
        "store_processed": False,
    }
    CELERY_RESULT_BACKEND = None
# Tasks are acknowledged after they finish, so a worker killed mid-task leaves the message for another worker.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
# Sweeps (per-customer reconciliation, catalog imports, customer imports) have their own queue, so a nightly run over
# thousands of customers never delays an order's provisioning; production gives it a small dedicated worker pool.
CELERY_TASK_ROUTES = {
    "reconciliation.tasks.reconciliation_customer_task": {"queue": "sweeps"},
    "catalog.tasks.catalog_run_task": {"queue": "sweeps"},
    "imports.*": {"queue": "sweeps"},
}

# --- Partner Center -----------------------------------------------------------------------------------------
# Where shared rate-limit buckets live (all workers of all hosts share one budget per instance).
PARTNER_CENTER_RATE_LIMIT_REDIS_URL = env_str("PARTNER_CENTER_RATE_LIMIT_REDIS_URL", REDIS_URL)
# Requests per minute per resource family where Microsoft grants a partner more than the published 500 (or a test
# Partner Center enforces another limit): "subscriptions=4850,customers=1000"; empty = partnercenter's defaults.
PARTNER_CENTER_RATE_LIMITS = env_str("PARTNER_CENTER_RATE_LIMITS")
# A task that can be rescheduled (one per customer or step) never sleeps longer than this for budget: past it the
# limiter raises a retryable error and the task retries itself when a token exists.
PARTNER_CENTER_RATE_LIMIT_MAX_WAIT_SECONDS = float(env_str("PARTNER_CENTER_RATE_LIMIT_MAX_WAIT_SECONDS", "2"))
PARTNER_CENTER_TIMEOUT_SECONDS = float(env_str("PARTNER_CENTER_TIMEOUT_SECONDS", "30"))
PARTNER_CENTER_MAX_RETRIES = env_int("PARTNER_CENTER_MAX_RETRIES", 4)
# CA bundle for a Partner Center endpoint with a private CA (the demo simulator's); empty = system CAs.
PARTNER_CENTER_CA_BUNDLE = env_str("PARTNER_CENTER_CA_BUNDLE")

# --- Workspace ---------------------------------------------------------------------------------------------
# Renewal reminders go out this many days before a subscription auto-renews.
RENEWAL_REMINDER_DAYS = env_int("RENEWAL_REMINDER_DAYS", 30)

# --- Catalog ------------------------------------------------------------------------------------------------
# Day of the month the monthly catalog sync runs (Microsoft publishes its price list on the 1st).
CATALOG_SYNC_DAY = env_int("CATALOG_SYNC_DAY", 2)
# A sync or price-list import that would discontinue more than this share of the instance+market's active products,
# or reprice more than this share of its current prices, is held until someone confirms it in the back office (a
# truncated price list would otherwise discontinue most of the catalog).
CATALOG_CONFIRM_DISCONTINUED_SHARE = float(env_str("CATALOG_CONFIRM_DISCONTINUED_SHARE", "0.10"))
CATALOG_CONFIRM_REPRICED_SHARE = float(env_str("CATALOG_CONFIRM_REPRICED_SHARE", "0.25"))

# --- Provisioning, reconciliation, tier-2 (every knob readable from the environment) ---------------------------
# A worker's claim on a provisioning step, renewed by a heartbeat while the step runs; once a dead worker's lease runs
# out, the periodic sweep reads the step back ("unknown") and another worker takes it: recovery within about a minute.
PROVISIONING_LEASE_SECONDS = env_int("PROVISIONING_LEASE_SECONDS", 45)
# How often a running step's heartbeat renews its lease (at most a third of the lease).
PROVISIONING_LEASE_HEARTBEAT_SECONDS = env_int("PROVISIONING_LEASE_HEARTBEAT_SECONDS", 10)
PROVISIONING_RETRY_BASE_SECONDS = env_int("PROVISIONING_RETRY_BASE_SECONDS", 5)
# A new tenant's initial admin password (encrypted) is deleted once shown, or after this many hours.
PROVISIONING_CREDENTIALS_TTL_HOURS = env_int("PROVISIONING_CREDENTIALS_TTL_HOURS", 72)
# Customers checked at once by a reconciliation run (each one Partner Center read, under the shared rate limit).
RECONCILIATION_CONCURRENCY = env_int("RECONCILIATION_CONCURRENCY", 4)
# The provider's price to a tenant reseller when no wholesale rule is set: percent over Partner Center cost.
TIER2_WHOLESALE_PERCENT = env_str("TIER2_WHOLESALE_PERCENT", "10")

# --- Cache (API throttling, shared counters) ------------------------------------------------------------------
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    if REDIS_URL
    else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "cspbss"}
}

# --- REST framework -----------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "api.keys.ApiKeyAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_THROTTLE_CLASSES": ["api.throttling.PerKeyRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {"per_key": env_str("API_THROTTLE_RATE", "600/min")},
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "api.pagination.StrictPageNumberPagination",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    # JSON in, JSON out: integrations speak JSON; the browsable API still renders for signed-in users.
    "DEFAULT_PARSER_CLASSES": ["api.parsers.JSONParser"],
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "api.errors.exception_handler",
}
# Swagger UI assets come from the sidecar package and are served by the app itself: no CDN.
SPECTACULAR_SETTINGS = {
    "TITLE": "cspbss API",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # The schema is documentation: readable without credentials (the operations still need them).
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    # Separate request/response components, so required/read-only/minLength are exact for each direction.
    "COMPONENT_SPLIT_REQUEST": True,
    # Choice sets whose field name ("kind", "status") other components use for other choices.
    "ENUM_NAME_OVERRIDES": {
        "MicrosoftInvoiceKindEnum": "reconciliation.money.choices.InvoiceKind",
        "MicrosoftImportStatusEnum": "reconciliation.money.choices.ImportStatus",
    },
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "api.schema.add_error_responses",
    ],
}

# --- Logging ------------------------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    # Every handler redacts bearer tokens, client secrets, refresh tokens and passwords (bss.security).
    "filters": {"redact_secrets": {"()": "bss.security.log_filters.RedactSecretsFilter"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["redact_secrets"]}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
