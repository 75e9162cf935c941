"""Settings for the resettlement case management system.

Everything that differs between a laptop and production is read from the environment.
With no environment at all the project runs embedded: SQLite, Celery tasks executed eagerly,
DEBUG on, so `make run` needs nothing but Python. Production sets at least
DJANGO_SECRET_KEY, DJANGO_DEBUG=0, DJANGO_ALLOWED_HOSTS, DATABASE_URL and REDIS_URL
(see README, "Production settings").
"""

import os
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from csp.constants import NONE, SELF
from django.utils.translation import gettext_lazy as _

from resettlement.logs import logging_config
from resettlement.object_storage import storages_from_environment

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DJANGO_DEBUG", True)
# The embedded default key is only for local runs; `check --deploy` rejects it in production.
SECRET_KEY = os.environ.get(
    "DJANGO_SECRET_KEY", "django-insecure-local-development-key-not-for-production-use"
)
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_filters",
    "import_export",
    "simple_history",
    # django-axes, named in the admin in the user's language (resettlement.axes_app).
    "resettlement.axes_app.LockoutConfig",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "csp",
    "resettlement",
    "households",
    "allocation",
    "lottery",
    "settlement",
    # House tickets (房票, issue 14): a monetised household's statement settled by a ticket.
    "tickets",
    "publicity",
    # Stage 8: reads every app above; none of them imports it.
    "oversight",
    # Demo data for `make run` and the tests: walks every stage's services; no stage imports it.
    "demo",
]

MIDDLEWARE = [
    # First: it times the whole stack and gives every response its X-Request-ID.
    "resettlement.logs.RequestLogMiddleware",
    # Before anything reads the client's address or the scheme (resettlement.proxy).
    "resettlement.proxy.TrustedProxyMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "resettlement.security.PermissionsPolicyMiddleware",
    "resettlement.security.NoStoreMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "resettlement.middleware.ChosenLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    # Before the CSRF check reads a form's body: size and public rate limits first.
    "resettlement.request_limits.RequestLimitsMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # After authentication and messages: it may log the user out and say why.
    "resettlement.security.SessionTimeoutMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # AxesMiddleware must be last: it turns lockouts into a response.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "resettlement.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

WSGI_APPLICATION = "resettlement.wsgi.application"

DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=int(os.environ.get("DATABASE_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
# Behind PgBouncer in transaction pooling (docs/scaling.md) a server-side cursor (what
# QuerySet.iterator() opens on PostgreSQL) would outlive its transaction's server connection:
# DATABASE_PGBOUNCER=1 makes iterator() fetch client-side instead.
DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = env_bool("DATABASE_PGBOUNCER", False)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "staff:home"
LOGOUT_REDIRECT_URL = "login"

# Login throttling (resettlement.lockout): an account is locked for an hour after
# AXES_FAILURE_LIMIT wrong passwords from any addresses, an address after
# AXES_ADDRESS_FAILURE_LIMIT wrong passwords on any accounts. A successful login clears that
# account's failures from that address only.
AXES_FAILURE_LIMIT = int(os.environ.get("AXES_FAILURE_LIMIT", "5"))
AXES_ADDRESS_FAILURE_LIMIT = int(os.environ.get("AXES_ADDRESS_FAILURE_LIMIT", "20"))
AXES_COOLOFF_TIME = 1  # hours
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_HANDLER = "resettlement.lockout.AccountOrAddressHandler"
AXES_RESET_ON_SUCCESS = True
# The lockout page: translated, says how long to wait (resettlement.reauth.locked_out).
AXES_LOCKOUT_CALLABLE = "resettlement.reauth.locked_out"

# Re-authentication (resettlement.reauth): a lottery sign-off, publishing, approving a
# household or a statement's step and recording a payment need the password entered within
# this many minutes (at login or on the confirm-password page).
RECENT_AUTH_SECONDS = 60 * int(os.environ.get("RECENT_AUTH_MINUTES", "10"))
# The second factor (resettlement.second_factor): with REQUIRE_2FA on, confirming those
# decisions also takes a one-time code from the user's authenticator app, entered on the
# confirm page; API calls with HTTP Basic send it in the X-OTP header. On in production
# (DJANGO_DEBUG=0), off in the embedded demo.
REQUIRE_2FA = env_bool("REQUIRE_2FA", not DEBUG)
OTP_TOTP_ISSUER = "安置管理系统"
OTP_ADMIN_HIDE_SENSITIVE_DATA = True

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("简体中文")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = os.environ.get("DJANGO_TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
# Uploads, generated PDFs and backups: folders on this machine by default, an S3-compatible
# bucket with STORAGE_URL (resettlement.object_storage, docs/scaling.md).
STORAGES = storages_from_environment(os.environ, base_dir=BASE_DIR, debug=DEBUG)
# django-import-export keeps an upload between its preview and its confirmation: in the
# default storage, so the confirmation may reach any web replica.
IMPORT_EXPORT_TMP_STORAGE_CLASS = "import_export.tmp_storages.MediaStorage"
# Request bodies, judged by their Content-Length before anything reads them
# (resettlement.request_limits; deploy/nginx.conf caps them the same way in front): a
# logged-in user's request may carry the largest upload the system takes (six 10 MB defect
# photos in one report, an import, a document); anything else only a form. The form fields
# Django parses are capped at Django's own default.
FORM_BODY_MAX_BYTES = 256 * 1024
UPLOAD_BODY_MAX_BYTES = int(os.environ.get("UPLOAD_BODY_MAX_BYTES", str(64 * 1024 * 1024)))
DATA_UPLOAD_MAX_MEMORY_SIZE = 2621440
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# Limits on what people may upload.
DOCUMENT_MAX_BYTES = int(os.environ.get("DOCUMENT_MAX_BYTES", str(10 * 1024 * 1024)))
IMPORT_MAX_BYTES = int(os.environ.get("IMPORT_MAX_BYTES", str(20 * 1024 * 1024)))
IMPORT_MAX_ROWS = int(os.environ.get("IMPORT_MAX_ROWS", "50000"))

# Publicity periods in days per kind, overriding each kind's own default (a project may set
# its own: publicity.models.PublicityPeriod).
PUBLICITY_DAYS: dict[str, int] = {}
# An objection to a publication, or a report to the supervising office, unanswered after this
# many working days is overdue (publicity.selectors.objections).
ANSWER_WORKING_DAYS = int(os.environ.get("ANSWER_WORKING_DAYS", "5"))

# Where residents reach the public site: printed on notices and in their QR codes, so it
# must be the address people outside the office network can open.
PUBLIC_BASE_URL = os.environ.get("PUBLIC_BASE_URL", "http://127.0.0.1:8000").rstrip("/")

# How often one lookup code may be looked up, from all addresses together (the per-address
# limits are in resettlement.public_site); e.g. "30/h", the default.
if os.environ.get("PUBLIC_LOOKUP_CODE_RATE"):
    PUBLIC_LOOKUP_CODE_RATE = os.environ["PUBLIC_LOOKUP_CODE_RATE"]

# The supervising office's other reporting channels (seed 001: the discipline inspection
# secretary's mailbox and a public hotline), shown on the public report form. Empty: not shown.
SUPERVISION_HOTLINE = os.environ.get("SUPERVISION_HOTLINE", "")
SUPERVISION_MAILBOX = os.environ.get("SUPERVISION_MAILBOX", "")

# Celery: a real broker when REDIS_URL is set, otherwise tasks run in-process.
REDIS_URL = os.environ.get("REDIS_URL", "")
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
# A task whose worker process dies (killed, out of memory) goes back to the queue.
CELERY_TASK_REJECT_ON_WORKER_LOST = True
# Workers render PDFs with WeasyPrint: one task at a time per process (a community's
# roster takes seconds, and a prefetched task would wait behind it while another worker is
# idle), and a process is replaced once it holds this much memory (KB; WeasyPrint and its
# fonts grow a process that renders many documents).
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_WORKER_MAX_MEMORY_PER_CHILD = int(os.environ.get("CELERY_MAX_MEMORY_PER_CHILD", "400000"))
# A part is a community's roster or a villager group's notices: well under a minute. The
# soft limit raises in the task (marked failed, retried); the hard one kills the process.
CELERY_TASK_SOFT_TIME_LIMIT = int(os.environ.get("CELERY_TASK_SOFT_TIME_LIMIT", "540"))
CELERY_TASK_TIME_LIMIT = int(os.environ.get("CELERY_TASK_TIME_LIMIT", "600"))
# A lost worker (killed, out of memory, its machine gone) must not leave its PDF part
# "running" (docs/operations.md, "PDF workers"). Its message comes back: Redis hands an
# unacknowledged message (acks_late) to another worker once it is `visibility_timeout`
# seconds old, looking every `unacked_restore_interval` seconds (× throttle). Its part is
# taken over once its heartbeat — touched every RENDER_HEARTBEAT_SECONDS while a worker
# renders it — is RENDER_STALE_SECONDS old. So a lost part is re-run within about
# max(90 + 10, 45 + 1) seconds, however long a legitimate part may run (up to the time limit
# above). No task may wait (countdown, retry backoff) as long as the visibility timeout:
# Redis would deliver its message a second time.
RENDER_HEARTBEAT_SECONDS = 10
RENDER_STALE_SECONDS = 45
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": 90,
    "unacked_restore_interval": 10,
    "unacked_restore_throttle": 1,
}
CELERY_TIMEZONE = TIME_ZONE
# Queues by kind of work (docker-compose.yml runs one worker service per queue, beat on its
# own): PDF rendering — seconds of CPU a part, memory-hungry — on `pdf`, so a printing run
# never delays the short jobs (ledger refresh, ticket expiry, audit heads) on `default`.
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_PDF_QUEUE = "pdf"
CELERY_TASK_ROUTES = {
    "publicity.tasks.render_roster_part": {"queue": CELERY_PDF_QUEUE},
    "publicity.tasks.render_notices_part": {"queue": CELERY_PDF_QUEUE},
}
# Workers log through LOGGING below (JSON in production, with each task's id), not Celery's
# own format.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_BEAT_SCHEDULE = {
    "close-expired-publications": {
        "task": "publicity.tasks.close_expired_publications",
        "schedule": crontab(hour=0, minute=5),
    },
    "refresh-overdue-ledger": {
        "task": "oversight.tasks.refresh_overdue_ledger",
        "schedule": crontab(hour=1, minute=15),
    },
    # The audit chain's head on the public site (/public/audit-heads/), besides the heads
    # published with every publication and lottery sign-off.
    "publish-audit-head": {
        "task": "resettlement.tasks.publish_audit_head",
        "schedule": crontab(hour=0, minute=30),
    },
    # House tickets past their expiry date: bought back or forfeited by the policy.
    "expire-house-tickets": {
        "task": "tickets.tasks.expire_tickets",
        "schedule": crontab(hour=0, minute=45),
    },
}

CACHES = {
    "default": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
        if REDIS_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "rest_framework.authentication.BasicAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["resettlement.permissions.RolePermission"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "resettlement.api.exceptions.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Resettlement case management API",
    "DESCRIPTION": "Registry and qualification review. Every call is checked against the "
    "caller's roles and the four-eyes rule.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # The schema maps every operation and field: for logged-in users (session or Basic).
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    "COMPONENT_SPLIT_REQUEST": True,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "resettlement.api.exceptions.document_error_responses",
    ],
    # Swagger UI and ReDoc are served from our own static files, never a CDN: the
    # intranet has no internet access.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

IMPORT_EXPORT_USE_TRANSACTIONS = True
IMPORT_EXPORT_SKIP_ADMIN_LOG = False
IMPORT_EXPORT_ESCAPE_FORMULAE_ON_EXPORT = True

# A session ends after this long without a request (idle) and this long after login
# (absolute), whatever happens in between (resettlement.security.SessionTimeoutMiddleware).
SESSION_IDLE_TIMEOUT = 60 * int(os.environ.get("SESSION_IDLE_MINUTES", "30"))
SESSION_ABSOLUTE_TIMEOUT = 3600 * int(os.environ.get("SESSION_MAX_HOURS", "10"))
SESSION_COOKIE_AGE = SESSION_ABSOLUTE_TIMEOUT
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False

# Production transport security. With DEBUG off these default to the strict values that
# `manage.py check --deploy` expects; behind a TLS-terminating proxy set
# DJANGO_SECURE_PROXY_SSL_HEADER=1.
SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", not DEBUG)
SESSION_COOKIE_SECURE = env_bool("DJANGO_SECURE_COOKIES", not DEBUG)
CSRF_COOKIE_SECURE = env_bool("DJANGO_SECURE_COOKIES", not DEBUG)
SECURE_HSTS_SECONDS = int(os.environ.get("DJANGO_HSTS_SECONDS", "0" if DEBUG else "31536000"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = env_bool("DJANGO_HSTS_PRELOAD", not DEBUG)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# Content-Security-Policy (django-csp): scripts, styles, fonts and requests only from this
# site, no inline script or style (templates keep JS in static/js and CSS in static/css),
# no plugins, never framed. Views relax it only where a third-party page needs it
# (Swagger UI's inline style, resettlement.urls).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "object-src": [NONE],
        "base-uri": [SELF],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
    }
}
# Pages and API answers with personal data: never stored by a browser or a proxy
# (resettlement.security.NoStoreMiddleware). The public site's publications are masked and
# may be cached; a resident's own pages and a reporter's status page may not.
NO_STORE_PATHS = [
    "/staff/",
    "/admin/",
    "/api/",
    "/accounts/",
    "/public/my/",
    "/public/aftercare/",
    "/public/complaints/",
]
# Browser features no page of the system uses are switched off for every page.
PERMISSIONS_POLICY = (
    "accelerometer=(), camera=(), display-capture=(), geolocation=(), gyroscope=(), "
    "magnetometer=(), microphone=(), payment=(), usb=()"
)
# The reverse proxies (addresses or networks) whose X-Forwarded-For and X-Forwarded-Proto
# are believed (resettlement.proxy); from anyone else those headers are dropped. Required
# with DJANGO_SECURE_PROXY_SSL_HEADER=1 (resettlement.checks).
TRUSTED_PROXIES = env_list("DJANGO_TRUSTED_PROXIES")
if env_bool("DJANGO_SECURE_PROXY_SSL_HEADER", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# LOG_FORMAT=json in production: one JSON object per line, each request's with its id
# (resettlement.logs). Plain lines otherwise.
LOG_FORMAT = os.environ.get("LOG_FORMAT", "plain")
LOGGING = logging_config(log_format=LOG_FORMAT, level=os.environ.get("LOG_LEVEL", "INFO"))

# History is for reading: reverting a record from the admin would bypass the services.
SIMPLE_HISTORY_REVERT_DISABLED = True
