"""One Django settings module for every benchmark process.

The three Psico apps, and django-appointment beside them when it is installed (only the bench
environment installs it), so one process can measure both on the same database. SQLite in a
temporary file by default, PostgreSQL when ``DATABASE_URL`` is set. The benchmark's database is
always a fresh one created next to the configured one (``<name>_<benchmark>``) and dropped at
the end, so the configured database itself is never touched.
"""

from __future__ import annotations

import importlib.util
import os
import tempfile

from psico_accounts.testing.settings import databases_from_env

SECRET_KEY = "psico-bench-not-secret"
DEBUG = False
ALLOWED_HOSTS = ["*"]

HAS_DJANGO_APPOINTMENT = importlib.util.find_spec("appointment") is not None

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "channels",
    "psico_accounts",
    "psico_scheduling",
    "psico_chat",
]
if HAS_DJANGO_APPOINTMENT:
    INSTALLED_APPS += ["phonenumber_field", "appointment"]
    # Its wheel ships no migrations, and an app without migrations cannot point at a migrated
    # one (our user model) on PostgreSQL: harness.bench_database() generates them per run here.
    MIGRATION_MODULES = {"appointment": "psico_bench_appointment_migrations"}

BENCH_NAME = os.environ.get("PSICO_BENCH_NAME", "bench")
DATABASES = databases_from_env()
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # A file, not :memory:, so that every connection (threads, servers) sees the same data.
    # Django never really closes an in-memory SQLite connection, so the configured database
    # is the same file: the benchmark must not end up in a ":memory:" opened before it.
    _sqlite_file = os.path.join(tempfile.gettempdir(), f"psico-{BENCH_NAME}-{os.getpid()}.sqlite3")
    DATABASES["default"]["NAME"] = _sqlite_file
    DATABASES["default"]["TEST"] = {"NAME": _sqlite_file}
else:
    DATABASES["default"]["TEST"] = {"NAME": f"{DATABASES['default']['NAME']}_{BENCH_NAME}"}

MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    }
]
ROOT_URLCONF = "bench.urls"
AUTH_USER_MODEL = "psico_accounts.User"
# Users are created by the thousand; the password hash is not what is being measured.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
USE_TZ = True
TIME_ZONE = "America/La_Paz"
USE_I18N = True
LANGUAGE_CODE = "es"
LANGUAGES = [("es", "Español"), ("en", "English")]
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 20,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
}
CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
