"""Settings of the Psico host site, read from the environment (twelve-factor style).

Every value a deployment may change is an environment variable; the README lists them.
Development needs none of them: ``DEBUG=1`` alone gives a working site on SQLite with an
in-memory channel layer and emails printed to the console.
"""

import re
from pathlib import Path

import django
import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()

DEBUG = env.bool("DEBUG", default=False)

# A fixed key is only acceptable where nothing is worth protecting: a production process
# without its own SECRET_KEY must refuse to start rather than sign sessions with a known key.
if DEBUG:
    SECRET_KEY = env.str("SECRET_KEY", default="django-insecure-psico-development-only")
else:
    try:
        SECRET_KEY = env.str("SECRET_KEY")
    except ImproperlyConfigured as exc:
        raise ImproperlyConfigured(
            "Set the SECRET_KEY environment variable (or DEBUG=1 for development)."
        ) from exc

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=[])

# --- Applications -------------------------------------------------------------------------

DJANGO_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    # Before staticfiles, so that runserver leaves static files to WhiteNoise as in production.
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
]
THIRD_PARTY_APPS = [
    "rest_framework",
    "django_filters",
    "corsheaders",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "channels",
    # Background tasks stored in the database (TASKS below), run by `manage.py db_worker`.
    "django_tasks_db",
]
LOCAL_APPS = [
    "psico_core",
    "psico_accounts",
    "psico_scheduling",
    "psico_chat",
    "psico_notifications",
    "psico_records",
]
# The Psico apps come first so that their templates (password reset emails) win over the
# admin's registration templates of the same name.
INSTALLED_APPS = LOCAL_APPS + DJANGO_APPS + THIRD_PARTY_APPS

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # WhiteNoise, which also serves the reference web client at /app/ (WEB_CLIENT_ROOT).
    "config.middleware.WhiteNoiseMiddleware",
    # CORS answers preflight requests itself, so it must run before anything that may reply.
    "corsheaders.middleware.CorsMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Audit events announced inside services know their request (client, signed-in user).
    "psico_core.audit.AuditRequestMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        # Site-wide overrides of package templates (the Redoc page, without web fonts).
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

AUTH_USER_MODEL = "psico_accounts.User"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- Database -----------------------------------------------------------------------------

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # BEGIN IMMEDIATE makes concurrent writers (several uvicorn workers, chat consumers)
    # queue for the write lock instead of failing half-way with "database is locked".
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "transaction_mode": "IMMEDIATE",
            "timeout": env.int("SQLITE_TIMEOUT", default=20),
        }
    )
else:
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = env.bool("CONN_HEALTH_CHECKS", default=True)
    if env.bool("DATABASE_POOL", default=True):
        # psycopg's pool (Django >= 5.1, psycopg[pool]) hands each request or chat store an open
        # connection instead of a new one: opening a PostgreSQL connection costs more than the
        # queries of a simple request. Each process (uvicorn worker, db_worker) has its own pool,
        # so workers × DATABASE_POOL_MAX_SIZE must stay under the server's max_connections
        # (docs/deployment.md). Django requires CONN_MAX_AGE = 0 beside a pool.
        DATABASES["default"]["CONN_MAX_AGE"] = 0
        DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
            "min_size": env.int("DATABASE_POOL_MIN_SIZE", default=2),
            "max_size": env.int("DATABASE_POOL_MAX_SIZE", default=10),
        }
    else:
        # Without a pool, 0 (one connection per request) is the safe default under ASGI, where
        # persistent connections are not reused across the async event loop's threads.
        DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=0)

# --- Cache and channel layer --------------------------------------------------------------

REDIS_URL = env.str("REDIS_URL", default="")

# Throttle counters live in the cache, and a limit only holds when every worker process counts
# in the same place: in production, with REDIS_URL and no CACHE_URL, the cache is that Redis,
# under its own key prefix beside the channel layer's "asgi:" keys. A process-local cache there
# fails `check --deploy` (psico_accounts.E005) unless SINGLE_PROCESS=1 says one process serves.
# Development keeps process memory: test suites empty the cache, which on Redis is FLUSHDB.
if env.str("CACHE_URL", default=""):
    CACHES = {"default": env.cache("CACHE_URL")}
elif REDIS_URL and not DEBUG:
    CACHES = {
        "default": {
            "BACKEND": "psico_core.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "psico-cache",
        }
    }
else:
    CACHES = {"default": env.cache_url_config("locmemcache://")}
if CACHES["default"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache":
    # Django's backend opens a new Redis connection for nearly every use under ASGI; this one
    # keeps one set per process (see psico_core.cache).
    CACHES["default"]["BACKEND"] = "psico_core.cache.RedisCache"
if CACHES["default"]["BACKEND"] == "psico_core.cache.RedisCache":
    # A Redis that is down or unreachable must fail in a second, not hold a request for the
    # kernel's connect timeout: the throttles then count in process memory meanwhile
    # (psico_core.resilient_cache) and /healthz reports the cache unavailable.
    CACHES["default"].setdefault("OPTIONS", {}).update(
        {"socket_connect_timeout": 1.0, "socket_timeout": 1.0}
    )
if env.bool("SINGLE_PROCESS", default=False):
    SILENCED_SYSTEM_CHECKS = ["psico_accounts.E005"]

if REDIS_URL:
    from psico_chat.redis_layer import redis_channel_layer

    # With a read timeout above channels-redis's blocking read, and one retry of a command
    # whose pooled connection died with an earlier Redis (see the function).
    CHANNEL_LAYERS = {"default": redis_channel_layer(REDIS_URL)}
else:
    # Only delivers between consumers of one process: fine for development and a single
    # worker, wrong for several workers.
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

# --- Internationalisation -----------------------------------------------------------------

LANGUAGE_CODE = "es"
LANGUAGES = [("es", _("Spanish")), ("en", _("English"))]
TIME_ZONE = env.str("TIME_ZONE", default="America/La_Paz")
USE_I18N = True
# The site's own messages (its error pages); the packages bring theirs.
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_TZ = True

# --- Static and media files ---------------------------------------------------------------

STATIC_URL = "static/"
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(BASE_DIR / "staticfiles")))
MEDIA_URL = env.str("MEDIA_URL", default="media/")
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(BASE_DIR / "media")))

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
# In development WhiteNoise serves straight from the apps' static folders, so the API docs and
# the admin work under uvicorn without collectstatic.
WHITENOISE_USE_FINDERS = DEBUG
WHITENOISE_AUTOREFRESH = DEBUG
# The reference web client (clients/web, `npm run build` in clients/) is served at /app/ from
# this folder when it holds a build; /app/ answers 404 otherwise. /app/ serves its index.html.
WEB_CLIENT_ROOT = Path(
    env.str("WEB_CLIENT_ROOT", default=str(BASE_DIR.parent / "clients" / "web" / "dist"))
)
WHITENOISE_INDEX_FILE = True

# --- Email --------------------------------------------------------------------------------

# e.g. smtp+tls://user%40gmail.com:app-password@smtp.gmail.com:587
_email = env.email_url("EMAIL_URL", default="consolemail://")
# The console backend writes password reset codes into the log, where anyone who reads the
# logs could take over an account: a production process must name a backend that delivers.
if not DEBUG and _email["EMAIL_BACKEND"] == "django.core.mail.backends.console.EmailBackend":
    raise ImproperlyConfigured(
        "Set the EMAIL_URL environment variable to a mail backend other than the console, e.g."
        " smtp+tls://user:password@smtp.example.com:587 (or DEBUG=1 for development)."
    )
_email_timeout = env.int("EMAIL_TIMEOUT", default=10)
if django.VERSION >= (6, 1):
    # Django 6.1 replaces EMAIL_BACKEND and the EMAIL_* connection settings with MAILERS.
    _options = {}
    if _email["EMAIL_BACKEND"] == "django.core.mail.backends.smtp.EmailBackend":
        _options = {
            "host": _email["EMAIL_HOST"],
            "port": _email["EMAIL_PORT"],
            "username": _email["EMAIL_HOST_USER"],
            "password": _email["EMAIL_HOST_PASSWORD"],
            "use_tls": _email.get("EMAIL_USE_TLS", False),
            "use_ssl": _email.get("EMAIL_USE_SSL", False),
            "timeout": _email_timeout,
        }
    elif _email["EMAIL_BACKEND"] == "django.core.mail.backends.filebased.EmailBackend":
        _options = {"file_path": _email["EMAIL_FILE_PATH"]}
    MAILERS = {"default": {"BACKEND": _email["EMAIL_BACKEND"], "OPTIONS": _options}}
else:
    EMAIL_BACKEND = _email["EMAIL_BACKEND"]
    EMAIL_HOST = _email.get("EMAIL_HOST", "localhost")
    EMAIL_PORT = _email.get("EMAIL_PORT") or 25
    EMAIL_HOST_USER = _email.get("EMAIL_HOST_USER", "")
    EMAIL_HOST_PASSWORD = _email.get("EMAIL_HOST_PASSWORD", "")
    EMAIL_USE_TLS = _email.get("EMAIL_USE_TLS", False)
    EMAIL_USE_SSL = _email.get("EMAIL_USE_SSL", False)
    EMAIL_TIMEOUT = _email_timeout
    if _email.get("EMAIL_FILE_PATH"):
        EMAIL_FILE_PATH = _email["EMAIL_FILE_PATH"]
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Psico <no-reply@psico.local>")
SERVER_EMAIL = env.str("SERVER_EMAIL", default=DEFAULT_FROM_EMAIL)

# --- Background tasks ---------------------------------------------------------------------

# Django's Tasks API (django.tasks; the django-tasks backport on Django 5.2) runs work that must
# not hold up a request, such as the password reset email. TASKS_BACKEND=database (default)
# stores each task in the database and the Procfile's `worker` process (manage.py db_worker)
# runs it: web processes only enqueue, and tasks wait there while no worker runs.
# TASKS_BACKEND=immediate runs tasks inside the request (no worker; a reset request for an
# existing account then takes longer, which tells that the account exists). Any other value is
# a backend's dotted path.
from psico_core.tasks_compat import DATABASE_BACKEND, IMMEDIATE_BACKEND  # noqa: E402

_tasks_backend = env.str("TASKS_BACKEND", default="database")
TASKS = {
    "default": {
        "BACKEND": {"database": DATABASE_BACKEND, "immediate": IMMEDIATE_BACKEND}.get(
            _tasks_backend, _tasks_backend
        )
    }
}

# --- Scheduling ---------------------------------------------------------------------------

# The package's defaults hold; the waiting list's hold is the clinic's to tune. The package's
# system check refuses anything but whole minutes from 1 to a week.
PSICO_SCHEDULING = {
    "WAITLIST_HOLD_MINUTES": env.int("WAITLIST_HOLD_MINUTES", default=30),
}

# --- Accounts -----------------------------------------------------------------------------

# An API token (one per signed-in device) expires TOKEN_TTL seconds after its last use
# (default 30 days). REQUIRE_VERIFIED_EMAIL_TO_BOOK=1 lets patients book only once they have
# confirmed their email address.
PSICO_ACCOUNTS = {
    "TOKEN_TTL": env.int("TOKEN_TTL", default=30 * 24 * 3600),
    "REQUIRE_VERIFIED_EMAIL_TO_BOOK": env.bool("REQUIRE_VERIFIED_EMAIL_TO_BOOK", default=False),
}

# --- Notifications ------------------------------------------------------------------------

# Appointment emails (psico-notifications), sent by the worker. FRONTEND_URL makes the email
# about a new booking link to the appointment in the front end (APPOINTMENT_URL_PATH after it).
# Reminders go to both participants these many minutes before each appointment ("1440,120":
# a day and two hours before; empty: none). The package's system check refuses duplicates and
# zero.
_reminder_offsets = [
    offset.strip() for offset in env.list("REMINDER_OFFSETS_MINUTES", default=["1440", "120"])
]
if not all(offset.isascii() and offset.isdigit() for offset in _reminder_offsets if offset):
    raise ImproperlyConfigured(
        "REMINDER_OFFSETS_MINUTES must be whole minutes separated by commas, e.g. 1440,120."
    )
PSICO_NOTIFICATIONS = {
    "FRONTEND_URL": env.str("FRONTEND_URL", default=None),
    "APPOINTMENT_URL_PATH": env.str(
        "FRONTEND_APPOINTMENT_PATH", default="/appointments/{appointment_id}"
    ),
    "REMINDER_OFFSETS_MINUTES": [int(offset) for offset in _reminder_offsets if offset],
    # Private networks webhooks may be sent to (e.g. "10.0.0.0/8" for a receiver inside the
    # clinic's network); none by default. The package's system check refuses a bad network.
    "WEBHOOK_ALLOWED_NETWORKS": [
        network.strip() for network in env.list("WEBHOOK_ALLOWED_NETWORKS", default=[])
    ],
}

# --- Links into the front end ------------------------------------------------------------

# The password reset and the email verification emails link here, {uid} and {token} filled
# in, e.g. https://app.example.com/reset/{uid}/{token}; unset, the email carries the uid and
# the token for the front end to use. (The booking email's link is FRONTEND_URL above.)
for _name in ("PASSWORD_RESET_URL", "EMAIL_VERIFICATION_URL"):
    _link = env.str(_name, default="") or None
    if _link is not None and not (
        _link.startswith(("https://", "http://")) and "{uid}" in _link and "{token}" in _link
    ):
        raise ImproperlyConfigured(
            f"{_name} must be an http(s) URL with {{uid}} and {{token}}, e.g."
            " https://app.example.com/reset/{uid}/{token}."
        )
    PSICO_ACCOUNTS[_name] = _link

# --- Sealed data (clinical notes, chat messages) -------------------------------------------

# Fernet keys, comma-separated, newest first: the newest seals, every one unseals. Rotate by
# putting a new key first, deploying, running `manage.py seal_rotate`, then dropping the old
# key. A production process without keys refuses to start: with DEBUG=1 only, a public
# development key is used (psico_core.sealing), and psico_core.E002 fails `check` without it.
PSICO_SEALING_KEYS = [key.strip() for key in env.list("RECORDS_ENCRYPTION_KEYS", default=[])]
if not DEBUG and not PSICO_SEALING_KEYS:
    raise ImproperlyConfigured(
        "Set the RECORDS_ENCRYPTION_KEYS environment variable to one or more Fernet keys, "
        "newest first (or DEBUG=1 for development)."
    )

# --- CORS and CSRF ------------------------------------------------------------------------

# The local front-end dev servers are allowed only in development: in production any program
# listening on the visitor's localhost could otherwise call the API with their cookies.
CORS_ALLOWED_ORIGINS = env.list(
    "CORS_ALLOWED_ORIGINS",
    default=["https://psico-admin-sp1-despliegue-front.vercel.app"]
    + (
        ["http://localhost:3000", "http://localhost:5173", "http://localhost:8080"] if DEBUG else []
    ),
)
# Front ends whose origin varies, such as preview deployments: regular expressions matched
# against the whole origin (re.match; anchor them with ^ and $), separated by spaces, e.g.
# ^https://[a-z0-9-]+-clinic\.vercel\.app$. The chat sockets accept the same origins.
CORS_ALLOWED_ORIGIN_REGEXES = env.str("CORS_ALLOWED_ORIGIN_REGEXES", default="").split()
for _pattern in CORS_ALLOWED_ORIGIN_REGEXES:
    try:
        re.compile(_pattern)
    except re.error as exc:
        raise ImproperlyConfigured(
            f"CORS_ALLOWED_ORIGIN_REGEXES: {_pattern!r} is not a regular expression ({exc})."
        ) from exc
CORS_ALLOW_CREDENTIALS = env.bool("CORS_ALLOW_CREDENTIALS", default=True)
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

# --- Security -----------------------------------------------------------------------------

# Under uvicorn leave this unset: with FORWARDED_ALLOW_IPS naming the proxy, uvicorn takes the
# scheme from that proxy's X-Forwarded-Proto and from nobody else. Django's setting believes the
# header from whoever sends it, so it only fits a server that does not do this, behind a proxy
# that always overwrites the header (e.g. HTTP_X_FORWARDED_PROTO,https).
_proxy_ssl_header = env.list("SECURE_PROXY_SSL_HEADER", default=[])
if _proxy_ssl_header:
    if len(_proxy_ssl_header) != 2:
        raise ImproperlyConfigured("SECURE_PROXY_SSL_HEADER must be 'HEADER_NAME,value'.")
    SECURE_PROXY_SSL_HEADER = tuple(_proxy_ssl_header)

if not DEBUG:
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    # Platform health probes speak plain HTTP from inside the network.
    SECURE_REDIRECT_EXEMPT = [r"^healthz/?$"]
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
    SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)
    SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

# --- Django REST framework and OpenAPI ----------------------------------------------------

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Per-device API tokens (psico_accounts): hashed at rest, expiring TOKEN_TTL after
        # their last use, their query compiled once per process.
        "psico_accounts.authentication.DeviceTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    # Strict JSON (nesting depth, lone surrogates, NaN answer 400, never 500) and a multipart
    # parser that refuses a body that is not a form; the same media types as DRF's defaults.
    "DEFAULT_PARSER_CLASSES": [
        "psico_core.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "psico_core.parsers.MultiPartParser",
    ],
    "DEFAULT_PAGINATION_CLASS": "psico_core.query.PageNumberPagination",
    "PAGE_SIZE": 20,
    # Documents the 400/401/403/404/429 answers of every operation from its view's configuration.
    "DEFAULT_SCHEMA_CLASS": "psico_core.schema.AutoSchema",
    # A service's refusal (Django's ValidationError) is answered as a 400 with DRF's body.
    "EXCEPTION_HANDLER": "psico_core.errors.exception_handler",
    # The client's address is REMOTE_ADDR, which uvicorn sets from a trusted proxy's
    # X-Forwarded-For (FORWARDED_ALLOW_IPS); DRF must never read that header itself.
    "NUM_PROXIES": 0,
    "DEFAULT_THROTTLE_RATES": {
        "login": env.str("THROTTLE_RATE_LOGIN", default="10/minute"),
        "password_reset": env.str("THROTTLE_RATE_PASSWORD_RESET", default="5/hour"),
        "register": env.str("THROTTLE_RATE_REGISTER", default="20/hour"),
        "email_verification": env.str("THROTTLE_RATE_EMAIL_VERIFICATION", default="5/hour"),
    },
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Psico API",
    "DESCRIPTION": (
        "Backend of a psychology practice: accounts and professional directory, weekly "
        "availability and appointment booking, and a real-time chat per appointment "
        "(WebSocket `ws/chat/{appointment_id}/`, not described by OpenAPI). Authenticate "
        "with `Authorization: Token <key>` from `/api/auth/login/`. Messages are in Spanish "
        "by default; send `Accept-Language: en` for English."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    # Request bodies are JSON; a view that takes multipart (the profile picture) says so itself.
    # With every parser listed, each body would be documented under three media types, which
    # generated clients do not handle.
    "PARSER_WHITELIST": ["psico_core.parsers.JSONParser"],
    # Docs pages load their JavaScript and CSS from this site, never from a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # An appointment's modality and a professional's default modality share one choice set.
    "ENUM_NAME_OVERRIDES": {
        "SessionModalityEnum": "psico_accounts.models.SessionModality",
        # The appointment status keeps its name beside the waiting list's.
        "StatusEnum": "psico_scheduling.choices.AppointmentStatus",
        "WaitlistStatusEnum": "psico_scheduling.choices.WaitlistStatus",
        "SeriesFrequencyEnum": "psico_scheduling.choices.SeriesFrequency",
    },
}

# --- Logging ------------------------------------------------------------------------------

LOG_LEVEL = env.str("LOG_LEVEL", default="INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "console": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "console"},
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django": {"handlers": ["console"], "level": LOG_LEVEL, "propagate": False},
    },
}
