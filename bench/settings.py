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

from psico_accounts.testing.settings import *  # noqa: F403
from psico_accounts.testing.settings import INSTALLED_APPS, databases_from_env

SECRET_KEY = "psico-bench-not-secret"
DEBUG = False
ALLOWED_HOSTS = ["*"]

HAS_DJANGO_APPOINTMENT = importlib.util.find_spec("appointment") is not None

# Every app of the site, so that the benchmark's database holds every table the site's servers
# may write (e.g. the audit log of a failed login).
INSTALLED_APPS = [
    *INSTALLED_APPS,
    "channels",
    "psico_scheduling",
    "psico_chat",
    "psico_notifications",
    "psico_records",
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

ROOT_URLCONF = "bench.urls"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
USE_I18N = True
CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
