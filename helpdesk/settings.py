"""Settings for the helpdesk, read from the environment (twelve-factor).

Every variable read here is listed in the README's configuration table. Defaults are safe
for a developer's machine; production must set SECRET_KEY and ALLOWED_HOSTS.
"""

from datetime import timedelta
from pathlib import Path

import environ
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise environ.ImproperlyConfigured(
            "Set SECRET_KEY (or DEBUG=true on a developer machine); `make run` does this for you."
        )
    SECRET_KEY = "insecure-development-key-do-not-use-in-production"  # noqa: S105

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
SITE_URL = env.str("SITE_URL", default="http://localhost:8000").rstrip("/")
# Pages open their websocket on this port of their own host when the websockets are served
# apart from the pages (`make run`: pages by granian on PORT, websockets by uvicorn on
# PORT+1); 0 means on the page's own port (one ASGI server for both, or a proxy routing /ws/).
REALTIME_PORT = env.int("REALTIME_PORT", default=0)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "channels",
    "helpdesk.login_attempts.LoginAttemptsConfig",  # django-axes
    "helpdesk",
    "accounts",
    "tickets",
    "comments",
    "channels_inbound",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Every response: scripts and images from us only (helpdesk/csp.py).
    "helpdesk.csp.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "accounts.middleware.UserPreferencesMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last: turns a refused login (locked out) into the lockout page, on every login form.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "helpdesk.urls"
ASGI_APPLICATION = "helpdesk.asgi.application"
WSGI_APPLICATION = "helpdesk.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.tz",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "tickets.context_processors.workspace",
            ],
            # `bidi_safe` in every template, customer pages and admin included.
            "builtins": ["tickets.templatetags.bidi"],
        },
    },
]

# --- Data stores -------------------------------------------------------------------------------
DATABASES = {
    "default": env.db_url("DATABASE_URL", default="postgres://postgres@127.0.0.1:5432/helpdesk"),
}
# Under ASGI every request runs in a fresh thread, so Django's per-thread persistent
# connections would mean one new PostgreSQL connection per request (~5 ms each). psycopg 3's
# pool keeps connections per process instead (docs/decisions.md).
DATABASE_POOL_SIZE = env.int("DATABASE_POOL_SIZE", default=8)
# Server-side binding lets psycopg prepare the hot statements once per connection, so
# PostgreSQL stops re-planning the same ticket-list join on every request.
_server_side_binding = env.bool("DATABASE_SERVER_SIDE_BINDING", default=True)
DATABASES["default"].setdefault("OPTIONS", {})["server_side_binding"] = _server_side_binding
if _server_side_binding:
    DATABASES["default"]["OPTIONS"]["prepare_threshold"] = 3
if DATABASE_POOL_SIZE > 0:
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": 1,
        "max_size": DATABASE_POOL_SIZE,
        "timeout": 10,
    }
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DATABASES["default"].setdefault("TEST", {})["NAME"] = env.str(
    "TEST_DATABASE_NAME", default="test_" + DATABASES["default"]["NAME"]
)

REDIS_URL = env.str("REDIS_URL", default="redis://127.0.0.1:6379/0")
# Every key this instance writes to Redis (cache, sessions, the channel layer) starts with it,
# so two instances (or two test runs) can share one Redis server without meeting.
REDIS_KEY_PREFIX = env.str("REDIS_KEY_PREFIX", default="helpdesk")

CACHES = {
    "default": {
        "BACKEND": "helpdesk.cache.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": REDIS_KEY_PREFIX,
        "OPTIONS": {"pool_class": "helpdesk.cache.SharedConnectionPool"},
    }
}
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"

CHANNEL_LAYERS = {
    "default": {
        "BACKEND": "channels_redis.core.RedisChannelLayer",
        "CONFIG": {"hosts": [REDIS_URL], "prefix": f"{REDIS_KEY_PREFIX}:ws", "expiry": 30},
    }
}

# --- Auth --------------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
# Failed logins are throttled (django-axes) per account and, separately, per client address:
# after HELPDESK_LOGIN_FAILURE_LIMIT failures within the window, every login for that account,
# or from that address, is refused - the right password too - until
# HELPDESK_LOGIN_LOCKOUT_MINUTES have passed since the last attempt. Every failure is listed
# in the admin (Axes: access failures, access attempts); an admin unlocks by deleting the
# attempt there, or `manage.py axes_reset_username <email>`.
AUTHENTICATION_BACKENDS = [
    "accounts.backends.LoginThrottleBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env.int("HELPDESK_LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.float("HELPDESK_LOGIN_LOCKOUT_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_ENABLE_ACCESS_FAILURE_LOG = True
AXES_USERNAME_FORM_FIELD = "username"  # the login forms' field (it holds the email)
AXES_USERNAME_CALLABLE = "accounts.login_throttle.attempted_account"
AXES_LOCKOUT_CALLABLE = "accounts.login_throttle.locked_out_page"
AXES_CLIENT_IP_CALLABLE = "accounts.login_throttle.client_address"
LOGIN_URL = "/login/"
LOGIN_REDIRECT_URL = "/tickets/"
LOGOUT_REDIRECT_URL = "/login/"

# --- I18n --------------------------------------------------------------------------------------
LANGUAGE_CODE = env.str("LANGUAGE_CODE", default="en")
LANGUAGES = [("en", _("English")), ("ru", _("Russian"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Static and media --------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=BASE_DIR / "var" / "static")
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "var" / "media")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = DEBUG

# --- Email -------------------------------------------------------------------------------------
EMAIL_CONFIG = env.email_url(
    "EMAIL_URL", default="consolemail://" if DEBUG else "smtp://127.0.0.1:25"
)
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Support <support@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=30)
# The domain of our Message-IDs; by default the domain of DEFAULT_FROM_EMAIL.
HELPDESK_EMAIL_DOMAIN = env.str("HELPDESK_EMAIL_DOMAIN", default="")

# --- Celery ------------------------------------------------------------------------------------
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL)
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 300
CELERY_TASK_SOFT_TIME_LIMIT = 240
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Celery's Django fixup closes every database connection after every task, and with a pool
# it closes the whole pool: each task then opened new PostgreSQL connections (a backend fork
# each), which cost the worker more CPU than its work. Recycle them every 500 tasks instead.
CELERY_DB_REUSE_MAX = env.int("CELERY_DB_REUSE_MAX", default=500)
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_ROUTES = {
    "channels_inbound.tasks.process_inbound": {"queue": "inbound"},
    "channels_inbound.tasks.drain_inbox": {"queue": "inbound"},
    "channels_inbound.tasks.poll_mailbox*": {"queue": "inbound"},
    "channels_inbound.tasks.sweep_*": {"queue": "inbound"},
    "channels_inbound.tasks.deliver": {"queue": "outbound"},
    "channels_inbound.tasks.deliver_many": {"queue": "outbound"},
    "comments.tasks.*": {"queue": "outbound"},
}
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_BEAT_SCHEDULE = {
    "mailboxes-poll": {
        "task": "channels_inbound.tasks.poll_mailboxes",
        "schedule": float(env.int("HELPDESK_IMAP_POLL_SECONDS", default=30)),
    },
    "inbox-sweep": {
        "task": "channels_inbound.tasks.sweep_inbox",
        "schedule": 30.0,
    },
    "outbox-sweep": {
        "task": "channels_inbound.tasks.sweep_outbox",
        "schedule": 60.0,
    },
    "telegram-poll": {
        "task": "channels_inbound.tasks.poll_telegram_bots",
        "schedule": float(env.float("TELEGRAM_POLL_SECONDS", default=2)),
    },
}

# --- REST API ----------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Token first: an anonymous request then gets 401 with `WWW-Authenticate: Token`.
        "accounts.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": [
        "helpdesk.parsers.JsonObjectParser",
        "rest_framework.parsers.MultiPartParser",
        "rest_framework.parsers.FormParser",
    ],
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "helpdesk.negotiation.JsonOnlyNegotiation",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "helpdesk.errors.api_exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
if DEBUG:
    REST_FRAMEWORK["DEFAULT_RENDERER_CLASSES"].append(
        "rest_framework.renderers.BrowsableAPIRenderer"
    )

SPECTACULAR_SETTINGS = {
    "TITLE": "Helpdesk API",
    "DESCRIPTION": "Tickets, customers, internal comments and hand-offs. Version 1.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
}

# --- The helpdesk itself -----------------------------------------------------------------------
HELPDESK_MAX_ATTACHMENT_BYTES = env.int("HELPDESK_MAX_ATTACHMENT_MB", default=25) * 1024 * 1024
# The public web form: submissions per client address, e.g. "5/minute", "100/hour".
HELPDESK_WEBFORM_RATE_LIMIT = env.str("HELPDESK_WEBFORM_RATE_LIMIT", default="5/minute")
# How long an inbox drainer waits after a small batch for more events to come (see
# channels_inbound/inbox.py): a little delay for the agent, a much cheaper worker under load.
HELPDESK_INBOX_LINGER_SECONDS = env.float("HELPDESK_INBOX_LINGER_SECONDS", default=0.1)
# Acknowledgements of new tickets per customer per hour, at most (loops and floods).
HELPDESK_AUTOACK_PER_HOUR = env.int("HELPDESK_AUTOACK_PER_HOUR", default=3)
# The largest email the poller fetches; a larger one is recorded with its error and skipped.
HELPDESK_MAX_EMAIL_MB = env.int("HELPDESK_MAX_EMAIL_MB", default=40)
# How often the beat polls the mailboxes, in seconds.
HELPDESK_IMAP_POLL_SECONDS = env.int("HELPDESK_IMAP_POLL_SECONDS", default=30)
# How long the poller waits for the mail server before it gives up on a message or a login.
HELPDESK_IMAP_TIMEOUT_SECONDS = env.int("HELPDESK_IMAP_TIMEOUT_SECONDS", default=30)
# How long a web process trusts what it last read about an API token (see
# accounts/authentication.py): a change made in another process applies within this many
# seconds; 0: ask every time.
HELPDESK_API_TOKEN_CACHE_SECONDS = env.float("HELPDESK_API_TOKEN_CACHE_SECONDS", default=2)
# Where browsers report Content-Security-Policy violations (helpdesk/csp.py); empty: nowhere.
HELPDESK_CSP_REPORT_URI = env.str("HELPDESK_CSP_REPORT_URI", default="")
# How long the link to a customer's status page works.
HELPDESK_STATUS_LINK_DAYS = env.int("HELPDESK_STATUS_LINK_DAYS", default=90)
# Viber's REST bot API; tests and staging point it at a local server.
VIBER_API_BASE_URL = env.str("VIBER_API_BASE_URL", default="https://chatapi.viber.com/pa")
# A messenger customer's next message reopens their solved ticket within this many days;
# later it opens a new ticket linked to the solved one.
HELPDESK_MESSENGER_REOPEN_DAYS = env.int("HELPDESK_MESSENGER_REOPEN_DAYS", default=7)
# Where the Telegram Bot API is reached (tests and staging point it at a local server).
TELEGRAM_API_BASE_URL = env.str("TELEGRAM_API_BASE_URL", default="https://api.telegram.org")
TELEGRAM_API_TIMEOUT_SECONDS = env.float("TELEGRAM_API_TIMEOUT_SECONDS", default=20)
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# --- Logging: secrets never reach a log line; request bodies are not logged at all. -----------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}

if not DEBUG:
    SESSION_COOKIE_SECURE = env.bool("SECURE_COOKIES", default=SITE_URL.startswith("https://"))
    CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
    SECURE_CONTENT_TYPE_NOSNIFF = True
    X_FRAME_OPTIONS = "DENY"
