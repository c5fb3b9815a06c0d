"""Settings pieces for test suites of projects that use the Psico packages."""

from __future__ import annotations

import os
from typing import Any


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
