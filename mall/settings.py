"""Settings for the mall back office, read from the environment.

Two runtime modes (docs/ARCHITECTURE.md):

* embedded (no environment): SQLite file, local-memory cache, Celery tasks run
  eagerly in-process — `make demo` works with nothing but Python;
* services: ``DATABASE_URL`` (PostgreSQL) and ``REDIS_URL`` (cache + Celery broker),
  with a separate Celery worker and beat.

Production hardening (HTTPS, secure cookies, HSTS) is switched on with
``DJANGO_SECURE=1``; see docs/DEPLOY.md.
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.urls import reverse_lazy
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value not in (None, "") else default


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


# --- mode -----------------------------------------------------------------------------
DEMO_MODE = env_bool("MALL_DEMO")
DEBUG = env_bool("DJANGO_DEBUG", default=DEMO_MODE)
SECURE = env_bool("DJANGO_SECURE")
TESTING = False  # mall/settings_test.py turns it on

_INSECURE_DEV_KEY = "django-insecure-dev-only-key-never-use-in-production-0123456789"
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", _INSECURE_DEV_KEY)
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1],testserver")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")

# --- apps -----------------------------------------------------------------------------
INSTALLED_APPS = [
    # The admin theme (docs/ADMIN.md); before django.contrib.admin so its templates win.
    "unfold",
    "unfold.contrib.filters",
    "unfold.contrib.forms",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "guardian",
    "django_celery_beat",
    "mall.core",
    # Dependency order (DESIGN.md §3): an app imports only from apps above it.
    "rbac",
    "ops",
    "catalog",
    "dispatch",
    "members",
    "orders",
    "payments",
    "risk",
    # Edge apps (DESIGN.md §3 "ops/reports/ (and similar)"): they import any app above;
    # nothing imports them.
    "ops.backups",
    "ops.reports",
    "ops.monitoring",
    "ops.tickets",
]

MIDDLEWARE = [
    # First: times everything below it and answers /metrics before the host/HTTPS checks.
    "mall.core.metrics.MetricsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "mall.core.middleware.RequestContextMiddleware",
    "mall.core.inputs.ControlCharacterMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "mall.core.middleware.TwoFactorMiddleware",
    # The staff member's own language (rbac StaffProfile.language) beats Accept-Language.
    "rbac.middleware.StaffLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "mall.urls"
WSGI_APPLICATION = "mall.wsgi.application"

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
            ],
        },
    },
]

# --- data -----------------------------------------------------------------------------
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # SQLite: wait for a write lock instead of failing at once (eager Celery + web).
    DATABASES["default"]["OPTIONS"] = {"timeout": 20}
    DATABASES["default"]["CONN_MAX_AGE"] = 0
if os.environ.get("DATABASE_REPLICA_URL"):
    DATABASES["replica"] = dj_database_url.parse(os.environ["DATABASE_REPLICA_URL"])
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
DATABASE_ROUTERS = ["mall.core.db_router.ReplicaRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
IS_POSTGRES = DATABASES["default"]["ENGINE"].endswith("postgresql")

REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": os.environ.get("CACHE_KEY_PREFIX", "mall"),
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# The flash-sale gate (docs/FLASH_SALE.md): Redis answers a sale's losers before the
# database. Empty: no gate (the database alone decides).
FLASH_GATE_REDIS_URL = os.environ.get("FLASH_GATE_REDIS_URL", REDIS_URL)

# --- auth -----------------------------------------------------------------------------
AUTHENTICATION_BACKENDS = [
    "mall.core.auth_backends.LockoutModelBackend",
    "guardian.backends.ObjectPermissionBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "admin:login"
# The theme's login form posts no "next" when none was asked for: land on the workbench,
# not Django's default /accounts/profile/ (a 404 here).
LOGIN_REDIRECT_URL = "admin:index"
GUARDIAN_RAISE_403 = False
ANONYMOUS_USER_NAME = None  # guardian: no anonymous user row

# Failed-login lockout (per username and per client IP). Moved to system parameters
# once ops owns them; until then settings, overridable from the environment.
AUTH_LOCKOUT_MAX_FAILURES = env_int("AUTH_LOCKOUT_MAX_FAILURES", 5)
AUTH_LOCKOUT_IP_MAX_FAILURES = env_int("AUTH_LOCKOUT_IP_MAX_FAILURES", 20)
AUTH_LOCKOUT_WINDOW_SECONDS = env_int("AUTH_LOCKOUT_WINDOW_SECONDS", 15 * 60)
AUTH_LOCKOUT_SECONDS = env_int("AUTH_LOCKOUT_SECONDS", 15 * 60)

# --- i18n -----------------------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
# locale/third_party: zh_Hans for django-unfold (it ships none) and other packages' gaps
# (`make third-party-messages`); last among these, and a test keeps it from
# contradicting any app catalog (LOCALE_PATHS override the apps' catalogs).
LOCALE_PATHS = [
    BASE_DIR / "mall" / "core" / "locale",
    BASE_DIR / "templates" / "locale",
    BASE_DIR / "locale" / "third_party",
]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True
CURRENCY = "CNY"

# --- the admin (docs/ADMIN.md) -----------------------------------------------------------
# django-unfold: every asset (CSS, fonts, Alpine, htmx, Chart.js) is served from its
# own static files, never a CDN. The sidebar groups work, not apps
# (mall.core.navigation); the index is the workbench (ops.workbench).
UNFOLD = {
    "SITE_TITLE": _("Mall back office"),
    "SITE_HEADER": _("Mall back office"),
    "SITE_SYMBOL": "storefront",
    # No "back to the site" link: the back office has no site behind it at "/".
    "SITE_URL": None,
    "SHOW_HISTORY": True,
    "SHOW_VIEW_ON_SITE": False,
    "SHOW_BACK_BUTTON": True,
    "SIDEBAR": {
        "show_search": False,
        "show_all_applications": False,
        "navigation": "mall.core.navigation.sidebar",
    },
    "DASHBOARD_CALLBACK": "ops.workbench.dashboard_callback",
    # 中文/English in the user menu, saved on the staff profile (rbac.views.language_set).
    "SHOW_LANGUAGES": True,
    "LANGUAGES": {"action": reverse_lazy("rbac-language")},
    "COLORS": {
        "primary": {
            "50": "oklch(97.1% .013 17.38)",
            "100": "oklch(93.6% .032 17.717)",
            "200": "oklch(88.5% .062 18.334)",
            "300": "oklch(80.8% .114 19.571)",
            "400": "oklch(70.4% .191 22.216)",
            "500": "oklch(63.7% .237 25.331)",
            "600": "oklch(57.7% .245 27.325)",
            "700": "oklch(50.5% .213 27.518)",
            "800": "oklch(44.4% .177 26.899)",
            "900": "oklch(39.6% .141 25.723)",
            "950": "oklch(25.8% .092 26.042)",
        },
    },
}

# --- static and media -------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
MEDIA_URL = "media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / "media"))
# Export results and uploaded import files: served only through the API to the person who
# asked (mall.core.filejobs), never under MEDIA_URL. Web and workers must share it.
PRIVATE_MEDIA_ROOT = Path(os.environ.get("PRIVATE_MEDIA_ROOT", BASE_DIR / "private"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "private": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": PRIVATE_MEDIA_ROOT, "base_url": None},
    },
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if SECURE
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
# Outside production, whitenoise serves straight from the apps (no collectstatic).
WHITENOISE_USE_FINDERS = not SECURE
WHITENOISE_AUTOREFRESH = DEBUG
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024

# --- security (DJANGO_SECURE=1 in production) -------------------------------------------
SECURE_SSL_REDIRECT = SECURE and env_bool("DJANGO_SSL_REDIRECT", True)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if SECURE else None
# How many reverse proxies of ours stand in front of the app, each appending to
# X-Forwarded-For (docker-compose: 1, nginx). 0 = clients connect directly and the
# header is ignored. mall.core.context.client_ip_from_meta is the one reader.
TRUSTED_PROXY_COUNT = int(os.environ.get("TRUSTED_PROXY_COUNT", "0"))
SESSION_COOKIE_SECURE = SECURE
CSRF_COOKIE_SECURE = SECURE
SECURE_HSTS_SECONDS = env_int("DJANGO_HSTS_SECONDS", 31536000) if SECURE else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE
SECURE_HSTS_PRELOAD = SECURE
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 8 * 3600)

# --- REST API -------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "mall.core.authentication.StaffTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["mall.core.permissions.IsStaffUser"],
    "DEFAULT_PAGINATION_CLASS": "mall.core.pagination.DefaultCursorPagination",
    "PAGE_SIZE": 20,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "mall.core.exceptions.api_exception_handler",
    "DEFAULT_PARSER_CLASSES": [
        "mall.core.inputs.BoundedJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"]
    + ([] if SECURE else ["rest_framework.renderers.BrowsableAPIRenderer"]),
    "DEFAULT_THROTTLE_RATES": {
        "member_login": os.environ.get("THROTTLE_MEMBER_LOGIN", "10/min"),
        # per sender IP, on the payment channels' callback endpoints
        "payment_notify": os.environ.get("THROTTLE_PAYMENT_NOTIFY", "3000/min"),
        "member_register": os.environ.get("THROTTLE_MEMBER_REGISTER", "5/min"),
        "member_sms_code": os.environ.get("THROTTLE_MEMBER_SMS_CODE", "5/min"),
    },
    "COERCE_DECIMAL_TO_STRING": True,
    "DATETIME_FORMAT": "iso-8601",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Mall back office API",
    "DESCRIPTION": "Storefront, staff and finance API of the mall back office.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Swagger UI assets served by us, not a CDN: intranets and these machines have no internet.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # Choice sets that share a field name across apps get their own schema names.
    "ENUM_NAME_OVERRIDES": {
        "TicketStatusEnum": "ops.tickets.models.Ticket.Status",
        "TicketKindEnum": "ops.tickets.models.Ticket.Kind",
        "TicketSourceEnum": "ops.tickets.models.Ticket.Source",
        "CouponKindEnum": "members.models.CouponTemplate.Kind",
        "CategoryChangeKindEnum": "catalog.models.CategoryChangeRequest.Kind",
        "MemberStatusEnum": "members.models.Member.Status",
        "ShipmentStatusEnum": "dispatch.models.Shipment.Status",
        "SalesChannelKindEnum": "orders.models.SalesChannel.Kind",
        "AfterSaleKindEnum": "orders.models.AfterSale.Kind",
        "ChannelLedgerKindEnum": "orders.models.ChannelLedgerEntry.Kind",
        "MemberChannelEnum": "members.models.Member.Channel",
        "PaymentChannelEnum": "payments.models.Channel",
        "PaymentSceneEnum": "payments.models.Scene",
        "PaymentPurposeEnum": "payments.models.PaymentTransaction.Purpose",
        "PaymentTransactionStatusEnum": "payments.models.PaymentTransaction.Status",
        "RefundStatusEnum": "payments.models.Refund.Status",
        "PaymentAnomalyStatusEnum": "payments.models.PaymentAnomaly.Status",
        "SettlementStatusEnum": "payments.models.Settlement.Status",
    },
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "mall.core.schema.add_error_responses",
    ],
}
IDEMPOTENCY_KEY_TTL = timedelta(hours=env_int("IDEMPOTENCY_KEY_TTL_HOURS", 48))
# An in-flight key whose worker died is taken over by a retry after this lease; it
# must exceed the longest a request may run (gunicorn timeout 30 s).
IDEMPOTENCY_IN_FLIGHT_LEASE_SECONDS = env_int("IDEMPOTENCY_IN_FLIGHT_LEASE_SECONDS", 120)

# --- Celery ---------------------------------------------------------------------------
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = REDIS_URL or "cache+memory://"
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL or env_bool("CELERY_EAGER")
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True  # every task is idempotent (STYLE.md "Celery")
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
CELERY_RESULT_EXPIRES = 24 * 3600
# Longest countdown/ETA we use is 2 h; the visibility timeout must exceed it or Redis
# redelivers the message to a second worker while the first still waits.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 4 * 3600}
CELERY_RESULT_BACKEND_TRANSPORT_OPTIONS = {"visibility_timeout": 4 * 3600}
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Limits and recycling (docs/DEPLOY.md "Celery"). The soft limit raises
# SoftTimeLimitExceeded inside the task so job_run records the failure; the hard limit
# kills a task that ignores it; a child process is replaced after N tasks to cap leaks.
CELERY_TASK_SOFT_TIME_LIMIT = env_int("CELERY_TASK_SOFT_TIME_LIMIT", 25 * 60)
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", 30 * 60)
CELERY_WORKER_MAX_TASKS_PER_CHILD = env_int("CELERY_WORKER_MAX_TASKS_PER_CHILD", 200)
# Results nobody reads are not stored (outcomes live in JobRun rows); a task whose
# caller reads the result opts in here. The worker integration test reads heartbeat's.
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ANNOTATIONS = {"ops.tasks.heartbeat_task": {"ignore_result": False}}
# Workers log through LOGGING below (JSON with the request id), not Celery's own format.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False

# --- logging --------------------------------------------------------------------------
# LOG_FORMAT: "json" (one object per line with the request id; default in production)
# or "plain" (readable; default in development and the demo). mall/core/logs.py.
LOG_FORMAT = os.environ.get("LOG_FORMAT", "").strip().lower() or (
    "json" if SECURE and not DEMO_MODE else "plain"
)
if LOG_FORMAT not in {"json", "plain"}:
    raise ValueError(f"LOG_FORMAT must be json or plain, not {LOG_FORMAT!r}")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "mall.core.context.RequestIdLogFilter"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s"},
        "json": {"()": "mall.core.logs.JsonFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT,
            "filters": ["request_id"],
        }
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}


# --- domain secrets and retention (see docs/DEPLOY.md) ----------------------------------
# Personal data at rest: comma-separated "key_id:base64(32 bytes)" AES-GCM keys, the first
# encrypts, all decrypt (rotation); the lookup key makes the phone search hash.
# Embedded/demo/test mode falls back to keys derived from SECRET_KEY (members/crypto.py);
# `check --deploy` with DJANGO_SECURE=1 refuses to run without real keys.
PII_ENCRYPTION_KEYS = env_list("PII_ENCRYPTION_KEYS")
PII_LOOKUP_KEY = os.environ.get("PII_LOOKUP_KEY", "")
PAYMENT_SANDBOX_SECRET = os.environ.get(
    "PAYMENT_SANDBOX_SECRET", "sandbox-secret" if (DEMO_MODE or DEBUG or not SECURE) else ""
)
# Payment channels (docs/PAYMENTS_MERCHANT_SETUP.md): a JSON file of
# {"wechat": {...}, "alipay": {...}, "unionpay": {...}} with key and certificate paths;
# a channel is offered only when configured. The sandbox channel exists only while
# PAYMENT_SANDBOX_SECRET is set (demo, development, tests — never by default in
# production); the member balance channel unless PAYMENT_BALANCE_ENABLED=0.
PAYMENT_GATEWAYS: dict = {}
if os.environ.get("PAYMENT_GATEWAYS_FILE"):
    import json as _json

    with open(os.environ["PAYMENT_GATEWAYS_FILE"], encoding="utf-8") as _file:
        PAYMENT_GATEWAYS = _json.load(_file)
if PAYMENT_SANDBOX_SECRET:
    PAYMENT_GATEWAYS.setdefault("sandbox", {"secret": PAYMENT_SANDBOX_SECRET})
if env_bool("PAYMENT_BALANCE_ENABLED", True):
    PAYMENT_GATEWAYS.setdefault("balance", {})
# Public base URL the channels call back (https://mall.example.com); empty: the request's.
PAYMENT_NOTIFY_BASE_URL = os.environ.get("PAYMENT_NOTIFY_BASE_URL", "").rstrip("/")
STAFF_TOKEN_TTL_HOURS = env_int("STAFF_TOKEN_TTL_HOURS", 12)
# Key of the HMAC that stores staff API tokens (mall.core.services); empty: derived from
# SECRET_KEY. Changing either invalidates every staff token (docs/SECURITY.md).
STAFF_TOKEN_HASH_KEY = os.environ.get("STAFF_TOKEN_HASH_KEY", "")
# Two-factor login (TOTP) for superusers and holders of the permissions the parameter
# security.two_factor_permissions lists: on by default in production (DJANGO_SECURE=1),
# off in demo/dev/tests unless TWO_FACTOR_REQUIRED=1 (docs/SECURITY.md).
TWO_FACTOR_REQUIRED = env_bool("TWO_FACTOR_REQUIRED", SECURE and not DEMO_MODE)
# Storefront registration needs an SMS verification code (API.md): the default of the
# parameter members.register_requires_sms_code — on with production settings, off in demo
# and development (no SMS provider there); the parameter decides at run time.
REGISTER_REQUIRES_SMS_CODE = env_bool("REGISTER_REQUIRES_SMS_CODE", SECURE and not DEMO_MODE)
AUDIT_RETENTION_DAYS = max(env_int("AUDIT_RETENTION_DAYS", 365), 180)


# --- operations: metrics and error reporting (docs/DEPLOY.md "Operations") --------------
# /metrics (mall/core/metrics.py): allowed when the scraper sends METRICS_TOKEN as a
# bearer token and/or comes from METRICS_ALLOWED_IPS (comma-separated addresses or
# CIDRs); with neither set it answers 404 — the production default.
METRICS_PATH = "/metrics"
METRICS_TOKEN = os.environ.get("METRICS_TOKEN", "")
METRICS_ALLOWED_IPS = env_list("METRICS_ALLOWED_IPS", "" if SECURE else "127.0.0.1,::1")
# Cluster-wide counters (business events, Celery outcomes) live in one Redis hash.
METRICS_REDIS_URL = os.environ.get("METRICS_REDIS_URL", REDIS_URL)
METRICS_REDIS_KEY = os.environ.get("METRICS_REDIS_KEY", "mall:metrics")

# Sentry, only when SENTRY_DSN is set; personal data is not sent (mall/core/sentry.py).
SENTRY_DSN = os.environ.get("SENTRY_DSN", "")
if SENTRY_DSN:
    from mall.core.sentry import sentry_init

    sentry_init(SENTRY_DSN)

# Audit chain (docs/OPS.md §4): comma-separated "key_id:base64(≥ 32 bytes)" HMAC-SHA256
# keys, the first seals, all verify (rotation). Embedded/demo/test mode falls back to a key
# derived from SECRET_KEY (key id "dev"); `check --deploy` with DJANGO_SECURE=1 refuses
# to run without one (ops.E001). Each seal batch appends the chain head to the anchor
# file (append-only, outside the database; by default in the backup location).
AUDIT_HMAC_KEYS = env_list("AUDIT_HMAC_KEYS")
BACKUP_DIR = Path(os.environ.get("BACKUP_DIR", BASE_DIR / "backups"))
# The second location every backup is copied to and verified in (docs/OPERATIONS.md §4):
# storage of another machine. Empty: no offsite copy (the backup says so in the admin).
BACKUP_OFFSITE_DIR = os.environ.get("BACKUP_OFFSITE_DIR", "")
AUDIT_ANCHOR_PATH = Path(os.environ.get("AUDIT_ANCHOR_PATH", BACKUP_DIR / "audit-anchors.jsonl"))
AUDIT_UNSEALED_MAX_SECONDS = env_int("AUDIT_UNSEALED_MAX_SECONDS", 120)


# --- member notifications (docs/MEMBERS.md §7) ------------------------------------------
# Channel -> adapter class. Production (DJANGO_SECURE=1) sends SMS through Alibaba Cloud
# SMS and e-mail through SMTP; in-app messages have no adapter yet (they fail instead of
# pretending). Elsewhere (embedded, demo, tests) every channel records instead of sending.
# `check --deploy` refuses the recording adapter in production (members.E010).
_RECORDING_ADAPTER = "members.notifications.RecordingAdapter"
NOTIFICATION_ADAPTERS = {
    "sms": os.environ.get(
        "NOTIFICATION_SMS_ADAPTER",
        "members.notifications.AliyunSmsAdapter" if SECURE else _RECORDING_ADAPTER,
    ),
    "email": os.environ.get(
        "NOTIFICATION_EMAIL_ADAPTER",
        "members.notifications.DjangoEmailAdapter" if SECURE else _RECORDING_ADAPTER,
    ),
    "in_app": os.environ.get("NOTIFICATION_IN_APP_ADAPTER", "" if SECURE else _RECORDING_ADAPTER),
}
# Alibaba Cloud SMS (dysmsapi SendSms): credentials of a RAM user allowed to send SMS,
# the approved signature name, and one approved template code per notification kind.
SMS_ENDPOINT = os.environ.get("SMS_ENDPOINT") or "https://dysmsapi.aliyuncs.com/"
SMS_ACCESS_KEY_ID = os.environ.get("SMS_ACCESS_KEY_ID", "")
SMS_ACCESS_KEY_SECRET = os.environ.get("SMS_ACCESS_KEY_SECRET", "")
SMS_SIGN_NAME = os.environ.get("SMS_SIGN_NAME", "")
SMS_TEMPLATES = {
    kind: os.environ.get(f"SMS_TEMPLATE_{kind.upper()}", "")
    for kind in ("order", "after_sale", "benefit", "marketing", "sms_code")
}
SMS_TIMEOUT_SECONDS = env_int("SMS_TIMEOUT_SECONDS", 10)
# E-mail through Django's backend (SMTP unless EMAIL_BACKEND says otherwise).
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND") or "django.core.mail.backends.smtp.EmailBackend"
EMAIL_HOST = os.environ.get("EMAIL_HOST") or "localhost"
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS")
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL")
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 10)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL") or "webmaster@localhost"
