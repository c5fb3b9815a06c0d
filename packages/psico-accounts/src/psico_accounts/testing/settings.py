"""Settings for the test suites of projects that use the Psico packages.

A test settings module starts from these and adds its own apps::

    from psico_accounts.testing.settings import *  # noqa: F403

    SECRET_KEY = "my-project-tests"
    INSTALLED_APPS = [*INSTALLED_APPS, "psico_scheduling", "my_app"]
    ROOT_URLCONF = "tests.urls"
"""

from __future__ import annotations

import os
from typing import Any

import django

from psico_accounts.tasks_compat import IMMEDIATE_BACKEND

__all__ = [
    "AUTH_PASSWORD_VALIDATORS",
    "AUTH_USER_MODEL",
    "DATABASES",
    "DEFAULT_FROM_EMAIL",
    "INSTALLED_APPS",
    "LANGUAGES",
    "LANGUAGE_CODE",
    "MAILERS",
    "MEDIA_URL",
    "MIDDLEWARE",
    "PASSWORD_HASHERS",
    "REST_FRAMEWORK",
    "STATIC_URL",
    "TASKS",
    "TEMPLATES",
    "TIME_ZONE",
    "USE_TZ",
    "databases_from_env",
]


def databases_from_env(env_var: str = "DATABASE_URL") -> dict[str, Any]:
    """``DATABASES`` from ``$DATABASE_URL`` when set (e.g. PostgreSQL in CI), else SQLite.

    SQLite opens its transactions with ``BEGIN IMMEDIATE`` so that concurrent writers
    queue up instead of failing half-way with "database is locked".
    """
    url = os.environ.get(env_var)
    if url:
        import environ

        return {"default": environ.Env.db_url_config(url)}
    return {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": ":memory:",
            "OPTIONS": {"transaction_mode": "IMMEDIATE", "timeout": 20},
        }
    }


DATABASES = databases_from_env()
INSTALLED_APPS = [
    # Before django.contrib.admin, whose registration/password_reset_email.html would win.
    "psico_accounts",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    # Its tables, for the tests that run tasks through the database and a worker.
    "django_tasks_db",
]
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
AUTH_USER_MODEL = "psico_accounts.User"
# Factories create users by the dozen; the hash's cost is not what the tests are about.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": f"django.contrib.auth.password_validation.{name}"}
    for name in (
        "UserAttributeSimilarityValidator",
        "MinimumLengthValidator",
        "CommonPasswordValidator",
        "NumericPasswordValidator",
    )
]
USE_TZ = True
TIME_ZONE = "America/La_Paz"
LANGUAGE_CODE = "es"
LANGUAGES = [("es", "Español"), ("en", "English")]
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PARSER_CLASSES": [
        "psico_accounts.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "psico_accounts.parsers.MultiPartParser",
    ],
    "DEFAULT_PAGINATION_CLASS": "psico_accounts.query.PageNumberPagination",
    "PAGE_SIZE": 20,
    "DEFAULT_SCHEMA_CLASS": "psico_accounts.schema.AutoSchema",
}
# Background tasks run inside the call that enqueues them (a real backend of Django's Tasks
# API), so emails are in mail.outbox when the request returns; tests of the worker switch to
# the database backend (psico_accounts.tasks_compat.DATABASE_BACKEND).
TASKS = {"default": {"BACKEND": IMMEDIATE_BACKEND}}
STATIC_URL = "/static/"
MEDIA_URL = "/media/"
DEFAULT_FROM_EMAIL = "Psico <no-reply@psico.bo>"
# Django 6.1 configures email through MAILERS and warns without it; older versions ignore it.
# pytest-django and Django's test runner swap in the in-memory backend either way.
MAILERS = (
    {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
    if django.VERSION >= (6, 1)
    else None
)
