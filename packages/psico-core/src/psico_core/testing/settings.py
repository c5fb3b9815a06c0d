"""Base settings for the test suites of the Psico packages and of projects that use them.

A test settings module starts from these and adds its own apps (the Psico apps start from
``psico_accounts.testing.settings``, which adds the accounts app and its user model)::

    from psico_core.testing.settings import *  # noqa: F403
    from psico_core.testing.settings import INSTALLED_APPS

    SECRET_KEY = "my-project-tests"
    INSTALLED_APPS = [*INSTALLED_APPS, "my_app"]
    ROOT_URLCONF = "tests.urls"
"""

from __future__ import annotations

import os
from typing import Any

import django

from psico_core.tasks_compat import IMMEDIATE_BACKEND

__all__ = [
    "AUTH_PASSWORD_VALIDATORS",
    "DATABASES",
    "DEFAULT_FROM_EMAIL",
    "INSTALLED_APPS",
    "LANGUAGES",
    "LANGUAGE_CODE",
    "MAILERS",
    "MEDIA_URL",
    "MIDDLEWARE",
    "PASSWORD_HASHERS",
    "PSICO_SEALING_KEYS",
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
    "psico_core",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
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
        "psico_core.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "psico_core.parsers.MultiPartParser",
    ],
    "DEFAULT_PAGINATION_CLASS": "psico_core.query.PageNumberPagination",
    "PAGE_SIZE": 20,
    "DEFAULT_SCHEMA_CLASS": "psico_core.schema.AutoSchema",
    "EXCEPTION_HANDLER": "psico_core.errors.exception_handler",
}
# Background tasks run inside the call that enqueues them (a real backend of Django's Tasks
# API), so emails are in mail.outbox when the request returns; tests of the worker switch to
# the database backend (psico_core.tasks_compat.DATABASE_BACKEND).
TASKS = {"default": {"BACKEND": IMMEDIATE_BACKEND}}
# A key for test suites only (it is public, like this file): sealed fields work and the
# sealing check (psico_core.E002) passes without the development key's fallback.
PSICO_SEALING_KEYS = ["nuGiLtjtQPp67_zMF9lcyBGWzrADHrd1FN7A1ZFqL_k="]
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
